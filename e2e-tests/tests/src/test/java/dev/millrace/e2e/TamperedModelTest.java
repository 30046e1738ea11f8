package dev.millrace.e2e;

import static dev.millrace.e2e.FraudE2e.await;
import static dev.millrace.e2e.FraudE2e.everySubtaskCounted;
import static dev.millrace.e2e.FraudE2e.operatorCounter;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.e2e.FraudE2e.Limited;
import dev.millrace.ingest.fraud.FraudGenerator;
import dev.millrace.ingest.fraud.FraudPublisher;
import dev.millrace.pipeline.fraud.FraudFeatures;
import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.pipeline.fraud.KafkaFraudJob;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.scorer.ModelRefusedException;
import dev.millrace.scorer.flink.Scoring;
import dev.millrace.scorer.model.DjlModelLoader;
import dev.millrace.scorer.model.ModelBundle;
import dev.millrace.scorer.model.ModelStore;
import dev.millrace.testkit.FlinkTestCluster;
import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.TestKafka;
import dev.millrace.trainer.ModelAnnouncements;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
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

/**
 * DESIGN §4.3 on the real job: a real model is applied; then two announcements whose artifacts do
 * not match their SHA-256 (bytes changed after hashing; a wrong hash) are refused by the scoring
 * operator, and the first model keeps scoring.
 */
@ExtendWith(KafkaExtension.class)
class TamperedModelTest {

  private static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      FlinkTestCluster.extension(METRICS.addToConfiguration(new Configuration()));

  private static final int PARALLELISM = 2;
  private static final int BATCH = 3_000;
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path dir;

  @Test
  void aTamperedModelIsRefusedAndThePreviousOneKeepsScoring(
      TestKafka kafka, @InjectMiniCluster MiniCluster cluster) throws Exception {
    kafka.createTopics(Task.FRAUD);
    ModelStore store = new ModelStore(dir.resolve("models").toUri());

    // Real models, trained with DJL on generated transactions.
    ModelBundle good = TestModels.train("fraud-good-1", 6_000, 11);
    ModelBundle tampered = TestModels.train("fraud-tampered-2", 6_000, 12);
    ModelBundle wrongHash = TestModels.train("fraud-wrong-hash-3", 6_000, 13);
    ModelAnnouncement goodAnnouncement = TestModels.store(store, good);

    // Tampered: hashed as written, then a byte of the artifact changes.
    ModelAnnouncement tamperedAnnouncement = TestModels.store(store, tampered);
    Path tamperedFile = Path.of(URI.create(tamperedAnnouncement.getArtifactUri()));
    byte[] bytes = Files.readAllBytes(tamperedFile);
    bytes[bytes.length / 2] ^= 0x5A;
    Files.write(tamperedFile, bytes);
    // Intact artifact, but announced with the SHA-256 of another bundle.
    ModelAnnouncement wrongHashAnnouncement = TestModels.store(store, wrongHash);
    wrongHashAnnouncement.setSha256(goodAnnouncement.getSha256());

    // The premise: the loader the job uses refuses both for their checksum, and accepts the good.
    DjlModelLoader loader = new DjlModelLoader();
    loader.load(goodAnnouncement, FraudFeatures.SCHEMA).close();
    for (ModelAnnouncement bad : List.of(tamperedAnnouncement, wrongHashAnnouncement)) {
      assertThatThrownBy(() -> loader.load(bad, FraudFeatures.SCHEMA))
          .isInstanceOfSatisfying(
              ModelRefusedException.class,
              e ->
                  assertThat(e.reason()).isEqualTo(ModelRefusedException.Reason.CHECKSUM_MISMATCH));
    }

    FraudPipelineSettings settings =
        FraudE2e.jobSettings(kafka)
            .parallelism(PARALLELISM)
            .checkpointInterval(Duration.ofSeconds(1))
            .transactionTimeout(Duration.ofMinutes(2))
            .build();
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.getExecutionEnvironment(FlinkTestCluster.configuration());
    JobClient job = KafkaFraudJob.start(env, settings);
    JobID jobId = job.getJobID();
    Limited source =
        new Limited(
            new FraudGenerator(FraudGenerator.Settings.defaults().withSize(500, 1000)), BATCH);
    try (ModelAnnouncements announcements =
            new ModelAnnouncements(kafka.bootstrapServers(), kafka.topics());
        FraudPublisher publisher =
            new FraudPublisher(
                kafka.topics(), FraudPublisher.Settings.defaults(kafka.bootstrapServers()))) {

      // 1. The good model is applied by every scoring subtask, then a first batch is scored.
      announcements.announce(goodAnnouncement, WAIT);
      assertThat(
              await(
                  () ->
                      everySubtaskCounted(
                          METRICS, jobId, Scoring.NAME, "modelsApplied", PARALLELISM, 1),
                  WAIT))
          .as("every scoring subtask applied the good model")
          .isTrue();
      publisher.publish(source, FraudPublisher.Listener.NONE);
      List<ConsumerRecord<String, ScoreRecord>> first =
          kafka.readCommitted(
              kafka.topics().scores(Task.FRAUD), BATCH, WAIT, Duration.ofMillis(500));
      FraudE2e.assertExactlyOneScorePerTransaction(first, BATCH);
      assertThat(FraudE2e.scoresPerVersion(first)).containsOnlyKeys("fraud-good-1");

      // 2. Both bad announcements arrive; every subtask refuses both.
      announcements.announce(tamperedAnnouncement, WAIT);
      announcements.announce(wrongHashAnnouncement, WAIT);
      assertThat(
              await(
                  () ->
                      everySubtaskCounted(
                          METRICS, jobId, Scoring.NAME, "modelsRefused", PARALLELISM, 2),
                  WAIT))
          .as("every scoring subtask refused both bad models")
          .isTrue();
      assertThat(operatorCounter(METRICS, jobId, Scoring.NAME, "modelsApplied"))
          .as("models applied per subtask: only the good one")
          .containsOnly(1L);

      // 3. Transactions sent after the refusals are still scored by the good model.
      source.limit(2 * BATCH);
      publisher.publish(source, FraudPublisher.Listener.NONE);
      List<ConsumerRecord<String, ScoreRecord>> all =
          kafka.readCommitted(
              kafka.topics().scores(Task.FRAUD), 2 * BATCH, WAIT, Duration.ofSeconds(2));
      FraudE2e.assertExactlyOneScorePerTransaction(all, 2 * BATCH);
      assertThat(FraudE2e.scoresPerVersion(all))
          .as("scores per model version")
          .containsOnlyKeys("fraud-good-1");
      assertThat(
              all.stream()
                  .filter(r -> Long.parseLong(r.value().getEventId()) >= BATCH)
                  .map(r -> r.value().getModelVersion())
                  .distinct())
          .containsExactly("fraud-good-1");
      assertThat(operatorCounter(METRICS, jobId, Scoring.NAME, "modelsRefused")).containsOnly(2L);
      FraudE2e.assertNeverRestarted(cluster, jobId);
    } finally {
      job.cancel().get();
    }
  }
}
