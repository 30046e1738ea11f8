package dev.millrace.bench;

import dev.millrace.ingest.Pacing;
import dev.millrace.ingest.fraud.FraudCsvReader;
import dev.millrace.ingest.fraud.FraudPublisher;
import dev.millrace.ingest.fraud.LabeledTransaction;
import dev.millrace.kafka.TopicAdmin;
import dev.millrace.pipeline.DeliveryGuarantee;
import dev.millrace.pipeline.StateBackendChoice;
import dev.millrace.pipeline.fraud.FraudFeatureEngine;
import dev.millrace.pipeline.fraud.FraudFeatures;
import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.pipeline.fraud.KafkaFraudJob;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.scorer.flink.ScoringSettings;
import dev.millrace.scorer.model.DriftReference;
import dev.millrace.scorer.model.ModelBundle;
import dev.millrace.scorer.model.ModelStore;
import dev.millrace.trainer.ModelAnnouncements;
import dev.millrace.trainer.model.Dataset;
import dev.millrace.trainer.model.TabularTrainer;
import dev.millrace.trainer.model.TrainSettings;
import dev.millrace.trainer.model.TrainedModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Throughput and latency of the fraud job against the ceiling of the same broker: a plain
 * exactly-once Kafka copy loop, then {@link KafkaFraudJob} at full speed on a pre-loaded backlog
 * (exactly-once and at-least-once), then the at-least-once job's latency at half its maximum rate.
 * The broker runs in a JVM of its own so that job and broker CPU are read apart from {@code /proc}.
 * Prints a Markdown report and writes it into {@code docs/benchmarks/performance.md}.
 */
@Command(
    name = "performance",
    mixinStandardHelpOptions = true,
    description =
        "Kafka EOS copy loop vs the fraud job at full speed (exactly-once and at-least-once) on"
            + " the same broker and backlog; events/s, events per core-second, latency at half"
            + " rate, JFR profile. Writes docs/benchmarks/performance.md.")
public final class PerformanceBenchmark implements Callable<Integer> {

  static final String BEGIN = "<!-- performance:results:begin -->";
  static final String END = "<!-- performance:results:end -->";

  /** The one command, as documented. */
  static final String COMMAND =
      "mvn -B -ntp -q -pl e2e-tests/benchmarks -am package exec:exec -DskipTests -Dexec.skip=true"
          + " -Dexec.executable=java -Dexec.args=\"-Xmx6g -Dai.djl.offline=true -cp %classpath"
          + " dev.millrace.bench.Benchmarks performance\"";

  @Option(
      names = "--data",
      defaultValue = FraudBenchmark.DEFAULT_DATA,
      description = "fraud_fdh transactions file; when absent the benchmark is skipped")
  String data;

  @Option(names = "--from", defaultValue = "2018-04-01", description = "first day replayed")
  LocalDate from;

  @Option(
      names = "--days",
      defaultValue = "61",
      description =
          "days of transactions pre-loaded (default ${DEFAULT-VALUE}: April and May 2018)")
  int days;

  @Option(names = "--parallelism", defaultValue = "1", description = "job parallelism")
  int parallelism;

  @Option(
      names = "--checkpoint-interval",
      defaultValue = "PT10S",
      description =
          "job checkpoint interval, ISO-8601 (default ${DEFAULT-VALUE}, the job's default)")
  Duration checkpointInterval;

  @Option(
      names = "--state-backend",
      defaultValue = "rocksdb",
      description =
          "Flink state backend: rocksdb (the job's default) or hashmap (default ${DEFAULT-VALUE})")
  String stateBackend;

  @Option(
      names = "--warmup-fraction",
      defaultValue = "0.1",
      description = "share of the backlog before timing starts (JIT, model load)")
  double warmupFraction;

  @Option(
      names = "--warmup-events",
      defaultValue = "100000",
      description = "events of an unreported first run of the job that warms up the JIT")
  int warmupEvents;

