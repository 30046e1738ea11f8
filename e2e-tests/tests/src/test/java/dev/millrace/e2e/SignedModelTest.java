package dev.millrace.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.pipeline.fraud.FraudFeatures;
import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.pipeline.fraud.KafkaFraudJob;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.Task;
import dev.millrace.scorer.ModelRefusedException;
import dev.millrace.scorer.ModelRefusedException.Reason;
import dev.millrace.scorer.model.DjlModelLoader;
import dev.millrace.scorer.model.ModelBundle;
import dev.millrace.scorer.model.ModelSigning;
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
 * Model signing on the real job: the job runs with the trainer's public key (from a PEM file, as
 * {@code millrace pipeline --model-public-key} reads it, carried into the job in its settings). A
 * model signed with the trainer's private key is applied; an unsigned one and one signed with
 * another key, both with a true SHA-256 in their announcements, are refused by every scoring
 * subtask, and the first model keeps scoring.
 */
@ExtendWith(KafkaExtension.class)
class SignedModelTest {

  private static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      FlinkTestCluster.extension(METRICS.addToConfiguration(new Configuration()));

  private static final int PARALLELISM = 2;
  private static final int BATCH = 3_000;
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path dir;

  @Test
  void onlyModelsSignedWithTheTrainersKeyAreApplied(
      TestKafka kafka, @InjectMiniCluster MiniCluster cluster) throws Exception {
    kafka.createTopics(Task.FRAUD);
    ModelStore store = new ModelStore(dir.resolve("models").toUri());
    Path keys = dir.resolve("keys");
    ModelSigning.write(ModelSigning.generate(), keys, "model-signing");
    ModelSigning.Signer trainer = ModelSigning.Signer.read(keys.resolve("model-signing.key"));
    ModelSigning.Signer stranger = new ModelSigning.Signer(ModelSigning.generate().getPrivate());

    // Real models, trained with DJL on generated transactions.
    ModelAnnouncement good = stored(store, TestModels.train("fraud-signed-1", 6_000, 21), trainer);
    ModelAnnouncement unsigned =
        stored(store, TestModels.train("fraud-unsigned-2", 6_000, 22), null);
    ModelAnnouncement foreign =
        stored(store, TestModels.train("fraud-foreign-3", 6_000, 23), stranger);
    assertThat(Path.of(ModelSigning.signatureOf(URI.create(unsigned.getArtifactUri()))))
        .doesNotExist();
    assertThat(Path.of(ModelSigning.signatureOf(URI.create(foreign.getArtifactUri())))).exists();

    FraudPipelineSettings settings =
        FraudE2e.jobSettings(kafka)
            .parallelism(PARALLELISM)
            .checkpointInterval(Duration.ofSeconds(1))
            .transactionTimeout(Duration.ofMinutes(2))
            .modelVerifier(ModelSigning.Verifier.read(keys.resolve("model-signing.pub")))
            .build();

    // The premise: the loader the job builds from these settings applies the signed model and
    // refuses the other two, for the reasons the scoring operator counts and logs.
    DjlModelLoader loader = KafkaFraudJob.loader(settings);
    loader.load(good, FraudFeatures.SCHEMA).close();
    assertThatThrownBy(() -> loader.load(unsigned, FraudFeatures.SCHEMA))
        .isInstanceOfSatisfying(
            ModelRefusedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNSIGNED));
    assertThatThrownBy(() -> loader.load(foreign, FraudFeatures.SCHEMA))
        .isInstanceOfSatisfying(
            ModelRefusedException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE));

    FraudE2e.assertBadModelsRefusedWhileTheGoodOneScores(
        kafka, cluster, METRICS, settings, good, List.of(unsigned, foreign), BATCH, WAIT);
  }

  /** Stores the bundle, signed by {@code signer} unless null; its announcement, true SHA-256. */
  private static ModelAnnouncement stored(
      ModelStore store, ModelBundle bundle, ModelSigning.Signer signer) throws Exception {
    URI uri = store.put(bundle, signer);
    assertThat(Files.exists(Path.of(uri))).isTrue();
    return TestModels.announcement(bundle, uri, store.sha256(uri));
  }
}
