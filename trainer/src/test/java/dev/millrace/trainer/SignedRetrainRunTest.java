package dev.millrace.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.scorer.BatchModel;
import dev.millrace.scorer.DeviceChoice;
import dev.millrace.scorer.model.DjlModelLoader;
import dev.millrace.scorer.model.ModelSigning;
import dev.millrace.scorer.model.ModelStore;
import dev.millrace.trainer.Synthetic.Labels;
import dev.millrace.trainer.eval.Slice;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A trainer with a signing key signs every bundle it promotes, and the signature is in the store
 * before the announcement goes out; real DJL training, a real folder store and real Ed25519 keys.
 */
class SignedRetrainRunTest {

  @TempDir Path dir;

  @Test
  void aPromotedBundleIsSignedBeforeItIsAnnouncedAndTheSignatureVerifies() throws Exception {
    KeyPair keys = ModelSigning.generate();
    ModelSigning.write(keys, dir.resolve("keys"), "model-signing");
    TrainerSettings settings =
        RetrainRunTest.settings(dir)
            .withSigningKey(
                ModelSigning.Signer.read(dir.resolve("keys").resolve("model-signing.key")));
    ModelStore store = new ModelStore(settings.modelStore());
    ModelSigning.Verifier verifier =
        ModelSigning.Verifier.read(dir.resolve("keys").resolve("model-signing.pub"));
    List<Boolean> signedAtAnnouncement = new ArrayList<>();
    List<ModelAnnouncement> announced = new ArrayList<>();
    RetrainRun run =
        new RetrainRun(
            settings,
            store,
            new DjlModelLoader(),
            a -> {
              // what a scorer would find the moment the announcement arrives
              URI bundle = URI.create(a.getArtifactUri());
              try {
                signedAtAnnouncement.add(
                    verifier.verify(
                        Files.readAllBytes(Path.of(bundle)), ModelStore.readSignature(bundle)));
              } catch (java.io.IOException e) {
                signedAtAnnouncement.add(false);
              }
              announced.add(a);
            },
            Clock.systemUTC());

    Slice window = Synthetic.window(2_000, 2_000, Labels.INFORMATIVE, Labels.INFORMATIVE, 1);
    RetrainRun.Outcome outcome = run.run(window, "fraud-signed-1", "test", null);

    assertThat(outcome.record().decision())
        .as(outcome.record().reason())
        .isEqualTo(RunDecision.PROMOTED);
    assertThat(announced).hasSize(1);
    assertThat(signedAtAnnouncement)
        .as("signature present and valid when announced")
        .containsExactly(true);
    URI bundle = URI.create(announced.get(0).getArtifactUri());
    assertThat(Path.of(ModelSigning.signatureOf(bundle))).exists();

    // The scorer with the trainer's public key applies it; with another key it refuses it.
    DjlModelLoader verifying =
        new DjlModelLoader(DeviceChoice.AUTO, DjlModelLoader.DEFAULT_MAX_ARTIFACT_BYTES, verifier);
    try (BatchModel model = verifying.load(announced.get(0), settings.featureSchema())) {
      assertThat(model.version()).isEqualTo("fraud-signed-1");
    }
    ModelSigning.Verifier other =
        new ModelSigning.Verifier(ModelSigning.pem(ModelSigning.generate().getPublic()));
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> verifying.withVerifier(other).load(announced.get(0), settings.featureSchema()))
        .isInstanceOfSatisfying(
            dev.millrace.scorer.ModelRefusedException.class,
            e ->
                assertThat(e.reason())
                    .isEqualTo(dev.millrace.scorer.ModelRefusedException.Reason.BAD_SIGNATURE));
  }

  @Test
  void withoutASigningKeyNoSignatureIsWritten() {
    TrainerSettings settings = RetrainRunTest.settings(dir);
    assertThat(settings.signingKey()).isNull();
    List<ModelAnnouncement> announced = new ArrayList<>();
    RetrainRun run =
        new RetrainRun(
            settings,
            new ModelStore(settings.modelStore()),
            new DjlModelLoader(),
            announced::add,
            Clock.systemUTC());
    Slice window = Synthetic.window(2_000, 2_000, Labels.INFORMATIVE, Labels.INFORMATIVE, 1);
    assertThat(run.run(window, "fraud-unsigned-1", "test", null).record().decision())
        .isEqualTo(RunDecision.PROMOTED);
    URI bundle = URI.create(announced.get(0).getArtifactUri());
    assertThat(Path.of(bundle)).exists();
    assertThat(Path.of(ModelSigning.signatureOf(bundle))).doesNotExist();
  }
}
