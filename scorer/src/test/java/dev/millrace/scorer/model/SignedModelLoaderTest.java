package dev.millrace.scorer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.scorer.BatchModel;
import dev.millrace.scorer.DeviceChoice;
import dev.millrace.scorer.FeatureSchema;
import dev.millrace.scorer.ModelRefusedException;
import dev.millrace.scorer.ModelRefusedException.Reason;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DjlModelLoader} with the scorer's public key: only bundles signed by the matching private
 * key load; unsigned, wrongly signed and changed-after-signing bundles are refused. Real bundles
 * (DJL parameters + manifest) in a real folder store, real Ed25519 keys.
 */
class SignedModelLoaderTest {

  @TempDir Path dir;
  private final FeatureSchema schema = new FeatureSchema(TestModels.FEATURES);
  private ModelStore store;
  private KeyPair trainer;
  private DjlModelLoader loader;

  @BeforeEach
  void keys() throws Exception {
    store = new ModelStore(dir.toUri());
    trainer = ModelSigning.generate();
    ModelSigning.Verifier verifier =
        new ModelSigning.Verifier(ModelSigning.pem(trainer.getPublic()));
    loader =
        new DjlModelLoader(DeviceChoice.AUTO, DjlModelLoader.DEFAULT_MAX_ARTIFACT_BYTES, verifier);
  }

  private ModelAnnouncement announce(String version, URI uri) throws Exception {
    return TestModels.announcement(version, uri, store.sha256(uri), schema.fingerprint());
  }

  private static Reason reasonOf(Throwable e) {
    return ((ModelRefusedException) e).reason();
  }

  @Test
  void aBundleSignedWithTheTrainersKeyLoadsAlsoAfterTheLoaderIsSerialised() throws Exception {
    URI uri = store.put(TestModels.bundle("v1"), new ModelSigning.Signer(trainer.getPrivate()));
    assertThat(Files.readString(Path.of(ModelSigning.signatureOf(uri))))
        .as("the signature file beside the bundle, Base64")
        .matches("[A-Za-z0-9+/=]{88}\n");
    try (BatchModel model = loader.load(announce("v1", uri), schema)) {
      assertThat(model.version()).isEqualTo("v1");
      assertThat(model.predict(TestModels.rows(3, 1))).hasSize(3);
    }

    // What a Flink job does with the loader: Java serialisation to its subtasks.
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(loader);
    }
    DjlModelLoader copy;
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      copy = (DjlModelLoader) in.readObject();
    }
    assertThat(copy.verifier()).isEqualTo(loader.verifier());
    try (BatchModel model = copy.load(announce("v1", uri), schema)) {
      assertThat(model.version()).isEqualTo("v1");
    }
    URI unsigned = store.put(TestModels.bundle("v2"));
    assertThatThrownBy(() -> copy.load(announce("v2", unsigned), schema))
        .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(Reason.UNSIGNED));
  }

  @Test
  void anUnsignedBundleIsRefusedAsUnsigned() throws Exception {
    URI uri = store.put(TestModels.bundle("v1"));
    assertThat(Files.exists(Path.of(ModelSigning.signatureOf(uri)))).isFalse();
    ModelAnnouncement a = announce("v1", uri);
    assertThatThrownBy(() -> loader.load(a, schema))
        .isInstanceOf(ModelRefusedException.class)
        .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(Reason.UNSIGNED))
        .hasMessageContaining(uri + ".sig");
    // Without a public key the same bundle loads, as before signing existed.
    try (BatchModel model = new DjlModelLoader().load(a, schema)) {
      assertThat(model.version()).isEqualTo("v1");
    }
  }

  @Test
  void aBundleSignedWithAnotherKeyIsRefusedAsBadSignature() throws Exception {
    KeyPair attacker = ModelSigning.generate();
    URI uri = store.put(TestModels.bundle("v1"), new ModelSigning.Signer(attacker.getPrivate()));
    assertThatThrownBy(() -> loader.load(announce("v1", uri), schema))
        .isInstanceOf(ModelRefusedException.class)
        .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(Reason.BAD_SIGNATURE))
        .hasMessageContaining("does not verify");
  }

  @Test
  void aBundleChangedAfterSigningIsRefusedEvenWhenAnnouncedWithItsNewChecksum() throws Exception {
    URI uri = store.put(TestModels.bundle("v1"), new ModelSigning.Signer(trainer.getPrivate()));
    ModelAnnouncement original = announce("v1", uri);
    // Another bundle of the same version, put in the place of the signed one; its signature file
    // stays. Whoever can write the store and the announcements topic gives its true SHA-256.
    byte[] replacement = TestModels.bundle(TestModels.manifest("v1"), 99).toBytes();
    assertThat(replacement).isNotEqualTo(Files.readAllBytes(Path.of(uri)));
    Files.write(Path.of(uri), replacement);
    ModelAnnouncement reannounced = announce("v1", uri);
    assertThat(reannounced.getSha256()).isNotEqualTo(original.getSha256());

    assertThatThrownBy(() -> loader.load(reannounced, schema))
        .isInstanceOf(ModelRefusedException.class)
        .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(Reason.BAD_SIGNATURE));
    // With the announced checksum of the signed bundle, the checksum refuses it first.
    assertThatThrownBy(() -> loader.load(original, schema))
        .isInstanceOf(ModelRefusedException.class)
        .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(Reason.CHECKSUM_MISMATCH));
    // Without a key, the replacement would have been served.
    try (BatchModel model = new DjlModelLoader().load(reannounced, schema)) {
      assertThat(model.version()).isEqualTo("v1");
    }
  }

  @Test
  void aSignatureFileThatIsNotBase64IsABadSignature() throws Exception {
    URI uri = store.put(TestModels.bundle("v1"), new ModelSigning.Signer(trainer.getPrivate()));
    Files.writeString(Path.of(ModelSigning.signatureOf(uri)), "not a signature!\n");
    assertThatThrownBy(() -> loader.load(announce("v1", uri), schema))
        .isInstanceOf(ModelRefusedException.class)
        .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(Reason.BAD_SIGNATURE))
        .hasMessageContaining("not Base64");
  }

  @Test
  void theKeyTravelsAsOneLineOfBase64() throws Exception {
    ModelSigning.Verifier v = ModelSigning.Verifier.fromBase64(loader.verifier().base64());
    assertThat(v).isEqualTo(loader.verifier());
    assertThat(v.base64()).doesNotContain("\n").doesNotStartWith("-");
    assertThat(v.toString()).doesNotContain("PRIVATE");
    assertThat(new ModelSigning.Signer(trainer.getPrivate()).toString())
        .isEqualTo("Signer[Ed25519]");
    assertThatThrownBy(() -> ModelSigning.Verifier.fromBase64("AAAA"))
        .isInstanceOf(java.io.IOException.class);
  }
}
