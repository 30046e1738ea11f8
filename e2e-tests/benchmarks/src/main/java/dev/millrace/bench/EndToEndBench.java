package dev.millrace.bench;

import dev.millrace.ingest.Pacing;
import dev.millrace.ingest.fraud.FraudCsvReader;
import dev.millrace.ingest.fraud.FraudPublisher;
import dev.millrace.ingest.fraud.LabeledTransaction;
import dev.millrace.kafka.TopicAdmin;
import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.pipeline.fraud.KafkaFraudJob;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.scorer.flink.ScoringSettings;
import dev.millrace.trainer.ModelAnnouncements;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * End to end on a real broker: the file's transactions are published to {@code fraud.events} (and
 * their delayed labels to {@code fraud.labels}) by {@link FraudPublisher}, the real fraud job
 * ({@link KafkaFraudJob}, exactly-once, on a local MiniCluster) computes features and scores them
 * with an announced model, and a {@code read_committed} consumer reads {@code fraud.scores}.
 *
 * <p>Per run: a fresh topic namespace, the model announced on it, the job started; a warm-up
 * (published, then waited for until every warm-up score is committed); then a timed phase at full
 * publishing speed (throughput, and latency under saturation), and optionally a paced phase
 * (latency at a steady rate below saturation). An event's publish time is the wall-clock time the
 * publisher took it from the source, just before handing it to the producer.
 */
public final class EndToEndBench {

  private static final Logger LOG = LoggerFactory.getLogger(EndToEndBench.class);

  /**
   * @param data the transactions file
   * @param from first transaction time to replay
   * @param warmupEvents events published and scored before timing starts
   * @param events events of the full-speed phase
   * @param pacedEvents events of the paced phase (0: none)
   * @param pacedRate events/s of the paced phase
   * @param parallelism parallelism of the job
   * @param checkpointInterval the job's checkpoint interval (scores are visible to read_committed
   *     readers when a checkpoint completes)
   * @param maxWait the scoring operator's longest wait for a batch to fill
   * @param timeout longest wait for the scores of one phase
   */
  public record Settings(
      Path data,
      Instant from,
      int warmupEvents,
      int events,
      int pacedEvents,
      double pacedRate,
      int parallelism,
      Duration checkpointInterval,
      Duration maxWait,
      Duration timeout) {}

  /** Latency percentiles in milliseconds. */
  public record Latency(double p50, double p99) {
    static Latency of(long[] millis, int n) {
      long[] sorted = Arrays.copyOf(millis, n);
      Arrays.sort(sorted);
      return new Latency(
          ScoringBench.percentile(sorted, 0.50), ScoringBench.percentile(sorted, 0.99));
    }
  }

  /**
   * One phase.
   *
   * @param events scores read (one per published event)
   * @param publishedPerSecond publisher rate
   * @param eventsPerSecond events / (last committed score read - first publish)
   * @param scoring publish → score computed (the score record's scoring time)
   * @param committed publish → score read by a read_committed consumer
   * @param otherVersion scores not made by the announced model (fallback)
   */
  public record Phase(
      long events,
      double publishedPerSecond,
      double eventsPerSecond,
      Latency scoring,
      Latency committed,
      long otherVersion) {}

  /** The phases of one run. */
  public record Result(int batchSize, Phase fullSpeed, Phase paced) {}

  private final String bootstrapServers;
  private final Settings settings;

  public EndToEndBench(String bootstrapServers, Settings settings) {
    this.bootstrapServers = bootstrapServers;
    this.settings = settings;
  }

  /**
   * Runs the job with scoring batch size {@code batchSize} on a fresh namespace, with {@code model}
   * (an announcement whose artifact is in a store the job can read) announced first.
   */
  public Result run(int batchSize, ModelAnnouncement model) throws Exception {
    String ns = "bench-b" + batchSize + "-" + System.currentTimeMillis();
    TopicRegistry topics = TopicRegistry.namespaced(ns);
    try (TopicAdmin admin = new TopicAdmin(bootstrapServers)) {
      admin.ensure(topics.all(List.of(Task.FRAUD)));
    }
    try (ModelAnnouncements announcements = new ModelAnnouncements(bootstrapServers, topics)) {
      announcements.announce(model, Duration.ofSeconds(30));
    }
    FraudPipelineSettings pipeline =
        FraudPipelineSettings.builder(bootstrapServers)
            .topics(topics)
            .consumerGroupId(ns + "-job")
            .transactionalIdPrefix(ns)
            .parallelism(settings.parallelism())
            .checkpointInterval(settings.checkpointInterval())
            .transactionTimeout(Duration.ofMinutes(5))
            .scoring(
                ScoringSettings.defaults(Task.FRAUD)
                    .withBatchSize(batchSize)
                    .withMaxWait(settings.maxWait()))
            .build();
    Configuration conf = new Configuration();
    conf.set(PipelineOptions.GENERIC_TYPES, false);
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.createLocalEnvironment(settings.parallelism(), conf);
    JobClient job = KafkaFraudJob.start(env, pipeline);
    String version = String.valueOf(model.getVersion());
    try (FraudCsvReader reader = FraudCsvReader.open(settings.data(), settings.from(), null);
        ScoreReader scores = new ScoreReader(bootstrapServers, topics.scores(Task.FRAUD));
        FraudPublisher publisher =
            new FraudPublisher(topics, FraudPublisher.Settings.defaults(bootstrapServers))) {
      LOG.info("end-to-end, batch {}: warm-up with {} events", batchSize, settings.warmupEvents());
      publisher.publish(limit(reader, settings.warmupEvents(), null), FraudPublisher.Listener.NONE);
      scores.read(settings.warmupEvents(), settings.timeout(), null, null, version);
      LOG.info("end-to-end, batch {}: {} events at full speed", batchSize, settings.events());
      Phase full = phase(reader, publisher, scores, settings.events(), false, version);
      Phase paced = null;
      if (settings.pacedEvents() > 0) {
        LOG.info(
            "end-to-end, batch {}: {} events at {}/s",
            batchSize,
            settings.pacedEvents(),
            settings.pacedRate());
        paced =
            phase(
                reader,
                new FraudPublisher(
                    topics,
                    FraudPublisher.Settings.defaults(bootstrapServers)
                        .withPacing(Pacing.rate(settings.pacedRate()))),
                scores,
                settings.pacedEvents(),
                true,
                version);
      }
      return new Result(batchSize, full, paced);
    } finally {
      job.cancel().get();
    }
  }

