package dev.millrace.e2e;

import static dev.millrace.e2e.FraudE2e.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.e2e.FraudE2e.Limited;
import dev.millrace.ingest.Pacing;
import dev.millrace.ingest.fraud.FraudGenerator;
import dev.millrace.ingest.fraud.FraudPublisher;
import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.pipeline.fraud.KafkaFraudJob;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.scorer.flink.Scoring;
import dev.millrace.scorer.model.ModelStore;
import dev.millrace.testkit.FlinkTestCluster;
import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.TestKafka;
import dev.millrace.trainer.ModelAnnouncements;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
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
 * DESIGN §4.1 through a real failure: while transactions flow, after at least one completed
 * checkpoint (and committed scores), the MiniCluster's only TaskManager is terminated and a new one
 * started; the job restarts from its last checkpoint (fixed-delay restart strategy) and, read with
 * read_committed, every transaction still has exactly one score, every poison record exactly one
 * dead letter, and every matured transaction exactly one training example. A real model is applied
 * before the first transaction; it lives in the job's broadcast state, so every score, before and
 * after the failover, names it.
 */
@ExtendWith(KafkaExtension.class)
class FailureRecoveryTest {

  private static final Logger LOG = LoggerFactory.getLogger(FailureRecoveryTest.class);

  private static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      FlinkTestCluster.extension(METRICS.addToConfiguration(new Configuration()));

  private static final int TRANSACTIONS = 24_000;
  private static final double RATE = 1_200;
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final Duration LABEL_DELAY = Duration.ofDays(1);
  private static final String MODEL = "fraud-recovery-1";

  @TempDir Path dir;

