package dev.millrace.ops;

import dev.millrace.scorer.model.ModelSigning;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --signing-key PEM_FILE} ({@code MILLRACE_SIGNING_KEY}): the Ed25519 private key promoted
 * bundles are signed with. Shared by {@code millrace trainer} and {@code millrace backtest}.
 */
final class SigningKeyOption {

  @Option(
      names = "--signing-key",
      paramLabel = "PEM_FILE",
      defaultValue = "${env:MILLRACE_SIGNING_KEY}",
      description =
          "Ed25519 private key (PKCS#8 PEM, from 'millrace keys generate' or 'openssl genpkey"
              + " -algorithm ed25519'): every promoted bundle gets its signature <bundle>.sig"
              + " before it is announced, for a pipeline started with --model-public-key"
              + " (MILLRACE_SIGNING_KEY; default: no signatures).")
  Path signingKey;

  /** The signer of the key file; null without {@code --signing-key}. */
  ModelSigning.Signer signer() {
    if (signingKey == null) {
      return null;
    }
    try {
      return ModelSigning.Signer.read(signingKey);
    } catch (IOException | RuntimeException e) {
      throw new UserError("--signing-key: cannot use " + signingKey + ": " + e.getMessage());
    }
  }
}
