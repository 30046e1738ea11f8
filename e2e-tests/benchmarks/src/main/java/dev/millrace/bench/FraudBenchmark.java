package dev.millrace.bench;

import dev.millrace.bench.Benchmarks.UserError;
import dev.millrace.ingest.fraud.FraudCsvReader;
import dev.millrace.kafka.BrokerSettings;
import dev.millrace.kafka.EmbeddedKafkaBroker;
import dev.millrace.pipeline.fraud.FraudFeatures;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.Task;
import dev.millrace.scorer.model.DjlModelLoader;
import dev.millrace.scorer.model.ModelBundle;
import dev.millrace.scorer.model.ModelStore;
import dev.millrace.scorer.model.TabularModel;
import dev.millrace.trainer.eval.FraudProtocol;
import dev.millrace.trainer.eval.HandbookMetrics;
import dev.millrace.trainer.eval.Metrics;
import dev.millrace.trainer.model.Dataset;
import dev.millrace.trainer.model.TabularTrainer;
import dev.millrace.trainer.model.TrainSettings;
import dev.millrace.trainer.model.TrainedModel;
import java.io.IOException;
import java.io.PrintWriter;
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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.clients.admin.FeatureUpdate;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.admin.UpdateFeaturesOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The fraud benchmark: the Fraud Detection Handbook's chapter 3 protocol on the {@code fraud_fdh}
 * dev file, the Millrace net next to XGBoost4J on the same features, the scoring micro-benchmark
 * (batch 1 vs 64) and the end-to-end run through Kafka and the Flink job. Prints a Markdown report.
 */
@Command(
    name = "fraud",
    mixinStandardHelpOptions = true,
    description =
        "Handbook ch. 3 protocol (train 2018-07-25..31, 7-day delay, test 08-08..14): Millrace net"
            + " vs XGBoost4J (AUC, AP, CP@100), scoring batch 1 vs 64, end-to-end events/s and"
            + " latency.")
public final class FraudBenchmark implements Callable<Integer> {

  /** The dev file, relative to the repository root. */
  public static final String DEFAULT_DATA =
      "../shared/datasets/fraud_fdh/transactions_2018-04-01_2018-09-04.csv.gz";

  @Option(
      names = "--data",
      defaultValue = DEFAULT_DATA,
      description = "fraud_fdh transactions file (.csv or .csv.gz); default: ${DEFAULT-VALUE}")
  String data;

  @Option(
      names = "--train-start",
      defaultValue = "2018-07-25",
      description = "first training day (default ${DEFAULT-VALUE})")
  LocalDate trainStart;

  @Option(
      names = "--history-start",
      defaultValue = "2018-04-01",
      description = "first day fed to the feature engine (default ${DEFAULT-VALUE})")
  LocalDate historyStart;

  @Option(names = "--epochs", defaultValue = "40", description = "net: max epochs")
  int epochs;

  @Option(names = "--batch", defaultValue = "1024", description = "net: mini-batch size")
  int batch;

  @Option(names = "--lr", defaultValue = "0.01", description = "net: peak learning rate")
  float learningRate;

  @Option(names = "--weight-decay", defaultValue = "0.01", description = "net: AdamW decay")
  float weightDecay;

  @Option(names = "--hidden", defaultValue = "128,64", split = ",", description = "net: layers")
  int[] hidden;

  @Option(names = "--dropout", defaultValue = "0.1", description = "net: dropout")
  float dropout;

  @Option(
      names = "--balance",
      description =
          "net: weight positives by negatives/positives in the loss (off by default: it costs AP)")
  boolean balance;

  @Option(names = "--seed", defaultValue = "42", description = "net: seed of the first model")
  long seed;

  @Option(
      names = "--seeds",
      defaultValue = "1",
      description = "net: train this many seeds and average their predictions")
  int seeds;

  @Option(
      names = "--validation-days",
      defaultValue = "0",
      description =
          "net: hold out the last N training days for early stopping (never the test week);"
              + " 0 trains on the whole week for --epochs")
  int validationDays;