  @Test
  void exactlyOneScorePerTransactionAcrossATaskManagerFailure(
      TestKafka kafka, @InjectMiniCluster MiniCluster cluster) throws Exception {
    kafka.createTopics(Task.FRAUD);
    FraudPipelineSettings settings =
        FraudE2e.jobSettings(kafka)
            .parallelism(2)
            .checkpointInterval(Duration.ofSeconds(1))
            .transactionTimeout(Duration.ofMinutes(2))
            .labelDelay(LABEL_DELAY)
            .build();
    // A real model, trained with DJL, is applied by both scoring subtasks before any transaction
    // flows; the job keeps it in broadcast state, so after the failover it must still score.
    ModelStore store = new ModelStore(dir.resolve("models").toUri());
    ModelAnnouncement model = TestModels.store(store, TestModels.train(MODEL, 6_000, 21));
    Configuration conf = FlinkTestCluster.configuration();
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 5);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(500));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    JobClient job = KafkaFraudJob.start(env, settings);
    JobID jobId = job.getJobID();
    try (ModelAnnouncements announcements =
        new ModelAnnouncements(kafka.bootstrapServers(), kafka.topics())) {
      announcements.announce(model, WAIT);
    }
    assertThat(
            await(() -> FraudE2e.everySubtaskServes(METRICS, jobId, Scoring.NAME, 2, MODEL), WAIT))
        .as("both scoring subtasks serve %s", MODEL)
        .isTrue();

    Limited source =
        new Limited(
            new FraudGenerator(FraudGenerator.Settings.defaults().withSize(1_000, 2_000)),
            TRANSACTIONS);
    ExecutorService publishing = Executors.newSingleThreadExecutor();
    FraudPublisher.Counts counts;
    try (FraudPublisher publisher =
        new FraudPublisher(
            kafka.topics(),
            FraudPublisher.Settings.defaults(kafka.bootstrapServers())
                .withLabelDelay(LABEL_DELAY)
                .withPacing(Pacing.rate(RATE))
                .withPoison(0.01, 3))) {
      Future<FraudPublisher.Counts> published =
          publishing.submit(() -> publisher.publish(source, FraudPublisher.Listener.NONE));

      // Mid-stream, after a completed checkpoint whose scores are committed.
      assertThat(
              await(
                  () -> completedCheckpoints(cluster, jobId) >= 1 && source.handedOut() >= 6_000,
                  WAIT))
          .as("a checkpoint completed while transactions flow")
          .isTrue();
      List<ConsumerRecord<String, ScoreRecord>> before =
          kafka.readCommitted(kafka.topics().scores(Task.FRAUD), 1, WAIT, Duration.ofMillis(200));
      assertThat(before).as("scores committed before the failure").isNotEmpty();
      long sentBeforeFailure = source.handedOut();
      assertThat(sentBeforeFailure).isLessThan(TRANSACTIONS - 5_000);

      LOG.info(
          "terminating the TaskManager after {} transactions, {} completed checkpoints",
          sentBeforeFailure,
          completedCheckpoints(cluster, jobId));
      cluster.terminateTaskManager(0).get(60, TimeUnit.SECONDS);
      cluster.startTaskManager();

      assertThat(
              await(
                  () -> {
                    AccessExecutionGraph g = graph(cluster, jobId);
                    return g != null
                        && g.getState() == JobStatus.RUNNING
                        && FraudE2e.maxAttemptNumber(g) >= 1;
                  },
                  WAIT))
          .as("the job restarted on the new TaskManager")
          .isTrue();
      counts = published.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } finally {
      publishing.shutdownNow();
    }
    LOG.info("published {}", counts);

    try {
      assertThat(counts.events()).isEqualTo(TRANSACTIONS);
      List<ConsumerRecord<String, ScoreRecord>> scores =
          kafka.readCommitted(
              kafka.topics().scores(Task.FRAUD), TRANSACTIONS, WAIT, Duration.ofSeconds(3));
      FraudE2e.assertExactlyOneScorePerTransaction(scores, TRANSACTIONS);
      assertThat(FraudE2e.scoresPerVersion(scores))
          .as("scores per model version, before and after the failover")
          .containsOnlyKeys(MODEL);

      List<ConsumerRecord<String, TrainingExample>> training =
          kafka.readCommitted(
              kafka.topics().training(Task.FRAUD),
              Integer.MAX_VALUE,
              Duration.ofSeconds(5),
              Duration.ZERO);
      assertThat(training)
          .as("training examples carry the model that scored them")
          .allMatch(r -> MODEL.equals(String.valueOf(r.value().getModelVersion())));
      FraudE2e.assertTrainingExamplesExactlyOnce(training, scores, 0);

      List<ConsumerRecord<byte[], DeadLetter>> dlq =
          kafka.readCommitted(
              kafka.topics().dlq(Task.FRAUD),
              Math.toIntExact(counts.poison()),
              WAIT,
              Duration.ofSeconds(2));
      assertThat(dlq).hasSize(Math.toIntExact(counts.poison()));
      assertThat(
              dlq.stream()
                  .map(r -> r.value().getSourcePartition() + "@" + r.value().getSourceOffset())
                  .distinct())
          .as("one dead letter per poison record")
          .hasSize(Math.toIntExact(counts.poison()));
      assertThat(scores.size() + dlq.size())
          .isEqualTo(FraudE2e.recordsIn(kafka, kafka.topics().fraudEvents()));

      AccessExecutionGraph g = graph(cluster, jobId);
      assertThat(g.getState()).isEqualTo(JobStatus.RUNNING);
      assertThat(FraudE2e.maxAttemptNumber(g)).as("attempts after the failure").isGreaterThan(0);
    } finally {
      job.cancel().get();
    }
  }

  private static AccessExecutionGraph graph(MiniCluster cluster, JobID job) {
    try {
      return cluster.getExecutionGraph(job).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      return null;
    }
  }

  private static long completedCheckpoints(MiniCluster cluster, JobID job) {
    AccessExecutionGraph g = graph(cluster, job);
    if (g == null || g.getCheckpointStatsSnapshot() == null) {
      return 0;
    }
    return g.getCheckpointStatsSnapshot().getCounts().getNumberOfCompletedCheckpoints();
  }
}
