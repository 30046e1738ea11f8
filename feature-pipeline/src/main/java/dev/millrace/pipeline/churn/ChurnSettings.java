package dev.millrace.pipeline.churn;

import java.io.Serializable;
import java.time.Duration;

/**
 * How the churn task scores and labels.
 *
 * @param rescoreEvery while a customer is inactive, a new scoring point every this much event time
 *     after their newest activity (default 7 days)
 * @param horizon H: a scoring point at t is labelled churned (1) when no purchase arrives in {@code
 *     (t, t + H]}, and 0 as soon as one does (default 90 days)
 * @param allowedLateness how far behind a customer's newest activity an event may be dated and
 *     still be accepted; an older one is dead-lettered ({@link
 *     ChurnScoringPoints#PURCHASE_BEFORE_PREVIOUS})
 * @param retention how long after their newest activity a customer is re-scored and kept in state;
 *     then the state is dropped (default 365 days, the longest window)
 */
public record ChurnSettings(
    Duration rescoreEvery, Duration horizon, Duration allowedLateness, Duration retention)
    implements Serializable {

  public ChurnSettings {
    positive("rescoreEvery", rescoreEvery);
    positive("horizon", horizon);
    positive("retention", retention);
    if (allowedLateness == null || allowedLateness.isNegative()) {
      throw new IllegalArgumentException(
          "allowedLateness must not be negative: " + allowedLateness);
    }
  }

  /** Weekly re-scores, a 90-day horizon, one day of lateness, a year of retention. */
  public static ChurnSettings defaults() {
    return new ChurnSettings(
        Duration.ofDays(7), Duration.ofDays(90), Duration.ofDays(1), ChurnFeatures.LONGEST_WINDOW);
  }

  public ChurnSettings withRescoreEvery(Duration d) {
    return new ChurnSettings(d, horizon, allowedLateness, retention);
  }

  public ChurnSettings withHorizon(Duration d) {
    return new ChurnSettings(rescoreEvery, d, allowedLateness, retention);
  }

  private static void positive(String name, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
  }
}
