package dev.millrace.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.pipeline.fraud.FraudFeatures;
import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.Task;
import dev.millrace.scorer.ModelRefusedException;
import dev.millrace.scorer.model.DjlModelLoader;
import dev.millrace.scorer.model.ModelBundle;
import dev.millrace.scorer.model.ModelStore;
import dev.millrace.testkit.FlinkTestCluster;
import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.TestKafka;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
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
    FraudE2e.assertBadModelsRefusedWhileTheGoodOneScores(
        kafka,
        cluster,
        METRICS,
        settings,
        goodAnnouncement,
        List.of(tamperedAnnouncement, wrongHashAnnouncement),
        BATCH,
        WAIT);
  }
}
