package dev.millrace.pipeline.monitoring;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a job's model monitoring: prequential quality per model version and input drift.
 *
 * @param qualityWindow matured examples per model version that the rolling quality covers
 * @param qualityEvery a quality record is emitted every this many examples of a version
 * @param qualityIdleTimeout event time after a version's last example at which its window is
 *     emitted one last time and dropped
 * @param driftWindow event-time length of the sliding window the drift is measured over
 * @param driftSlide how often (event time) the window slides and the drift is measured
 * @param driftMinExamples fewest vectors in the window for a measurement
 * @param driftThreshold population stability index at or above which a retrain is requested
 * @param driftCooldown event time after a retrain request during which no other is sent
 */
public record MonitoringSettings(
    int qualityWindow,
    int qualityEvery,
    Duration qualityIdleTimeout,
    Duration driftWindow,
    Duration driftSlide,
    int driftMinExamples,
    double driftThreshold,
    Duration driftCooldown)
    implements Serializable {

  public MonitoringSettings {
    if (qualityWindow < 1 || qualityEvery < 1 || driftMinExamples < 1) {
      throw new IllegalArgumentException(
          "qualityWindow, qualityEvery and driftMinExamples must be at least 1");
    }
    positive(qualityIdleTimeout, "qualityIdleTimeout");
    positive(driftWindow, "driftWindow");
    positive(driftSlide, "driftSlide");
    Objects.requireNonNull(driftCooldown, "driftCooldown");
    if (driftCooldown.isNegative()) {
      throw new IllegalArgumentException("driftCooldown must not be negative");
    }
    if (driftSlide.compareTo(driftWindow) > 0) {
      throw new IllegalArgumentException("driftSlide must not exceed driftWindow");
    }
    if (!(driftThreshold > 0) || Double.isInfinite(driftThreshold)) {
      throw new IllegalArgumentException("driftThreshold must be positive, got " + driftThreshold);
    }
  }

  /**
   * Quality over the last 5,000 examples of a version, emitted every 500, dropped after 14 days of
   * event time without examples; drift over the last day of event time, every hour, from 500
   * vectors, threshold 0.2, cooldown 7 days of event time (a retrain learns the new behaviour only
   * once its labels have matured: the fraud label delay is 7 days).
   */
  public static MonitoringSettings defaults() {
    return new MonitoringSettings(
        5_000,
        500,
        Duration.ofDays(14),
        Duration.ofDays(1),
        Duration.ofHours(1),
        500,
        0.2,
        Duration.ofDays(7));
  }

  public MonitoringSettings withQuality(int window, int every, Duration idleTimeout) {
    return new MonitoringSettings(
        window,
        every,
        idleTimeout,
        driftWindow,
        driftSlide,
        driftMinExamples,
        driftThreshold,
        driftCooldown);
  }

  public MonitoringSettings withDrift(
      Duration window, Duration slide, int minExamples, double threshold, Duration cooldown) {
    return new MonitoringSettings(
        qualityWindow,
        qualityEvery,
        qualityIdleTimeout,
        window,
        slide,
        minExamples,
        threshold,
        cooldown);
  }

  private static void positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
  }
}
