package dev.millrace.trainer.eval;

import java.time.Instant;
import java.util.Arrays;

/**
 * Splits a window of examples in event-time order into an older training part and a later
 * evaluation slice (DESIGN §4.4: evaluation always uses a time slice later than the training data).
 * The last {@code evalFraction} of the rows go to evaluation; rows sharing the event time of the
 * cut all go to evaluation too, so every evaluation row is strictly later than every training row.
 */
public final class TimeSliceSplit {

  private final double evalFraction;

  public TimeSliceSplit(double evalFraction) {
    if (!(evalFraction > 0 && evalFraction < 1)) {
      throw new IllegalArgumentException(
          "the evaluation fraction must lie strictly between 0 and 1, not " + evalFraction);
    }
    this.evalFraction = evalFraction;
  }

  public double evalFraction() {
    return evalFraction;
  }

  /** The two parts; {@code cutoff} is the event time at which evaluation starts (null if empty). */
  public record Split(Slice train, Slice eval, Instant cutoff) {}

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
    int n = window.size();
    if (n == 0) {
      return new Split(window, window, null);
    }
    int evalRows = (int) Math.ceil(n * evalFraction);
    int cut = Math.max(0, n - evalRows);
    long cutoff = times[Math.min(cut, n - 1)];
    while (cut > 0 && times[cut - 1] == cutoff) {
      cut--;
    }
    return new Split(range(window, 0, cut), range(window, cut, n), Instant.ofEpochMilli(cutoff));
  }

  private static Slice range(Slice s, int from, int to) {
    return new Slice(
        Arrays.copyOfRange(s.features(), from, to),
        Arrays.copyOfRange(s.labels(), from, to),
        Arrays.copyOfRange(s.eventTimeMillis(), from, to),
        Arrays.copyOfRange(s.entityIds(), from, to));
  }
}
