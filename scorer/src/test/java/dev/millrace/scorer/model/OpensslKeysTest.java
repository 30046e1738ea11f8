package dev.millrace.scorer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keys made by {@code openssl genpkey -algorithm ed25519} (what the README offers besides {@code
 * millrace keys generate}) work with {@link ModelSigning}, and its signatures are plain Ed25519:
 * openssl verifies them. Skips where there is no {@code openssl} on the PATH.
 */
class OpensslKeysTest {

  @TempDir Path dir;

  @Test
  void opensslKeysSignAndVerifyAndOpensslAcceptsTheSignature() throws Exception {
    assumeTrue(openssl("version") == 0, "no openssl on the PATH");
    Path key = dir.resolve("model-signing.key");
    Path pub = dir.resolve("model-signing.pub");
    assertThat(openssl("genpkey", "-algorithm", "ed25519", "-out", key.toString())).isZero();
    assertThat(openssl("pkey", "-in", key.toString(), "-pubout", "-out", pub.toString())).isZero();

    byte[] bundle = "a model bundle's bytes".getBytes(StandardCharsets.UTF_8);
    byte[] signature = ModelSigning.Signer.read(key).sign(bundle);
    assertThat(ModelSigning.Verifier.read(pub).verify(bundle, signature)).isTrue();

    Path data = Files.write(dir.resolve("bundle.zip"), bundle);
    Path sig = Files.write(dir.resolve("bundle.raw-sig"), signature);
    assertThat(verifiedByOpenssl(pub, data, sig)).as("openssl verifies the signature").isZero();
    byte[] other = bundle.clone();
    other[0] ^= 1;
    Files.write(data, other);
    assertThat(verifiedByOpenssl(pub, data, sig)).as("and refuses it for other bytes").isNotZero();
  }

  private int verifiedByOpenssl(Path pub, Path data, Path sig) throws Exception {
    return openssl(
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        pub.toString(),
        "-rawin",
        "-in",
        data.toString(),
        "-sigfile",
        sig.toString());
  }

  private int openssl(String... args) throws Exception {
    String[] command = new String[args.length + 1];
    command[0] = "openssl";
    System.arraycopy(args, 0, command, 1, args.length);
    Process p;
    try {
      p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
    } catch (java.io.IOException e) {
      return -1; // not installed
    }
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -2;
    }
    return p.exitValue();
  }
}
