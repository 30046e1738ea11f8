package dev.millrace.e2e;

import static dev.millrace.e2e.FraudE2e.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.e2e.FraudE2e.Limited;
import dev.millrace.ingest.Pacing;
import dev.millrace.ingest.fraud.FraudGenerator;
import dev.millrace.ingest.fraud.FraudPublisher;
import dev.millrace.ingest.fraud.LabeledTransaction;
import dev.millrace.ops.local.JobWatch;
import dev.millrace.ops.local.LocalFlink;
import dev.millrace.pipeline.Checkpoints;
import dev.millrace.pipeline.StateBackendChoice;
import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.TestKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code millrace pipeline} stopped mid-replay and started again (the same {@link LocalFlink} code
 * path, RocksDB state, filesystem checkpoints retained on cancel): the second run resumes from the
 * first run's latest completed checkpoint while transactions keep arriving, and read with
 * read_committed every transaction has exactly one score and, as far as labels have matured,
 * exactly one training example; nothing is lost or doubled across the stop.
 */
@ExtendWith(KafkaExtension.class)
class StopAndStartMidReplayTest {

  private static final Logger LOG = LoggerFactory.getLogger(StopAndStartMidReplayTest.class);

  private static final int TRANSACTIONS = 14_000;
  private static final int HOLD_AT = 5_000;
  private static final double RATE = 1_000;
  private static final Duration LABEL_DELAY = Duration.ofDays(1);
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path checkpoints;

  @Test
  void theRestartedPipelineContinuesFromItsCheckpointWithoutLossOrDuplicates(TestKafka kafka)
      throws Exception {
    kafka.createTopics(Task.FRAUD);
    FraudPipelineSettings settings =
        FraudE2e.jobSettings(kafka)
            .parallelism(2)
            .checkpointInterval(Duration.ofSeconds(1))
            .labelDelay(LABEL_DELAY)
            .stateBackend(StateBackendChoice.ROCKSDB)
            .checkpointDir(checkpoints.toString())
            .build();
    List<String> console = new CopyOnWriteArrayList<>();

    Limited source =
        new Limited(
            new FraudGenerator(FraudGenerator.Settings.defaults().withSize(1_000, 2_000)),
            TRANSACTIONS);
    CountDownLatch gate = new CountDownLatch(1);
    Iterator<LabeledTransaction> gated =
        new Iterator<>() {
          @Override
          public boolean hasNext() {
            if (source.handedOut() == HOLD_AT) {
              try {
                gate.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
              }
            }
            return source.hasNext();
          }

          @Override
          public LabeledTransaction next() {
            return source.next();
          }
        };
    ExecutorService publishing = Executors.newSingleThreadExecutor();
    try (FraudPublisher publisher =
        new FraudPublisher(
            kafka.topics(),
            FraudPublisher.Settings.defaults(kafka.bootstrapServers())
                .withLabelDelay(LABEL_DELAY)
                .withPacing(Pacing.rate(RATE)))) {
      assertThat(Checkpoints.latest(settings.checkpointDir())).as("nothing retained yet").isEmpty();
      LocalFlink first = LocalFlink.startFraud(settings, 0, Optional.empty(), console::add);
      Future<FraudPublisher.Counts> published =
          publishing.submit(() -> publisher.publish(gated, FraudPublisher.Listener.NONE));

      // Mid-replay, after checkpoints whose output is committed, while transactions flow again:
      // stop as Ctrl-C does (cancel); the replay goes on while the pipeline is down.
      assertThat(
              await(
                  () -> first.health().completedCheckpoints() >= 2 && source.handedOut() >= HOLD_AT,
                  WAIT))
          .as("checkpoints completed")
          .isTrue();
      gate.countDown();
      assertThat(await(() -> source.handedOut() >= HOLD_AT + 500, WAIT)).isTrue();
      JobWatch.Health beforeStop = first.health();
      first.close();
      long sentAtStop = source.handedOut();
      assertThat(first.status()).isEqualTo(JobStatus.CANCELED);
      int trainingBeforeStop =
          kafka
              .readCommitted(
                  kafka.topics().training(Task.FRAUD), 0, Duration.ZERO, Duration.ofSeconds(2))
              .size();
      LOG.info(
          "stopped after {} transactions sent, {} training examples committed, {}",
          sentAtStop,
          trainingBeforeStop,
          beforeStop.summary());
      assertThat(sentAtStop).as("stopped mid-replay").isLessThan(TRANSACTIONS - 2_000);

      Checkpoints.Retained retained = Checkpoints.latest(settings.checkpointDir()).orElseThrow();
      assertThat(retained.jobId()).isEqualTo(first.job().getJobID().toString());
      assertThat(retained.checkpointId()).isGreaterThanOrEqualTo(beforeStop.checkpoint().id());

      try (LocalFlink second =
          LocalFlink.startFraud(settings, 0, Optional.of(retained), console::add)) {
        assertThat(await(() -> second.health().restoredFrom() != null, WAIT))
            .as("the second run restored a checkpoint")
            .isTrue();
        assertThat(second.health().restoredFrom()).contains("chk-" + retained.checkpointId());
        assertThat(second.health().stateBackend()).containsIgnoringCase("rocksdb");

        FraudPublisher.Counts counts = published.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(counts.events()).isEqualTo(TRANSACTIONS);

        List<ConsumerRecord<String, ScoreRecord>> scores =
            kafka.readCommitted(
                kafka.topics().scores(Task.FRAUD), TRANSACTIONS, WAIT, Duration.ofSeconds(3));
        FraudE2e.assertExactlyOneScorePerTransaction(scores, TRANSACTIONS);

        List<ConsumerRecord<String, TrainingExample>> training =
            kafka.readCommitted(
                kafka.topics().training(Task.FRAUD),
                Integer.MAX_VALUE,
                Duration.ofSeconds(5),
                Duration.ZERO);
        FraudE2e.assertTrainingExamplesExactlyOnce(training, scores, trainingBeforeStop);
        assertThat(second.health().restarts()).as("no failover in either run").isZero();
        assertThat(console).as("no failover lines").isEmpty();
        LOG.info("second run: {}", second.health().summary());
      }
    } finally {
      publishing.shutdownNow();
    }
  }
}
