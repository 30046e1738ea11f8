package dev.millrace.scorer;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The ordered feature names a model expects and a job produces. Its fingerprint travels in model
 * announcements, training examples and feature vectors; a scorer refuses a model whose fingerprint
 * differs from the job's.
 *
 * @param names the features in vector order
 * @param warmUp per feature, the event time a stream must have run before the feature's value is
 *     complete (a count over the last 30 days needs 30 days of stream); features not named need
 *     none. Not part of the fingerprint: it describes how the job computes a feature, not what a
 *     model reads.
 */
public record FeatureSchema(List<String> names, Map<String, Duration> warmUp) {

  public FeatureSchema {
    names = List.copyOf(names);
    if (names.isEmpty()) {
      throw new IllegalArgumentException("a feature schema needs at least one feature");
    }
    Map<String, Duration> w = new LinkedHashMap<>();
    if (warmUp != null) {
      for (Map.Entry<String, Duration> e : warmUp.entrySet()) {
        if (!names.contains(e.getKey())) {
          throw new IllegalArgumentException("warm-up of an unknown feature: " + e.getKey());
        }
        if (e.getValue().isNegative()) {
          throw new IllegalArgumentException("negative warm-up of " + e.getKey());
        }
        if (!e.getValue().isZero()) {
          w.put(e.getKey(), e.getValue());
        }
      }
    }
    warmUp = java.util.Collections.unmodifiableMap(w);
  }

  /** A schema whose features need no warm-up. */
  public FeatureSchema(List<String> names) {
    this(names, Map.of());
  }

  /** The warm-up of {@code feature}: zero when it needs none. */
  public Duration warmUp(String feature) {
    return warmUp.getOrDefault(feature, Duration.ZERO);
  }

  /** The longest warm-up of any feature: what a value computed from all of them (a score) needs. */
  public Duration longestWarmUp() {
    return warmUp.values().stream().max(Duration::compareTo).orElse(Duration.ZERO);
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