  private Phase phase(
      Iterator<LabeledTransaction> reader,
      FraudPublisher publisher,
      ScoreReader scores,
      int events,
      boolean closePublisher,
      String version)
      throws Exception {
    Map<Long, Long> published = new ConcurrentHashMap<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long[] publishWindow = new long[2];
    Thread thread =
        new Thread(
            () -> {
              try {
                publishWindow[0] = System.nanoTime();
                publisher.publish(limit(reader, events, published), FraudPublisher.Listener.NONE);
                publishWindow[1] = System.nanoTime();
              } catch (Throwable t) {
                failure.set(t);
              }
            },
            "bench-publisher");
    long start = System.nanoTime();
    thread.start();
    ScoreReader.Read read = scores.read(events, settings.timeout(), published, failure, version);
    thread.join();
    if (closePublisher) {
      publisher.close();
    }
    if (failure.get() != null) {
      throw new IllegalStateException("publishing failed", failure.get());
    }
    double seconds = (read.lastNanos() - start) / 1e9;
    double publishSeconds = (publishWindow[1] - publishWindow[0]) / 1e9;
    return new Phase(
        read.count(),
        events / publishSeconds,
        read.count() / seconds,
        Latency.of(read.scoringMillis(), read.measured()),
        Latency.of(read.committedMillis(), read.measured()),
        read.otherVersion());
  }

  /** The next {@code n} transactions of {@code source}, recording when each was taken. */
  static Iterator<LabeledTransaction> limit(
      Iterator<LabeledTransaction> source, int n, Map<Long, Long> takenAt) {
    return new Iterator<>() {
      int taken;

      @Override
      public boolean hasNext() {
        return taken < n && source.hasNext();
      }

      @Override
      public LabeledTransaction next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        taken++;
        LabeledTransaction tx = source.next();
        if (takenAt != null) {
          takenAt.put(tx.tx().getTransactionId(), System.currentTimeMillis());
        }
        return tx;
      }
    };
  }

  /** A read_committed reader of the scores topic that keeps its position between phases. */
  static final class ScoreReader implements AutoCloseable {

    record Read(
        long count,
        long lastNanos,
        long[] scoringMillis,
        long[] committedMillis,
        int measured,
        long otherVersion) {}

    private final KafkaConsumer<String, ScoreRecord> consumer;

    ScoreReader(String bootstrapServers, Topic<String, ScoreRecord> topic) {
      Properties p = new Properties();
      p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
      p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
      consumer =
          new KafkaConsumer<>(
              p, topic.keySerde().deserializer(), topic.valueSerde().deserializer());
      List<TopicPartition> partitions = new ArrayList<>();
      for (var info : consumer.partitionsFor(topic.name(), Duration.ofSeconds(30))) {
        partitions.add(new TopicPartition(info.topic(), info.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
    }

    /**
     * Reads {@code n} scores. With {@code publishedAt}, measures the latency of the scores whose
     * event id is in it.
     */
    Read read(
        int n,
        Duration timeout,
        Map<Long, Long> publishedAt,
        AtomicReference<Throwable> publisherFailure,
        String version) {
      long deadline = System.nanoTime() + timeout.toNanos();
      long[] scoring = new long[n];
      long[] committed = new long[n];
      int measured = 0;
      long count = 0;
      long other = 0;
      long last = System.nanoTime();
      while (count < n) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "only " + count + " of " + n + " scores arrived within " + timeout);
        }
        if (publisherFailure != null && publisherFailure.get() != null) {
          throw new IllegalStateException("publishing failed", publisherFailure.get());
        }
        var records = consumer.poll(Duration.ofMillis(100));
        long now = System.currentTimeMillis();
        for (ConsumerRecord<String, ScoreRecord> r : records) {
          ScoreRecord s = r.value();
          count++;
          if (!version.equals(s.getModelVersion())) {
            other++;
          }
          if (publishedAt != null && measured < n) {
            Long at = publishedAt.get(Long.parseLong(s.getEventId()));
            if (at != null) {
              scoring[measured] = s.getScoringTime().toEpochMilli() - at;
              committed[measured] = now - at;
              measured++;
            }
          }
        }
        if (!records.isEmpty()) {
          last = System.nanoTime();
        }
      }
      return new Read(count, last, scoring, committed, measured, other);
    }

    @Override
    public void close() {
      consumer.close(Duration.ofSeconds(5));
    }
  }
}