  @Option(names = "--xgb-rounds", defaultValue = "100", description = "XGBoost: trees")
  int xgbRounds;

  @Option(names = "--xgb-depth", defaultValue = "6", description = "XGBoost: max depth")
  int xgbDepth;

  @Option(names = "--xgb-eta", defaultValue = "0.3", description = "XGBoost: learning rate")
  double xgbEta;

  @Option(
      names = "--xgb-tree-method",
      defaultValue = "exact",
      description = "XGBoost: exact, approx or hist")
  String xgbTreeMethod;

  @Option(
      names = "--scoring-events",
      defaultValue = "20000",
      description = "scoring micro-benchmark: events per batch size")
  int scoringEvents;

  @Option(
      names = "--batch-sizes",
      defaultValue = "1,64",
      split = ",",
      description = "scoring batch sizes to compare (default ${DEFAULT-VALUE})")
  int[] batchSizes;

  @Option(
      names = "--e2e-events",
      defaultValue = "5000",
      description =
          "end-to-end: events at full speed per batch size; 0 skips end-to-end (default"
              + " ${DEFAULT-VALUE}: longer full-speed runs hit the KafkaSink fencing loop, see"
              + " docs/benchmarks/fraud.md)")
  int e2eEvents;

  @Option(names = "--e2e-warmup", defaultValue = "2000", description = "end-to-end: warm-up")
  int e2eWarmup;

  @Option(
      names = "--e2e-paced-events",
      defaultValue = "2000",
      description = "end-to-end: events of the paced (latency) phase; 0 skips it")
  int e2ePacedEvents;

  @Option(
      names = "--e2e-paced-rate",
      defaultValue = "1000",
      description = "end-to-end: events/s of the paced phase")
  double e2ePacedRate;

  @Option(names = "--e2e-parallelism", defaultValue = "1", description = "end-to-end: job")
  int e2eParallelism;

  @Option(
      names = "--e2e-checkpoint-interval",
      defaultValue = "PT1S",
      description = "end-to-end: checkpoint interval (ISO-8601, default ${DEFAULT-VALUE})")
  Duration e2eCheckpointInterval;

  @Option(
      names = "--e2e-max-wait",
      defaultValue = "PT0.05S",
      description = "end-to-end: scoring max wait for a batch (default ${DEFAULT-VALUE})")
  Duration e2eMaxWait;

  @Option(
      names = "--e2e-transaction-version",
      defaultValue = "0",
      description =
          "end-to-end: set the broker's transaction.version feature (0, the default, keeps the"
              + " broker's: 2 on Kafka 4.2)")
  int e2eTransactionVersion;

  @Option(
      names = "--e2e-from",
      defaultValue = "2018-04-01",
      description = "end-to-end: first day replayed (default ${DEFAULT-VALUE})")
  LocalDate e2eFrom;

  @Option(
      names = "--work-dir",
      description = "where the model store and the broker's data go (default: a temp dir)")
  Path workDir;