  @Option(
      names = "--latency-seconds",
      defaultValue = "30",
      description = "length of the paced latency phase; 0 skips it")
  int latencySeconds;

  @Option(names = "--broker-heap", defaultValue = "2g", description = "broker JVM heap")
  String brokerHeap;

  @Option(
      names = "--broker-port",
      defaultValue = "0",
      description = "broker client port (0: a free one)")
  int brokerPort;

  @Option(names = "--train-epochs", defaultValue = "3", description = "epochs of the model")
  int trainEpochs;

  @Option(
      names = "--profile",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "profile one more run of the job with JFR (default on)")
  boolean profile;

  @Option(
      names = "--profile-delivery-guarantee",
      defaultValue = "exactly-once",
      converter = GuaranteeConverter.class,
      description = "delivery guarantee of the profiled run (default ${DEFAULT-VALUE})")
  DeliveryGuarantee profileGuarantee;

  /** Parses {@code exactly-once} / {@code at-least-once}. */
  static final class GuaranteeConverter
      implements picocli.CommandLine.ITypeConverter<DeliveryGuarantee> {
    @Override
    public DeliveryGuarantee convert(String value) {
      return DeliveryGuarantee.parse(value);
    }
  }

  @Option(
      names = "--output",
      defaultValue = "docs/benchmarks/performance.md",
      description =
          "Markdown file whose results section is replaced ('-': none; relative to the Maven root)")
  String output;

  @Option(
      names = "--work-dir",
      description = "broker data, checkpoints, models, JFR (default: temp)")
  Path workDir;

  @Option(names = "--torch-threads", defaultValue = "1", description = "PyTorch threads")
  int torchThreads;

  @Option(
      names = "--timeout",
      defaultValue = "PT5M",
      description = "longest wait for one run's output")
  Duration timeout;

  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

  /** Time and CPU at one moment. */
  record Mark(long nanos, double selfCpu, double brokerCpu, double readerCpu) {}

  /**
   * One full-speed run, timed from the warm-up mark to the last record.
   *
   * @param seconds wall time between the marks (CPU is read at the marks)
   * @param rateSeconds the time over which the timed events came out: for the job, between the
   *     latest scoring time seen at the first mark and the last scoring time (so that waiting for a
   *     transaction's commit at the end does not count); for the copy loop, between the marks
   */
  record Run(
      String name,
      long events,
      long timedEvents,
      double seconds,
      double rateSeconds,
      double jobCpu,
      double brokerCpu,
      long notByModel) {
    double eventsPerSecond() {
      return timedEvents / rateSeconds;
    }

    double perCoreSecond() {
      return timedEvents / (jobCpu + brokerCpu);
    }
  }

  /** The paced latency phase. */
  record Latency(double rate, long events, double p50, double p99, double max, long notByModel) {}

