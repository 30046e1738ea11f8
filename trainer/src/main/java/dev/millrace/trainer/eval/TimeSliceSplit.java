package dev.millrace.trainer.eval;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;

/**
 * Splits a window of examples in event-time order into an older training part and a later
 * evaluation slice (DESIGN §4.4: evaluation always uses a time slice later than the training data),
 * the way a model trained at the start of the evaluation slice would have lived:
 *
 * <ol>
 *   <li>The last {@code evalFraction} of the rows form the evaluation slice; rows sharing the event
 *       time of the cut all go to evaluation too. Its first event time is {@code evalStart}.
 *   <li>A gap of at least the label delay separates the parts: training rows have an event time
 *       strictly before {@code evalStart - gap}. Rows inside the gap are in neither part (their
 *       labels were not known yet at {@code evalStart}; training on them would let the holdout see
 *       labels a live model could not have had). The gap is the configured one, or, when none is
 *       configured, the longest label lag of the window ({@link Slice#longestLabelLagMillis()}),
 *       which is the pipeline's label maturity (for fraud its label delay plus grace).
 *   <li>Entities already known positive before {@code evalStart} leave the evaluation slice (the
 *       Fraud Detection Handbook's "known compromised cards": a live system blocks them, so scoring
 *       their later rows would flatter every model). Known positive means: a row before the slice,
 *       with a positive label whose label time is before {@code evalStart}. A regression target
 *       (sales) has no "known positive" entity, so a split made {@link #keepingEveryEntity} skips
 *       this step.
 * </ol>
 */
public final class TimeSliceSplit {

  private final double evalFraction;
  private final Duration gap;
  private final boolean removeKnownPositives;

  /**
   * @param evalFraction the latest fraction of the rows used for evaluation
   * @param gap the gap between the parts, or null for the window's longest label lag
   */
  public TimeSliceSplit(double evalFraction, Duration gap) {
    this(evalFraction, gap, true);
  }

  /**
   * A split that keeps every entity's rows in the evaluation slice (step 3 skipped): for regression
   * targets, where a positive value (a store's sales) says nothing about the entity.
   */
  public static TimeSliceSplit keepingEveryEntity(double evalFraction, Duration gap) {
    return new TimeSliceSplit(evalFraction, gap, false);
  }

  private TimeSliceSplit(double evalFraction, Duration gap, boolean removeKnownPositives) {
    if (!(evalFraction > 0 && evalFraction < 1)) {
      throw new IllegalArgumentException(
          "the evaluation fraction must lie strictly between 0 and 1, not " + evalFraction);
    }
    if (gap != null && gap.isNegative()) {
      throw new IllegalArgumentException("the evaluation gap must not be negative, not " + gap);
    }
    this.evalFraction = evalFraction;
    this.gap = gap;
    this.removeKnownPositives = removeKnownPositives;
  }

  public double evalFraction() {
    return evalFraction;
  }

  /** The configured gap; null when it follows the window's label lag. */
  public Duration gap() {
    return gap;
  }

  /**
   * The two parts.
   *
   * @param train rows with event time before {@code cutoff - gap}
   * @param eval rows from {@code cutoff} on, less those of known-positive entities
   * @param cutoff the event time at which evaluation starts (null if the window is empty)
   * @param gap the gap applied
   * @param gapRows rows dropped because they fall inside the gap
   * @param knownPositiveRows evaluation rows removed because their entity was known positive
   * @param knownPositiveEntities entities known positive before {@code cutoff}
   */
  public record Split(
      Slice train,
      Slice eval,
      Instant cutoff,
      Duration gap,
      int gapRows,
      int knownPositiveRows,
      int knownPositiveEntities) {}

  /**
   * @param window rows sorted by event time (ascending)
   * @throws IllegalArgumentException when the rows are not in event-time order
   */
  public Split split(Slice window) {
    long[] times = window.eventTimeMillis();
    for (int i = 1; i < times.length; i++) {
      if (times[i] < times[i - 1]) {
        throw new IllegalArgumentException("window rows are not in event-time order at row " + i);
      }
    }
    Duration applied = gap != null ? gap : Duration.ofMillis(window.longestLabelLagMillis());
    int n = window.size();
    if (n == 0) {
      return new Split(window, window, null, applied, 0, 0, 0);
    }
    int evalRows = (int) Math.ceil(n * evalFraction);
    int cut = Math.max(0, n - evalRows);
    long cutoff = times[Math.min(cut, n - 1)];
    while (cut > 0 && times[cut - 1] == cutoff) {
      cut--;
    }
    long trainBefore = cutoff - applied.toMillis();
    int trainEnd = 0;
    while (trainEnd < cut && times[trainEnd] < trainBefore) {
      trainEnd++;
    }

    float[] labels = window.labels();
    long[] labelTimes = window.labelTimeMillis();
    String[] ids = window.entityIds();
    Set<String> known = new HashSet<>();
    for (int i = 0; i < cut && removeKnownPositives; i++) {
      if (labels[i] > 0.5f && labelTimes[i] < cutoff) {
        known.add(ids[i]);
      }
    }
    int[] kept = new int[n - cut];
    int k = 0;
    for (int i = cut; i < n; i++) {
      if (!known.contains(ids[i])) {
        kept[k++] = i;
      }
    }
    int removed = (n - cut) - k;
    return new Split(
        window.range(0, trainEnd),
        window.rows(java.util.Arrays.copyOf(kept, k)),
        Instant.ofEpochMilli(cutoff),
        applied,
        cut - trainEnd,
        removed,
        known.size());
  }
}
