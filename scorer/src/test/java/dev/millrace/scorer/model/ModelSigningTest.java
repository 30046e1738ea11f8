package dev.millrace.scorer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelSigningTest {

  private static final byte[] BUNDLE = "a model bundle's bytes".getBytes(StandardCharsets.UTF_8);

  @Test
  void aSignatureVerifiesOnlyWithItsOwnKeyAndOnlyForTheSignedBytes() {
    KeyPair trainer = ModelSigning.generate();
    KeyPair attacker = ModelSigning.generate();
    byte[] sig = ModelSigning.sign(trainer.getPrivate(), BUNDLE);
    assertThat(sig).hasSize(64);
    assertThat(ModelSigning.verify(trainer.getPublic(), BUNDLE, sig)).isTrue();
    assertThat(ModelSigning.verify(attacker.getPublic(), BUNDLE, sig)).isFalse();
    byte[] changed = BUNDLE.clone();
    changed[0] ^= 1;
    assertThat(ModelSigning.verify(trainer.getPublic(), changed, sig)).isFalse();
    byte[] attackers = ModelSigning.sign(attacker.getPrivate(), BUNDLE);
    assertThat(ModelSigning.verify(trainer.getPublic(), BUNDLE, attackers)).isFalse();
    assertThat(ModelSigning.verify(trainer.getPublic(), BUNDLE, Arrays.copyOf(sig, 10))).isFalse();
  }

  @Test
  void keysRoundTripThroughPemFilesAndThePrivateOneIsOwnerOnly(@TempDir Path dir)
      throws IOException {
    KeyPair pair = ModelSigning.generate();
    ModelSigning.write(pair, dir, "trainer");
    PrivateKey priv = ModelSigning.readPrivateKey(dir.resolve("trainer.key"));
    PublicKey pub = ModelSigning.readPublicKey(dir.resolve("trainer.pub"));
    assertThat(priv.getEncoded()).isEqualTo(pair.getPrivate().getEncoded());
    assertThat(pub.getEncoded()).isEqualTo(pair.getPublic().getEncoded());
    assertThat(Files.readString(dir.resolve("trainer.pub")))
        .startsWith("-----BEGIN PUBLIC KEY-----");
    assertThat(Files.getPosixFilePermissions(dir.resolve("trainer.key")))
        .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    // A verifier made from the PEM text (what a job carries) accepts the pair's signatures.
    ModelSigning.Verifier v =
        new ModelSigning.Verifier(Files.readString(dir.resolve("trainer.pub")));
    assertThat(v.verify(BUNDLE, ModelSigning.sign(priv, BUNDLE))).isTrue();
    assertThat(v.verify(BUNDLE, ModelSigning.sign(ModelSigning.generate().getPrivate(), BUNDLE)))
        .isFalse();
  }

  @Test
  void aPrivateKeyGivenAsPublicOrGarbageIsAClearError(@TempDir Path dir) throws IOException {
    ModelSigning.write(ModelSigning.generate(), dir, "k");
    assertThatThrownBy(() -> ModelSigning.readPublicKey(dir.resolve("k.key")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no PEM 'PUBLIC KEY' block");
    Files.writeString(
        dir.resolve("junk.pub"), "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
    assertThatThrownBy(() -> ModelSigning.readPublicKey(dir.resolve("junk.pub")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("is not an Ed25519 public key");
  }
}
