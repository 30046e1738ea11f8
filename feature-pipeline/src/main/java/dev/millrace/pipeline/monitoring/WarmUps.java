package dev.millrace.pipeline.monitoring;

import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The window-full rule of the drift check: compare like with like. A value whose definition looks
 * back over a window (a count over the last 30 days) ramps up during the first window of a stream,
 * so the drift monitor compares it with its reference only once its window is full both in the live
 * window being measured and in the rows the reference was counted from, i.e. when both start at
 * least its warm-up after the stream's start. Values without a warm-up are always compared.
 *
 * @param features warm-up per feature (features not named need none)
 * @param score the warm-up of the score, which reads every feature: the longest of them
 */
public record WarmUps(Map<String, Duration> features, Duration score) implements Serializable {

  /** No warm-ups: every value is compared from the start. */
  public static final WarmUps NONE = new WarmUps(Map.of(), Duration.ZERO);

  public WarmUps {
    features = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(features));
    if (score == null) {
      score = Duration.ZERO;
    }
  }

  /** The warm-ups of {@code features}, the score's being the longest. */
  public static WarmUps of(Map<String, Duration> features) {
    return new WarmUps(
        features, features.values().stream().max(Duration::compareTo).orElse(Duration.ZERO));
  }

  /** The warm-up of {@code feature}; zero when it needs none. */
  public Duration feature(String feature) {
    return features.getOrDefault(feature, Duration.ZERO);
  }

  /**
   * Whether a value needing {@code warmUp} is complete in the live window starting at {@code
   * windowStart} and in reference rows starting at {@code referenceFrom}, for a stream that started
   * at {@code streamStart} (event times in epoch ms; null when unknown, which compares only values
   * without a warm-up).
   */
  public static boolean comparable(
      Duration warmUp, Long streamStart, long windowStart, Instant referenceFrom) {
    if (warmUp.isZero()) {
      return true;
    }
    if (streamStart == null || referenceFrom == null) {
      return false;
    }
    long full = streamStart + warmUp.toMillis();
    return windowStart >= full && referenceFrom.toEpochMilli() >= full;
  }
}
