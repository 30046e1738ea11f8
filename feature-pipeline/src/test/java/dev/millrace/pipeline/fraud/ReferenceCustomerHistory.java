package dev.millrace.pipeline.fraud;

import java.util.Arrays;

/**
 * The first, whole-scan version of {@link CustomerHistory}: the reference the fast one must match
 * bit for bit.
 */
final class ReferenceCustomerHistory {

  /** Retention without lateness: the longest window. */
  public static final long WINDOW_MS = FraudFeatures.LONGEST_WINDOW.toMillis();

  private static final long DAY_MS = 86_400_000L;

  /** Transaction times in epoch milliseconds, ascending. */
  public long[] times = new long[0];

  /** Amounts, parallel to {@link #times}. */
  public double[] amounts = new double[0];

  /** The latest transaction time ever seen, {@code Long.MIN_VALUE} before the first. */
  public long newest = Long.MIN_VALUE;

  ReferenceCustomerHistory() {}

  /**
   * Records a transaction and returns its six customer features: count and mean amount over the
   * last 1, 7 and 30 days, the transaction included.
   *
   * @param allowedLatenessMs how far behind the newest transaction a late one may still arrive and
   *     be computed exactly; entries older than {@code newest - 30 days - allowedLateness} are
   *     dropped
   */
  public double[] observe(long time, double amount, long allowedLatenessMs) {
    newest = Math.max(newest, time);
    evictUpTo(newest - WINDOW_MS - allowedLatenessMs);
    insert(time, amount);
    double[] out = new double[6];
    for (int i = 0; i < FraudFeatures.WINDOW_DAYS.length; i++) {
      long from = time - FraudFeatures.WINDOW_DAYS[i] * DAY_MS; // exclusive
      int count = 0;
      double sum = 0;
      for (int j = 0; j < times.length; j++) {
        if (times[j] > from && times[j] <= time) {
          count++;
          sum += amounts[j];
        }
      }
      out[2 * i] = count;
      out[2 * i + 1] = count == 0 ? 0 : sum / count;
    }
    return out;
  }

  /**
   * Drops every entry that no later transaction can need once event time has reached {@code now}.
   * Returns true when nothing is left.
   */
  public boolean expire(long now, long allowedLatenessMs) {
    evictUpTo(now - WINDOW_MS - allowedLatenessMs);
    return times.length == 0;
  }

  /** Number of transactions held. */
  public int size() {
    return times.length;
  }

  /** The event time from which this history may be dropped entirely if nothing new arrives. */
  public long expiresAt(long allowedLatenessMs) {
    return newest + WINDOW_MS + allowedLatenessMs;
  }

  private void evictUpTo(long cutoffInclusive) {
    int keepFrom = 0;
    while (keepFrom < times.length && times[keepFrom] <= cutoffInclusive) {
      keepFrom++;
    }
    if (keepFrom > 0) {
      times = Arrays.copyOfRange(times, keepFrom, times.length);
      amounts = Arrays.copyOfRange(amounts, keepFrom, amounts.length);
    }
  }

  private void insert(long time, double amount) {
    int at = times.length;
    while (at > 0 && times[at - 1] > time) {
      at--;
    }
    long[] t = new long[times.length + 1];
    double[] a = new double[amounts.length + 1];
    System.arraycopy(times, 0, t, 0, at);
    System.arraycopy(amounts, 0, a, 0, at);
    t[at] = time;
    a[at] = amount;
    System.arraycopy(times, at, t, at + 1, times.length - at);
    System.arraycopy(amounts, at, a, at + 1, amounts.length - at);
    times = t;
    amounts = a;
  }
}