  @Override
  public Integer call() throws Exception {
    if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(torchThreads));
    }
    if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }
    Path file;
    try {
      file = FraudBenchmark.resolveData(data);
    } catch (Benchmarks.UserError e) {
      System.err.println("performance benchmark skipped: " + e.getMessage());
      return 0;
    }
    long started = System.nanoTime();
    String loadBefore = loadAverage();
    Path work = workDir != null ? workDir : Files.createTempDirectory("millrace-perf-");
    Files.createDirectories(work);
    Instant start = from.atStartOfDay(ZoneOffset.UTC).toInstant();
    Instant end = start.plus(Duration.ofDays(days));

    log("Reading %s from %s to %s", file, start, end);
    List<LabeledTransaction> txs = new ArrayList<>();
    try (FraudCsvReader reader = FraudCsvReader.open(file, start, end)) {
      reader.forEachRemaining(txs::add);
    }
    log("  %,d transactions", txs.size());

    // Features outside Flink (the same history classes as the job's keyed state), then a model.
    long t0 = System.nanoTime();
    FraudFeatureEngine engine = new FraudFeatureEngine(Duration.ofHours(1));
    float[][] features = new float[txs.size()][];
    float[] labels = new float[txs.size()];
    for (int i = 0; i < txs.size(); i++) {
      features[i] = engine.onTransaction(txs.get(i).tx());
      labels[i] = txs.get(i).fraud() ? 1f : 0f;
    }
    double featureRate = txs.size() / ((System.nanoTime() - t0) / 1e9);
    log("  features: %,.0f tx/s (FraudFeatureEngine, no labels fed)", featureRate);
    ModelStore store = new ModelStore(work.resolve("models").toUri());
    ModelAnnouncement model = trainModel(store, features, labels);
    log("  model %s", model.getVersion());

    List<Run> runs = new ArrayList<>();
    JfrProfile.Summary profileSummary = null;
    Run profileRun = null;
    Latency latency = null;
    long brokerPid;
    Path brokerLog = work.resolve("broker.log");
    log("Starting the broker JVM (log %s)", brokerLog);
    try (BrokerProcess broker =
        BrokerProcess.start(
            Files.createDirectories(work.resolve("kafka")), brokerPort, brokerHeap, brokerLog)) {
      brokerPid = broker.pid();
      log("  broker pid %d at %s", brokerPid, broker.bootstrapServers());
      runs.add(copy(broker, txs));
      log("  %s", describe(runs.get(runs.size() - 1)));
      // JIT warm-up of the job's code paths (not reported): otherwise the first measured run pays
      // for the compilation, in its time and in its JVM's CPU
      log("Warm-up (not reported):");
      Run warmupRun =
          pipeline(
              broker,
              txs.subList(0, Math.min(txs.size(), warmupEvents)),
              model,
              DeliveryGuarantee.AT_LEAST_ONCE,
              work,
              null);
      log("  %s", describe(warmupRun));
      runs.add(pipeline(broker, txs, model, DeliveryGuarantee.EXACTLY_ONCE, work, null));
      log("  %s", describe(runs.get(runs.size() - 1)));
      Run alo = pipeline(broker, txs, model, DeliveryGuarantee.AT_LEAST_ONCE, work, null);
      runs.add(alo);
      log("  %s", describe(alo));
      if (latencySeconds > 0) {
        latency = latency(broker, txs, model, alo.eventsPerSecond() / 2, work);
        log(
            "  latency at %,.0f/s: p50 %.0f ms, p99 %.0f ms",
            latency.rate(), latency.p50(), latency.p99());
      }
      if (profile) {
        // a run of its own, so that the recording does not slow down the runs compared above
        AtomicReference<JfrProfile.Summary> prof = new AtomicReference<>();
        Run profiled = pipeline(broker, txs, model, profileGuarantee, work, prof);
        log("  %s", describe(profiled));
        profileSummary = prof.get();
        profileRun = profiled;
      }
    }
    String report =
        report(
            file,
            txs,
            featureRate,
            model,
            runs,
            latency,
            profileSummary,
            profileRun,
            brokerPid,
            loadBefore,
            Duration.ofNanos(System.nanoTime() - started));
    System.out.print(report);
    System.out.flush();
    if (!"-".equals(output)) {
      Path doc = resolveOutput(output);
      writeResults(doc, report);
      log("Results written to %s", doc);
    }
    return 0;
  }

  private ModelAnnouncement trainModel(ModelStore store, float[][] features, float[] labels)
      throws IOException {
    // The first half of the month trains; the 128-64 net of the fraud benchmark, few epochs.
    int n = features.length / 2;
    float[][] x = java.util.Arrays.copyOf(features, n);
    float[] y = java.util.Arrays.copyOf(labels, n);
    TrainSettings ts =
        new TrainSettings(
            trainEpochs, 1024, 0.01f, 0.01f, new int[] {128, 64}, 0.1f, true, 42, false);
    String version = "perf-" + System.currentTimeMillis();
    try (TrainedModel trained =
        new TabularTrainer(ts)
            .train("fraud", version, FraudFeatures.SCHEMA, new Dataset(x, y, null, null), null)) {
      float[] scores = trained.predict(java.util.Arrays.copyOfRange(features, n, features.length));
      DriftReference reference =
          DriftReference.compute(
              FraudFeatures.SCHEMA.names(), x, scores, DriftReference.DEFAULT_BINS);
      ModelBundle plain = trained.toBundle(Map.of(), null, null);
      ModelBundle bundle =
          new ModelBundle(plain.manifest().withDriftReference(reference), plain.parameters());
      URI uri = store.put(bundle);
      return ModelAnnouncement.newBuilder()
          .setTask(Task.FRAUD)
          .setVersion(version)
          .setArtifactUri(uri.toString())
          .setSha256(store.sha256(uri))
          .setFeatureSchemaFingerprint(FraudFeatures.FINGERPRINT)
          .setMetrics(Map.of())
          .setStatus(ModelStatus.CHAMPION)
          .setAnnouncedAt(Instant.now())
          .build();
    }
  }

  private TopicRegistry preload(BrokerProcess broker, String ns, List<LabeledTransaction> txs) {
    TopicRegistry topics = TopicRegistry.namespaced(ns);
    try (TopicAdmin admin = new TopicAdmin(broker.bootstrapServers())) {
      admin.ensure(topics.all(List.of(Task.FRAUD)));
    }
    long t = System.nanoTime();
    FraudPublisher.Counts counts;
    try (FraudPublisher publisher =
        new FraudPublisher(topics, FraudPublisher.Settings.defaults(broker.bootstrapServers()))) {
      counts = publisher.publish(txs.iterator(), FraudPublisher.Listener.NONE);
    }
    log(
        "  pre-loaded %,d transactions and %,d labels into %s in %.1f s",
        counts.events(), counts.labels(), ns, (System.nanoTime() - t) / 1e9);
    return topics;
  }

  private Run copy(BrokerProcess broker, List<LabeledTransaction> txs) throws Exception {
    String ns = "perf-copy-" + System.currentTimeMillis();
    log("Copy loop (exactly-once, kafka-clients)");
    TopicRegistry topics = preload(broker, ns, txs);
    // the output: the namespace's (empty, 3-partition) scores topic
    String out = topics.scores(Task.FRAUD).name();
    long n = txs.size();
    long warm = warmup(n);
    Mark[] marks = new Mark[2];
    long[] atWarmup = new long[1];
    CopyLoop.run(
        broker.bootstrapServers(),
        topics.fraudEvents().name(),
        out,
        ns + "-copy",
        n,
        timeout,
        copied -> {
          if (marks[0] == null && copied >= warm) {
            marks[0] = mark(broker, 0);
            atWarmup[0] = copied;
          }
          if (copied >= n) {
            marks[1] = mark(broker, 0);
          }
        });
    return run("copy loop, exactly-once (kafka-clients)", n, n - atWarmup[0], marks, 0, -1);
  }

  private Run pipeline(
      BrokerProcess broker,
      List<LabeledTransaction> txs,
      ModelAnnouncement model,
      DeliveryGuarantee guarantee,
      Path work,
      AtomicReference<JfrProfile.Summary> profileOut)
      throws Exception {
    String ns = "perf-" + guarantee.flag() + "-" + System.currentTimeMillis();
    log("Fraud job, %s", guarantee.flag());
    TopicRegistry topics = preload(broker, ns, txs);
    try (ModelAnnouncements announcements =
        new ModelAnnouncements(broker.bootstrapServers(), topics)) {
      announcements.announce(model, Duration.ofSeconds(30));
    }
    StreamExecutionEnvironment env = environment(work.resolve("checkpoints-" + ns));
    FraudPipelineSettings settings = settings(broker, ns, topics, guarantee);
    long n = txs.size();
    long warm = warmup(n);
    JfrProfile jfr =
        profileOut != null && profile ? JfrProfile.start(work.resolve(ns + ".jfr")) : null;
    JobClient job = KafkaFraudJob.start(env, settings);
    Mark[] marks = new Mark[2];
    long notByModel = 0;
    long atWarmup = 0;
    long latestScoring = Long.MIN_VALUE;
    long scoringAtWarmup = 0;
    long counted;
    try (KafkaConsumer<String, ScoreRecord> consumer = scoreConsumer(broker, topics)) {
      long deadline = System.nanoTime() + timeout.toNanos();
      counted = 0;
      String version = model.getVersion();
      while (counted < n) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              guarantee.flag()
                  + " run: only "
                  + counted
                  + " of "
                  + n
                  + " scores within "
                  + timeout);
        }
        var records = consumer.poll(Duration.ofMillis(50));
        for (ConsumerRecord<String, ScoreRecord> r : records) {
          counted++;
          latestScoring = Math.max(latestScoring, r.value().getScoringTime().toEpochMilli());
          if (marks[0] != null && !version.equals(r.value().getModelVersion())) {
            notByModel++;
          }
        }
        if (marks[0] == null && counted >= warm) {
          marks[0] = mark(broker, threads.getCurrentThreadCpuTime() / 1e9);
          atWarmup = counted;
          scoringAtWarmup = latestScoring;
        }
      }
      marks[1] = mark(broker, threads.getCurrentThreadCpuTime() / 1e9);
    } finally {
      job.cancel().get();
      if (jfr != null) {
        profileOut.set(jfr.stop());
      }
    }
    return run(
        "fraud job, " + guarantee.flag() + (jfr != null ? " (JFR recording)" : ""),
        n,
        n - atWarmup,
        marks,
        notByModel,
        (latestScoring - scoringAtWarmup) / 1e3);
  }

  private Latency latency(
      BrokerProcess broker,
      List<LabeledTransaction> txs,
      ModelAnnouncement model,
      double rate,
      Path work)
      throws Exception {
    String ns = "perf-latency-" + System.currentTimeMillis();
    log("Latency: fraud job, at-least-once, paced at %,.0f events/s", rate);
    TopicRegistry topics = TopicRegistry.namespaced(ns);
    try (TopicAdmin admin = new TopicAdmin(broker.bootstrapServers())) {
      admin.ensure(topics.all(List.of(Task.FRAUD)));
    }
    try (ModelAnnouncements announcements =
        new ModelAnnouncements(broker.bootstrapServers(), topics)) {
      announcements.announce(model, Duration.ofSeconds(30));
    }
    StreamExecutionEnvironment env = environment(work.resolve("checkpoints-" + ns));
    JobClient job =
        KafkaFraudJob.start(env, settings(broker, ns, topics, DeliveryGuarantee.AT_LEAST_ONCE));
    String version = model.getVersion();
    var source = txs.iterator();
    try (EndToEndBench.ScoreReader scores =
            new EndToEndBench.ScoreReader(broker.bootstrapServers(), topics.scores(Task.FRAUD));
        FraudPublisher publisher =
            new FraudPublisher(
                topics,
                FraudPublisher.Settings.defaults(broker.bootstrapServers())
                    .withPacing(Pacing.rate(rate)))) {
      // warm-up: until the model scores (its load and the JIT are not part of the latency)
      int warm = (int) Math.max(1000, Math.min(rate * 5, txs.size() / 10));
      publisher.publish(EndToEndBench.limit(source, warm, null), FraudPublisher.Listener.NONE);
      scores.read(warm, timeout, null, null, version);
      int events = (int) Math.min(rate * latencySeconds, txs.size() - warm);
      Map<Long, Long> published = new ConcurrentHashMap<>();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread thread =
          new Thread(
              () -> {
                try {
                  publisher.publish(
                      EndToEndBench.limit(source, events, published), FraudPublisher.Listener.NONE);
                } catch (Throwable t) {
                  failure.set(t);
                }
              },
              "perf-paced-publisher");
      thread.start();
      EndToEndBench.ScoreReader.Read read =
          scores.read(events, timeout, published, failure, version);
      thread.join();
      long[] sorted = java.util.Arrays.copyOf(read.committedMillis(), read.measured());
      java.util.Arrays.sort(sorted);
      return new Latency(
          rate,
          read.measured(),
          ScoringBench.percentile(sorted, 0.50),
          ScoringBench.percentile(sorted, 0.99),
          sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1],
          read.otherVersion());
    } finally {
      job.cancel().get();
    }
  }

  private FraudPipelineSettings settings(
      BrokerProcess broker, String ns, TopicRegistry topics, DeliveryGuarantee guarantee) {
    return FraudPipelineSettings.builder(broker.bootstrapServers())
        .topics(topics)
        .consumerGroupId(ns + "-job")
        .transactionalIdPrefix(ns)
        .parallelism(parallelism)
        .checkpointInterval(checkpointInterval)
        .scoring(ScoringSettings.defaults(Task.FRAUD))
        .deliveryGuarantee(guarantee)
        .stateBackend(StateBackendChoice.parse(stateBackend))
        .build();
  }

  private StreamExecutionEnvironment environment(Path checkpoints) {
    Configuration conf = new Configuration();
    conf.set(PipelineOptions.GENERIC_TYPES, false);
    // durable checkpoints: state in JobManager memory fails past 5 MB
    conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
    conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
    return StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
  }

  private KafkaConsumer<String, ScoreRecord> scoreConsumer(
      BrokerProcess broker, TopicRegistry topics) {
    var topic = topics.scores(Task.FRAUD);
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
    KafkaConsumer<String, ScoreRecord> consumer =
        new KafkaConsumer<>(p, topic.keySerde().deserializer(), topic.valueSerde().deserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    for (var info : consumer.partitionsFor(topic.name(), Duration.ofSeconds(30))) {
      partitions.add(new TopicPartition(info.topic(), info.partition()));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return consumer;
  }

  private long warmup(long n) {
    return Math.max(1, (long) Math.ceil(n * warmupFraction));
  }

  private static Mark mark(BrokerProcess broker, double readerCpu) {
    return new Mark(System.nanoTime(), ProcCpu.self(), broker.cpuSeconds(), readerCpu);
  }

  /** {@code rateSeconds} negative: the wall time between the marks. */
  private static Run run(
      String name, long events, long timed, Mark[] m, long notByModel, double rateSeconds) {
    double seconds = (m[1].nanos() - m[0].nanos()) / 1e9;
    double job = (m[1].selfCpu() - m[0].selfCpu()) - (m[1].readerCpu() - m[0].readerCpu());
    double brokerCpu = m[1].brokerCpu() - m[0].brokerCpu();
    return new Run(
        name,
        events,
        timed,
        seconds,
        rateSeconds < 0 ? seconds : rateSeconds,
        job,
        brokerCpu,
        notByModel);
  }

  private static String describe(Run r) {
    return String.format(
        Locale.ROOT,
        "%s: %,.0f events/s, %,.0f events per core-second (job %.1f + broker %.1f CPU s over %.1f"
            + " s)",
        r.name(),
        r.eventsPerSecond(),
        r.perCoreSecond(),
        r.jobCpu(),
        r.brokerCpu(),
        r.seconds());
  }

  private String report(
      Path file,
      List<LabeledTransaction> txs,
      double featureRate,
      ModelAnnouncement model,
      List<Run> runs,
      Latency latency,
      JfrProfile.Summary prof,
      Run profileRun,
      long brokerPid,
      String loadBefore,
      Duration total) {
    StringWriter s = new StringWriter();
    PrintWriter w = new PrintWriter(s);
    String date =
        ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm"));
    w.printf(Locale.ROOT, "### Run of %s UTC%n%n", date);
    w.printf(Locale.ROOT, "Machine: %s.%n", Machine.describe());
    w.printf(
        Locale.ROOT,
        "Load average (1, 5, 15 min) before the run: %s; after: %s.%n%n",
        loadBefore,
        loadAverage());
    w.printf(Locale.ROOT, "Command: `%s`%n%n", COMMAND);
    w.printf(
        Locale.ROOT,
        "Data: `%s`, %,d transactions from %s to %s (%d days), each run pre-loaded into fresh"
            + " topics (3 partitions) before it starts, with the fraud labels of the period"
            + " (7-day delay).%n",
        file.getFileName(),
        txs.size(),
        from,
        from.plusDays(days),
        days);
    w.printf(
        Locale.ROOT,
        "Model `%s`: the 128-64 net of the fraud benchmark, %d epochs on the first half of the"
            + " period, with its drift reference (so the drift monitor measures).%n",
        model.getVersion(),
        trainEpochs);
    w.printf(
        Locale.ROOT,
        "Job: `KafkaFraudJob` on a local MiniCluster in the benchmark's JVM, parallelism %d,"
            + " checkpoints every %s to filesystem storage, state backend %s, scoring batch %d"
            + " (max wait %d ms). Broker: the embedded KRaft broker in a JVM of its own (pid %d,"
            + " heap %s). An unreported first run of the job on %,d events warms up the JIT."
            + " Timing starts when %.0f %% of the backlog has come out (model load) and ends at"
            + " the last record. events/s: for the job, over the scores'"
            + " scoring times (s (out): from the latest scoring time read at the first mark to the"
            + " last one, so that the wait for the last exactly-once commit does not count); for"
            + " the copy loop, between its commits. CPU: user + system time from"
            + " `/proc/<pid>/stat` of the job's JVM (less the score reader's thread) and of the"
            + " broker's JVM between the two marks (s (CPU)).%n",
        parallelism,
        checkpointInterval.toString().substring(2).toLowerCase(Locale.ROOT),
        stateBackend,
        ScoringSettings.DEFAULT_BATCH_SIZE,
        ScoringSettings.DEFAULT_MAX_WAIT.toMillis(),
        brokerPid,
        brokerHeap,
        Math.min(txs.size(), warmupEvents),
        warmupFraction * 100);
    w.printf(
        Locale.ROOT,
        "Features alone (`FraudFeatureEngine`, one thread, no Kafka or Flink): %,.0f tx/s.%n%n",
        featureRate);
    w.println(
        "| run | events timed | s (out) | events/s | s (CPU) | job CPU s | broker CPU s | events"
            + " per core-second | not by the model |");
    w.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (Run r : runs) {
      w.printf(
          Locale.ROOT,
          "| %s | %,d | %.1f | %,.0f | %.1f | %.1f | %.1f | %,.0f | %,d |%n",
          r.name(),
          r.timedEvents(),
          r.rateSeconds(),
          r.eventsPerSecond(),
          r.seconds(),
          r.jobCpu(),
          r.brokerCpu(),
          r.perCoreSecond(),
          r.notByModel());
    }
    Run copy = runs.get(0);
    Run eos = runs.get(1);
    Run alo = runs.get(2);
    w.println();
    w.println("| measure | reached | goal |");
    w.println("|---|---:|---:|");
    w.printf(
        Locale.ROOT,
        "| pipeline (exactly-once) / copy, events per core-second | %.3f | >= 0.30 |%n",
        eos.perCoreSecond() / copy.perCoreSecond());
    w.printf(
        Locale.ROOT,
        "| pipeline (exactly-once) / copy, events/s | %.3f | |%n",
        eos.eventsPerSecond() / copy.eventsPerSecond());
    w.printf(
        Locale.ROOT,
        "| exactly-once / at-least-once, events/s | %.3f | >= 0.85 |%n",
        eos.eventsPerSecond() / alo.eventsPerSecond());
    w.printf(
        Locale.ROOT,
        "| exactly-once / at-least-once, events per core-second | %.3f | |%n",
        eos.perCoreSecond() / alo.perCoreSecond());
    if (latency != null) {
      w.printf(
          Locale.ROOT,
          "| at-least-once latency p50 at %,.0f events/s (send to readable score) | %.0f ms | |%n",
          latency.rate(),
          latency.p50());
      w.printf(
          Locale.ROOT,
          "| at-least-once latency p99 at %,.0f events/s | %.0f ms | <= 150 ms |%n",
          latency.rate(),
          latency.p99());
      w.printf(
          Locale.ROOT,
          "%nLatency phase: %,d events paced at half the at-least-once rate after a warm-up, max"
              + " %.0f ms, %,d not by the model.%n",
          latency.events(),
          latency.max(),
          latency.notByModel());
    }
    if (prof != null) {
      w.println();
      w.printf(
          Locale.ROOT,
          "#### Where the time goes%n%nJFR (`profile` settings) over one more %s run of"
              + " the same backlog, recorded apart so as not to slow down the runs above (with the"
              + " recording: %,.0f events/s, %,.0f events per core-second): %,d Java samples,"
              + " %,d native samples inside DJL/PyTorch.%n%n",
          profileGuarantee.flag(),
          profileRun.eventsPerSecond(),
          profileRun.perCoreSecond(),
          prof.javaSamples(),
          prof.nativeDjlSamples());
      table(
          w,
          "by thread (Flink task threads are named after their chained operators)",
          prof.byThread(),
          prof.javaSamples() + prof.nativeDjlSamples());
      table(
          w,
          "by component (first frame from the top that names one)",
          prof.byComponent(),
          prof.javaSamples());
      table(w, "top frames (self)", prof.selfTop(), prof.javaSamples());
      table(
          w,
          "Millrace methods on the stack (inclusive)",
          prof.millraceInclusive(),
          prof.javaSamples());
    }
    w.printf(Locale.ROOT, "%nTotal benchmark time: %.0f s.%n", total.toMillis() / 1e3);
    w.flush();
    return s.toString();
  }

  private static void table(PrintWriter w, String title, Map<String, Long> rows, long total) {
    w.printf(Locale.ROOT, "| %s | samples | share |%n|---|---:|---:|%n", title);
    for (Map.Entry<String, Long> e : rows.entrySet()) {
      w.printf(
          Locale.ROOT,
          "| `%s` | %,d | %.1f %% |%n",
          e.getKey().replace("|", "\\|"),
          e.getValue(),
          100.0 * e.getValue() / Math.max(1, total));
    }
    w.println();
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  static Path resolveOutput(String given) {
    Path p = Path.of(given);
    if (p.isAbsolute()) {
      return p;
    }
    String root = System.getProperty("maven.multiModuleProjectDirectory");
    if (root != null) {
      return Path.of(root).resolve(p).toAbsolutePath().normalize();
    }
    // exec:exec runs the benchmark in the module's folder: the project root is the nearest
    // folder above that holds the parent of the given path (docs/benchmarks)
    Path parent = p.getParent();
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (parent == null || Files.isDirectory(dir.resolve(parent))) {
        return dir.resolve(p).normalize();
      }
    }
    return p.toAbsolutePath().normalize();
  }

  /**
   * Replaces the results section of {@code doc} (between {@link #BEGIN} and {@link #END}) with
   * {@code results}, keeping the text around it; a new file gets a heading and the section.
   */
  static void writeResults(Path doc, String results) throws IOException {
    String text =
        Files.exists(doc)
            ? Files.readString(doc)
            : "# Performance: the fraud job against a Kafka copy loop\n\n"
                + BEGIN
                + "\n"
                + END
                + "\n";
    int b = text.indexOf(BEGIN);
    int e = text.indexOf(END);
    String section = BEGIN + "\n\n" + results + "\n" + END;
    String updated =
        b >= 0 && e > b
            ? text.substring(0, b) + section + text.substring(e + END.length())
            : text + "\n" + section + "\n";
    if (doc.getParent() != null) {
      Files.createDirectories(doc.getParent());
    }
    Files.writeString(doc, updated);
  }

  private static void log(String format, Object... args) {
    System.err.println(String.format(Locale.ROOT, format, args));
  }
}