  @Option(
      names = "--torch-threads",
      defaultValue = "1",
      description =
          "PyTorch intra-op threads for training and scoring (default ${DEFAULT-VALUE}; more"
              + " threads than idle cores make DJL training many times slower)")
  int torchThreads;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    // before the PyTorch engine starts (it reads these once)
    if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(torchThreads));
    }
    if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }
    Path file = resolveData(data);
    FraudProtocol protocol =
        FraudProtocol.handbookChapter3()
            .withTrainStart(trainStart)
            .withHistoryStart(historyStart.atStartOfDay(ZoneOffset.UTC).toInstant());
    Path work = workDir != null ? workDir : Files.createTempDirectory("millrace-bench-");
    Files.createDirectories(work);
    long started = System.nanoTime();

    log(
        "Features: %s, history from %s, train %s..%s, test %s..%s",
        file,
        protocol.historyStart(),
        protocol.trainStart(),
        protocol.trainLast(),
        protocol.testStart(),
        protocol.testLast());
    HandbookSplit.Result split;
    try (FraudCsvReader reader =
        FraudCsvReader.open(file, protocol.historyStart(), protocol.testTo())) {
      split = HandbookSplit.build(reader, protocol);
    }
    log(
        "  %,d transactions, %,d labels fed, %.1f s (%,.0f tx/s); train %,d rows (%,d fraud),"
            + " test %,d rows (%,d fraud) after removing %,d rows of known compromised cards",
        split.transactionsRead(),
        split.labelsFed(),
        split.featureTime().toMillis() / 1e3,
        split.transactionsPerSecond(),
        split.train().size(),
        split.train().positives(),
        split.test().size(),
        split.test().positives(),
        split.testRowsBeforeRemoval() - split.test().size());

    // The Millrace net: trained with the trainer's code, stored as a bundle, loaded back through
    // the scorer's loader (checksum and schema checks) and scored by that loaded model.
    ModelStore store = new ModelStore(work.resolve("models").toUri());
    List<Dataset> trainVal = trainValidation(split.train(), validationDays);
    List<TabularModel> nets = new ArrayList<>();
    List<ModelAnnouncement> announced = new ArrayList<>();
    Duration netTime = Duration.ZERO;
    float[] netScores = new float[split.test().size()];
    TrainSettings base =
        new TrainSettings(
            epochs, batch, learningRate, weightDecay, hidden, dropout, true, seed, balance);
    String device = "";
    List<Integer> keptEpochs = new ArrayList<>();
    try {
      for (int s = 0; s < seeds; s++) {
        TrainSettings ts = base.withSeed(seed + s);
        String version = "bench-" + System.currentTimeMillis() + "-s" + (seed + s);
        log("Net %d/%d: %s", s + 1, seeds, ts);
        try (TrainedModel trained =
            new TabularTrainer(ts)
                .train("fraud", version, FraudFeatures.SCHEMA, trainVal.get(0), trainVal.get(1))) {
          netTime = netTime.plus(trained.trainingTime());
          device = trained.device();
          keptEpochs.add(trained.manifest().training().bestEpoch());
          ModelBundle bundle = trained.toBundle(Map.of(), protocol.trainFrom(), protocol.trainTo());
          ModelAnnouncement announcement = announce(store, bundle, version, protocol);
          announced.add(announcement);
          TabularModel loaded = new DjlModelLoader().loadModel(announcement, FraudFeatures.SCHEMA);
          nets.add(loaded);
          float[] p = loaded.predict(split.test().features());
          for (int i = 0; i < p.length; i++) {
            netScores[i] += p[i] / seeds;
          }
          log(
              "  %.1f s on %s, kept epoch %d: test AUC %.3f AP %.3f",
              trained.trainingTime().toMillis() / 1e3,
              trained.device(),
              trained.manifest().training().bestEpoch(),
              Metrics.rocAuc(split.test().labels(), p),
              Metrics.averagePrecision(split.test().labels(), p));
        }
      }

      log("XGBoost4J: %d trees, depth %d, eta %s, %s", xgbRounds, xgbDepth, xgbEta, xgbTreeMethod);
      XgboostBaseline.Settings xs =
          new XgboostBaseline.Settings(
              xgbRounds,
              xgbDepth,
              xgbEta,
              xgbTreeMethod,
              Runtime.getRuntime().availableProcessors(),
              0);
      XgboostBaseline.Result xgb = XgboostBaseline.trainAndPredict(split.train(), split.test(), xs);

      Map<String, double[]> detection = new LinkedHashMap<>();
      detection.put(netName(base, seeds), metrics(split.test(), netScores, netTime));
      detection.put(
          String.format(
              Locale.ROOT,
              "XGBoost4J 2.1.4 (%d trees, depth %d, eta %s, %s)",
              xgbRounds,
              xgbDepth,
              xgbEta,
              xgbTreeMethod),
          metrics(split.test(), xgb.predictions(), xgb.trainingTime()));

      log("Scoring micro-benchmark: %,d events per batch size", scoringEvents);
      List<ScoringBench.Result> scoring = new ArrayList<>();
      for (int b : batchSizes) {
        scoring.add(
            ScoringBench.run(
                nets.get(0),
                split.test().features(),
                b,
                Math.max(b, scoringEvents),
                Math.max(50, 2000 / b)));
      }

      List<EndToEndBench.Result> e2e = new ArrayList<>();
      if (e2eEvents > 0) {
        e2e = endToEnd(file, work, announced.get(0));
      }

      report(
          file,
          protocol,
          split,
          base,
          trainVal,
          keptEpochs,
          device,
          detection,
          scoring,
          e2e,
          Duration.ofNanos(System.nanoTime() - started));
      return 0;
    } finally {
      for (TabularModel m : nets) {
        m.close();
      }
    }
  }

  private List<EndToEndBench.Result> endToEnd(Path file, Path work, ModelAnnouncement model)
      throws Exception {
    List<EndToEndBench.Result> results = new ArrayList<>();
    Path brokerDir = Files.createDirectories(work.resolve("kafka-" + System.currentTimeMillis()));
    log("End to end: embedded Kafka broker in %s", brokerDir);
    try (EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.start(BrokerSettings.ephemeral(brokerDir))) {
      if (e2eTransactionVersion > 0) {
        transactionVersion(broker.bootstrapServers(), (short) e2eTransactionVersion);
      }
      EndToEndBench bench =
          new EndToEndBench(
              broker.bootstrapServers(),
              new EndToEndBench.Settings(
                  file,
                  e2eFrom.atStartOfDay(ZoneOffset.UTC).toInstant(),
                  e2eWarmup,
                  e2eEvents,
                  e2ePacedEvents,
                  e2ePacedRate,
                  e2eParallelism,
                  e2eCheckpointInterval,
                  e2eMaxWait,
                  Duration.ofMinutes(5)));
      for (int b : batchSizes) {
        EndToEndBench.Result r = bench.run(b, model);
        log(
            "  batch %d: %,.0f events/s, scoring latency p50 %.0f ms p99 %.0f ms",
            b,
            r.fullSpeed().eventsPerSecond(),
            r.fullSpeed().scoring().p50(),
            r.fullSpeed().scoring().p99());
        results.add(r);
      }
    }
    return results;
  }

  /**
   * Sets the broker's {@code transaction.version} feature. With version 2 (KIP-890, the default of
   * a new Kafka 4 cluster) the producer epoch is bumped by every commit, and Flink's KafkaSink
   * committer, which resumes a transaction with the epoch it recorded, gets fenced under load and
   * the job restarts in a loop; version 1 avoids that.
   */
  static void transactionVersion(String bootstrapServers, short version) throws Exception {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      FeatureMetadata before = admin.describeFeatures().featureMetadata().get();
      FinalizedVersionRange current = before.finalizedFeatures().get("transaction.version");
      short now = current == null ? 0 : current.maxVersionLevel();
      if (now != version) {
        admin
            .updateFeatures(
                Map.of(
                    "transaction.version",
                    new FeatureUpdate(
                        version,
                        version < now
                            ? FeatureUpdate.UpgradeType.SAFE_DOWNGRADE
                            : FeatureUpdate.UpgradeType.UPGRADE)),
                new UpdateFeaturesOptions())
            .all()
            .get();
      }
      log("  broker transaction.version %d -> %d", now, version);
    }
  }

  private static ModelAnnouncement announce(
      ModelStore store, ModelBundle bundle, String version, FraudProtocol protocol)
      throws IOException {
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
        .setTrainingWindowStart(protocol.trainFrom())
        .setTrainingWindowEnd(protocol.trainTo())
        .build();
  }

  /** {AUC, AP, CP@100 (handbook), CP@100 without removal, training seconds}. */
  private static double[] metrics(Dataset test, float[] scores, Duration trainingTime) {
    return new double[] {
      Metrics.rocAuc(test.labels(), scores),
      Metrics.averagePrecision(test.labels(), scores),
      HandbookMetrics.cardPrecisionTopK(
          test.labels(), scores, test.eventTimeMillis(), test.entityIds(), 100),
      Metrics.cardPrecisionAtK(
          test.labels(), scores, test.eventTimeMillis(), test.entityIds(), 100),
      trainingTime.toMillis() / 1e3
    };
  }

  /** [train, validation or null]: the last {@code days} days of the training set validate. */
  static List<Dataset> trainValidation(Dataset train, int days) {
    if (days <= 0) {
      return Arrays.asList(train, null);
    }
    long last = train.eventTimeMillis()[train.size() - 1];
    LocalDate cut = HandbookSplit.day(last).minusDays(days - 1);
    long cutMillis = cut.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    int n = 0;
    while (n < train.size() && train.eventTimeMillis()[n] < cutMillis) {
      n++;
    }
    if (n == 0 || n == train.size()) {
      throw new UserError("--validation-days " + days + " leaves no training or validation rows");
    }
    return Arrays.asList(slice(train, 0, n), slice(train, n, train.size()));
  }

  private static Dataset slice(Dataset d, int from, int to) {
    return new Dataset(
        Arrays.copyOfRange(d.features(), from, to),
        Arrays.copyOfRange(d.labels(), from, to),
        Arrays.copyOfRange(d.eventTimeMillis(), from, to),
        Arrays.copyOfRange(d.entityIds(), from, to));
  }

  private static String netName(TrainSettings s, int seeds) {
    return "Millrace net (DJL "
        + Arrays.stream(s.hiddenSizes())
            .mapToObj(Integer::toString)
            .collect(Collectors.joining("-"))
        + (seeds > 1 ? ", mean of " + seeds + " seeds" : "")
        + ")";
  }

  /**
   * The data file: as given if it exists, else relative to the Maven root directory (exec:java runs
   * in the directory Maven was started from) or the module's parent directories.
   */
  static Path resolveData(String given) {
    Path p = Path.of(given);
    List<Path> candidates = new ArrayList<>();
    candidates.add(p);
    if (!p.isAbsolute()) {
      String root = System.getProperty("maven.multiModuleProjectDirectory");
      if (root != null) {
        candidates.add(Path.of(root).resolve(given));
      }
      Path cwd = Path.of("").toAbsolutePath();
      for (Path dir = cwd.getParent(); dir != null; dir = dir.getParent()) {
        candidates.add(dir.resolve(given));
      }
    }
    for (Path c : candidates) {
      if (Files.isRegularFile(c)) {
        return c.normalize();
      }
    }
    throw new UserError(
        "no such file: "
            + given
            + " (looked in "
            + candidates.get(0).toAbsolutePath().normalize()
            + (candidates.size() > 1
                ? " and " + (candidates.size() - 1) + " parent directories"
                : "")
            + "); pass --data <path to transactions_2018-04-01_2018-09-04.csv.gz>");
  }

  private void report(
      Path file,
      FraudProtocol protocol,
      HandbookSplit.Result split,
      TrainSettings net,
      List<Dataset> trainVal,
      List<Integer> keptEpochs,
      String device,
      Map<String, double[]> detection,
      List<ScoringBench.Result> scoring,
      List<EndToEndBench.Result> e2e,
      Duration total) {
    StringBuilder md = new StringBuilder();
    String now = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE);
    md.append("## Fraud benchmark, ").append(now).append("\n\n");
    md.append("Machine: ").append(Machine.describe()).append("\n\n");
    md.append(
        String.format(
            Locale.ROOT,
            "Data: `%s`; features for %,d transactions (%s .. %s) by `FraudFeatureEngine`,"
                + " %.1f s (%,.0f tx/s).%n"
                + "Train %s..%s: %,d rows, %,d frauds. Test %s..%s: %,d rows, %,d frauds"
                + " (%,d rows of known compromised cards removed).%n%n",
            file.getFileName(),
            split.transactionsRead(),
            protocol.historyStart().toString().substring(0, 10),
            protocol.testLast(),
            split.featureTime().toMillis() / 1e3,
            split.transactionsPerSecond(),
            protocol.trainStart(),
            protocol.trainLast(),
            split.train().size(),
            split.train().positives(),
            protocol.testStart(),
            protocol.testLast(),
            split.test().size(),
            split.test().positives(),
            split.testRowsBeforeRemoval() - split.test().size()));
    md.append(
        String.format(
            Locale.ROOT,
            "Net: %s, %s%s on %s, kept epochs %s.%n%n",
            net,
            trainVal.get(1) == null
                ? "whole training week"
                : String.format(
                    Locale.ROOT,
                    "trained on %,d rows, early stopping on the last %d training day(s) (%,d rows)",
                    trainVal.get(0).size(),
                    validationDays,
                    trainVal.get(1).size()),
            "",
            device,
            keptEpochs));
    md.append("### Detection (handbook chapter 3 protocol)\n\n");
    md.append("| model | ROC AUC | AP | CP@100 | CP@100 (no removal) | training s |\n");
    md.append("|---|---:|---:|---:|---:|---:|\n");
    for (Map.Entry<String, double[]> e : detection.entrySet()) {
      double[] m = e.getValue();
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %.3f | %.3f | %.3f | %.3f | %.1f |%n",
              e.getKey(),
              m[0],
              m[1],
              m[2],
              m[3],
              m[4]));
    }
    md.append("| handbook XGBoost (published) | 0.862 | 0.639 | 0.273 | | |\n");
    md.append("| handbook random forest (published) | 0.867 | 0.658 | 0.287 | | |\n");
    md.append("| handbook logistic regression (published) | 0.871 | 0.606 | 0.291 | | |\n\n");

    md.append("### Scoring micro-benchmark (loaded DJL model, one call per batch, 1 thread)\n\n");
    md.append("| batch size | events | events/s | call p50 µs | call p99 µs | speed-up |\n");
    md.append("|---:|---:|---:|---:|---:|---:|\n");
    double baseRate = scoring.isEmpty() ? 1 : scoring.get(0).eventsPerSecond();
    for (ScoringBench.Result r : scoring) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %d | %,d | %,.0f | %.0f | %.0f | %.1fx |%n",
              r.batchSize(),
              r.events(),
              r.eventsPerSecond(),
              r.p50Micros(),
              r.p99Micros(),
              r.eventsPerSecond() / baseRate));
    }
    md.append("\n");
    if (!e2e.isEmpty()) {
      md.append(
          String.format(
              Locale.ROOT,
              "### End to end (embedded Kafka → Flink job, parallelism %d, checkpoints every %s"
                  + " → read_committed)%n%n",
              e2eParallelism,
              e2eCheckpointInterval));
      md.append(
          "| batch size | phase | events | published/s | events/s | scoring p50 ms | scoring p99"
              + " ms | committed p50 ms | committed p99 ms | not by the model |\n");
      md.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
      for (EndToEndBench.Result r : e2e) {
        row(md, r.batchSize(), "full speed", r.fullSpeed());
        if (r.paced() != null) {
          row(
              md,
              r.batchSize(),
              String.format(Locale.ROOT, "paced %.0f/s", e2ePacedRate),
              r.paced());
        }
      }
      md.append("\n");
    }
    md.append(
        String.format(Locale.ROOT, "Total benchmark time: %.0f s.%n", total.toMillis() / 1e3));
    PrintWriter out = spec.commandLine().getOut();
    out.println();
    out.print(md);
    out.flush();
  }

  private static void row(StringBuilder md, int batchSize, String phase, EndToEndBench.Phase p) {
    md.append(
        String.format(
            Locale.ROOT,
            "| %d | %s | %,d | %,.0f | %,.0f | %.0f | %.0f | %.0f | %.0f | %d |%n",
            batchSize,
            phase,
            p.events(),
            p.publishedPerSecond(),
            p.eventsPerSecond(),
            p.scoring().p50(),
            p.scoring().p99(),
            p.committed().p50(),
            p.committed().p99(),
            p.otherVersion()));
  }

  private static void log(String format, Object... args) {
    System.err.println(String.format(Locale.ROOT, format, args));
  }
}
