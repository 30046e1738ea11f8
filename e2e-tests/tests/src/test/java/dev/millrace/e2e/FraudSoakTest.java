package dev.millrace.e2e;

import static dev.millrace.e2e.FraudE2e.operatorCounter;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.millrace.ingest.Pacing;
import dev.millrace.ingest.fraud.FraudCsvReader;
import dev.millrace.ingest.fraud.FraudPublisher;
import dev.millrace.ingest.fraud.LabeledTransaction;
import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.pipeline.fraud.KafkaFraudJob;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.scorer.flink.Scoring;
import dev.millrace.scorer.flink.ScoringSettings;
import dev.millrace.testkit.FlinkTestCluster;
import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.SharedDatasets;
import dev.millrace.testkit.TestKafka;
import dev.millrace.trainer.TrainerService;
import dev.millrace.trainer.TrainerSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.checkpoint.CompletedCheckpointStats;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The soak test (DESIGN §4.6): real data, replayed at full speed, through a real broker, the fraud
 * job on a MiniCluster and the real trainer. The handbook's dev file from {@value #FROM} on, for
 * {@code millrace.soak.days} days (default {@value #DEFAULT_DAYS}; the {@code soak} Maven profile
 * runs a month), published as fast as the broker takes it ({@code millrace.soak.speed}, default
 * {@code max}) with fraud labels 7 days of event time after their transaction, while the job reads
 * a growing backlog.
 *
 * <p>Checks: the job never restarts; exactly one score per transaction (read_committed); every
 * training example that matured carries the file's label, so positive examples equal the fraud
 * labels of the transactions whose examples came out, and every transaction older than the last one
 * by more than the label delay plus a day has its example; at least two models promoted and applied
 * on every scoring subtask; backlog scores name promoted models only. Then the trainer stops and
 * one more day of the file is published: every one of its scores names the last promoted model (the
 * hot swap reached the scores without a restart). The last checkpoint's size is printed.
 *
 * <p>Skipped when {@code shared/datasets} is absent.
 */
@ExtendWith(KafkaExtension.class)
class FraudSoakTest {

  private static final Logger LOG = LoggerFactory.getLogger(FraudSoakTest.class);

  private static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      FlinkTestCluster.extension(METRICS.addToConfiguration(new Configuration()));

  static final String FROM = "2018-07-01T00:00:00Z";
  static final int DEFAULT_DAYS = 21;
  private static final int PARALLELISM = 2;
  private static final Duration LABEL_DELAY = Duration.ofDays(7);
  private static final Duration WAIT = Duration.ofMinutes(3);

  @TempDir Path dir;

  @Test
  void monthOfRealDataAtFullSpeed(TestKafka kafka, @InjectMiniCluster MiniCluster cluster)
      throws Exception {
    Path file = SharedDatasets.find(SharedDatasets.FRAUD_FDH).orElse(null);
    assumeTrue(file != null, "shared/datasets/" + SharedDatasets.FRAUD_FDH + " is absent");
    int days = Integer.getInteger("millrace.soak.days", DEFAULT_DAYS);
    String speed = System.getProperty("millrace.soak.speed", "max");
    Instant from = Instant.parse(FROM);
    Instant to = from.plus(Duration.ofDays(days));
    kafka.createTopics(Task.FRAUD);

    FraudPipelineSettings settings =
        FraudE2e.jobSettings(kafka)
            .parallelism(PARALLELISM)
            .checkpointInterval(Duration.ofSeconds(2))
            .labelDelay(LABEL_DELAY)
            .scoring(ScoringSettings.defaults(Task.FRAUD).withBatchSize(128))
            .checkpointDir(dir.resolve("checkpoints").toString()) // RocksDB, as in production
            .build();
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.getExecutionEnvironment(FlinkTestCluster.configuration());
    JobClient job = KafkaFraudJob.start(env, settings);
    JobID jobId = job.getJobID();

    // A max-speed replay outruns the trainer's defaults: retrain every few thousand examples; the
    // CI default replays 21 days, too few for the full 7-day evaluation gap.
    TrainerSettings trainerSettings =
        FraudE2e.trainerSettings(kafka, dir)
            .withRetrain(5_000, Duration.ofSeconds(5))
            .withWindow(300_000, 0.2, 2_000)
            .withEvaluation(FraudE2e.shortGapEvaluation());
    TrainerService trainer = new TrainerService(trainerSettings).startThread();
    try {
      assertThat(trainer.awaitStarted(WAIT)).isTrue();

      Map<String, Boolean> fraudById = new HashMap<>();
      Map<String, Instant> timeById = new HashMap<>();
      long started = System.nanoTime();
      FraudPublisher.Counts counts;
      Pacing pacing = Pacing.parseSpeed(speed);
      try (FraudCsvReader reader = FraudCsvReader.open(file, from, to);
          FraudPublisher publisher =
              new FraudPublisher(
                  kafka.topics(),
                  FraudPublisher.Settings.defaults(kafka.bootstrapServers())
                      .withLabelDelay(LABEL_DELAY)
                      .withPacing(pacing))) {
        counts =
            publisher.publish(
                recording(
                    reader,
                    tx -> {
                      String id = Long.toString(tx.tx().getTransactionId());
                      fraudById.put(id, tx.fraud());
                      timeById.put(id, tx.eventTime());
                    }),
                FraudPublisher.Listener.NONE);
      }
      double publishSeconds = (System.nanoTime() - started) / 1e9;
      LOG.info(
          "published {} in {} s ({} tx/s)",
          counts,
          String.format("%.1f", publishSeconds),
          Math.round(counts.events() / publishSeconds));
      assertThat(counts.events()).isEqualTo(fraudById.size());

      List<ConsumerRecord<String, ScoreRecord>> scores =
          kafka.readCommitted(
              kafka.topics().scores(Task.FRAUD),
              Math.toIntExact(counts.events()),
              WAIT,
              Duration.ofSeconds(3));
      double scoredSeconds = (System.nanoTime() - started) / 1e9;
      assertExactlyOnce(scores.stream().map(r -> r.value().getEventId()).toList(), fraudById);

      // Examples mature at transaction time + delay + grace, on the slower of the two inputs'
      // event time: everything older than the last transaction by the delay plus a day is due.
      Instant last = timeById.values().stream().max(Instant::compareTo).orElseThrow();
      Instant dueBefore = last.minus(LABEL_DELAY).minus(Duration.ofDays(1));
      long due = timeById.values().stream().filter(t -> t.isBefore(dueBefore)).count();
      List<ConsumerRecord<String, TrainingExample>> examples =
          kafka.readCommitted(
              kafka.topics().training(Task.FRAUD),
              Math.toIntExact(due),
              WAIT,
              Duration.ofSeconds(5));
      Set<String> exampleIds = new HashSet<>();
      long positives = 0;
      long fraudsOfExamples = 0;
      List<String> wrongLabels = new ArrayList<>();
      for (ConsumerRecord<String, TrainingExample> r : examples) {
        String id = r.value().getEventId();
        assertThat(exampleIds.add(id)).as("example %s emitted once", id).isTrue();
        Boolean fraud = fraudById.get(id);
        assertThat(fraud).as("example %s is of a transaction sent", id).isNotNull();
        boolean positive = r.value().getLabel() == 1.0;
        positives += positive ? 1 : 0;
        fraudsOfExamples += fraud ? 1 : 0;
        if (positive != fraud) {
          wrongLabels.add(id + (fraud ? " (fraud labelled 0)" : " (genuine labelled 1)"));
        }
      }
      long dueMissing =
          timeById.entrySet().stream()
              .filter(e -> e.getValue().isBefore(dueBefore) && !exampleIds.contains(e.getKey()))
              .count();
      LOG.info(
          "training examples {} (due at least {}), positives {}, frauds among them {}",
          examples.size(),
          due,
          positives,
          fraudsOfExamples);
      assertThat(wrongLabels).as("examples whose label differs from the file").isEmpty();
      assertThat(positives).as("positive examples = fraud labels").isEqualTo(fraudsOfExamples);
      assertThat(positives).as("some frauds reached training").isPositive();
      assertThat(dueMissing).as("matured transactions without an example").isZero();

      // Which models the backlog's scores name depends on how fast training keeps up with a
      // full-speed replay, so the hot swap is proven after it: once two models are promoted, the
      // trainer stops, every scoring subtask serves the last one, and one more day of the file is
      // published: each of its scores must name that model, with no restart in between.
      assertThat(FraudE2e.await(() -> FraudE2e.promotedVersions(trainer).size() >= 2, WAIT))
          .as(
              "two models promoted within %s; promoted %s",
              WAIT, FraudE2e.promotedVersions(trainer))
          .isTrue();
      trainer.close();
      List<String> promoted = FraudE2e.promotedVersions(trainer);
      String newest = promoted.get(promoted.size() - 1);
      assertThat(
              FraudE2e.await(
                  () ->
                      FraudE2e.everySubtaskServes(
                          METRICS, jobId, Scoring.NAME, PARALLELISM, newest),
                  WAIT))
          .as("every scoring subtask serves %s within %s", newest, WAIT)
          .isTrue();
      Map<String, Boolean> nextDay = new HashMap<>();
      try (FraudCsvReader reader = FraudCsvReader.open(file, to, to.plus(Duration.ofDays(1)));
          FraudPublisher publisher =
              new FraudPublisher(
                  kafka.topics(),
                  FraudPublisher.Settings.defaults(kafka.bootstrapServers())
                      .withLabelDelay(LABEL_DELAY))) {
        publisher.publish(
            recording(
                reader, tx -> nextDay.put(Long.toString(tx.tx().getTransactionId()), tx.fraud())),
            FraudPublisher.Listener.NONE);
      }
      assertThat(nextDay).as("transactions of the day after").isNotEmpty();
      List<ConsumerRecord<String, ScoreRecord>> allScores =
          kafka.readCommitted(
              kafka.topics().scores(Task.FRAUD),
              Math.toIntExact(counts.events() + nextDay.size()),
              WAIT,
              Duration.ofSeconds(3));
      Map<String, Boolean> everything = new HashMap<>(fraudById);
      everything.putAll(nextDay);
      assertExactlyOnce(allScores.stream().map(r -> r.value().getEventId()).toList(), everything);
      Map<String, Long> nextDayVersions =
          FraudE2e.scoresPerVersion(
              allScores.stream().filter(r -> nextDay.containsKey(r.value().getEventId())).toList());

      Map<String, Long> perVersion = FraudE2e.scoresPerVersion(scores);
      List<String> named =
          perVersion.keySet().stream()
              .filter(v -> !v.equals(ScoringSettings.Fallback.DEFAULT_VERSION))
              .toList();
      AccessExecutionGraph graph = cluster.getExecutionGraph(jobId).get(30, TimeUnit.SECONDS);
      CompletedCheckpointStats checkpoint =
          graph.getCheckpointStatsSnapshot().getHistory().getLatestCompletedCheckpoint();
      String summary =
          String.format(
              "soak: %d days from %s at speed %s: %,d transactions published in %.1f s, all"
                  + " scored after %.1f s (%,.0f tx/s); %,d examples, %,d positive; promoted %s;"
                  + " backlog scores per version %s; the day after %,d scores per version %s;"
                  + " last checkpoint %s",
              days,
              from,
              speed,
              counts.events(),
              publishSeconds,
              scoredSeconds,
              counts.events() / scoredSeconds,
              examples.size(),
              positives,
              promoted,
              perVersion,
              nextDay.size(),
              nextDayVersions,
              checkpoint == null
                  ? "none"
                  : String.format(
                      "#%d %,d bytes (%,d incremental) in %d ms",
                      checkpoint.getCheckpointId(),
                      checkpoint.getStateSize(),
                      checkpoint.getCheckpointedSize(),
                      checkpoint.getEndToEndDuration()));
      System.out.println(summary);
      LOG.info(summary);

      assertThat(checkpoint).as("a completed checkpoint").isNotNull();
      assertThat(nextDayVersions)
          .as("scores of the day after, per model version")
          .containsOnlyKeys(newest);
      assertThat(promoted).as("backlog scores name promoted models only").containsAll(named);
      assertThat(operatorCounter(METRICS, jobId, Scoring.NAME, "modelsApplied"))
          .as("models applied per scoring subtask")
          .hasSize(PARALLELISM)
          .allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(2));
      FraudE2e.assertNeverRestarted(cluster, jobId);
    } finally {
      trainer.close();
      job.cancel().get();
    }
  }

  /** The reader's transactions, each handed to {@code seen} as the publisher takes it. */
  private static Iterator<LabeledTransaction> recording(
      FraudCsvReader reader, java.util.function.Consumer<LabeledTransaction> seen) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return reader.hasNext();
      }

      @Override
      public LabeledTransaction next() {
        LabeledTransaction tx = reader.next();
        seen.accept(tx);
        return tx;
      }
    };
  }

  /** Each id of {@code expected} exactly once in {@code ids}, nothing else. */
  private static void assertExactlyOnce(List<String> ids, Map<String, Boolean> expected) {
    Map<String, Integer> seen = new HashMap<>();
    ids.forEach(id -> seen.merge(id, 1, Integer::sum));
    assertThat(seen.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey))
        .as("transactions scored more than once")
        .isEmpty();
    assertThat(expected.keySet().stream().filter(id -> !seen.containsKey(id)))
        .as("transactions without a score")
        .isEmpty();
    assertThat(seen.keySet().stream().filter(id -> !expected.containsKey(id)))
        .as("scores of transactions never sent")
        .isEmpty();
  }
}
