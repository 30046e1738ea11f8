package dev.millrace.scorer;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The ordered feature names a model expects and a job produces. Its fingerprint travels in model
 * announcements, training examples and feature vectors; a scorer refuses a model whose fingerprint
 * differs from the job's.
 */
public record FeatureSchema(List<String> names) {

  public FeatureSchema {
    names = List.copyOf(names);
    if (names.isEmpty()) {
      throw new IllegalArgumentException("a feature schema needs at least one feature");
    }
  }

  public int size() {
    return names.size();
  }

  /** {@code sha256:<hex>} of the names joined by newlines. */
  public String fingerprint() {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] digest = sha.digest(String.join("\n", names).getBytes(StandardCharsets.UTF_8));
      return "sha256:" + HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
