package dev.millrace.pipeline.fraud;

import dev.millrace.pipeline.SortedTimes;
import java.util.Arrays;

/**
 * One customer's recent transactions, enough to compute the handbook's customer features exactly:
 * the individual (time, amount) pairs of the last 30 days (plus the allowed lateness), sorted by
 * time. A customer makes a few transactions a day, so this stays small; older entries are dropped
 * on every update.
 *
 * <p>Windows are exact rolling windows on event time, as pandas' {@code rolling('<w>d')} on the
 * transaction time computes them: the window of a transaction at t holds the transactions seen so
 * far with a time in {@code (t - w, t]}, the transaction itself included. A transaction that
 * arrives out of order sees only the earlier ones, as in a time-sorted replay.
 *
 * <p>Cost per transaction: no allocation but the six features (the arrays grow by half when full
 * and entries move down in place when old ones are dropped), binary searches for the window bounds
 * and one pass over the 30-day window that sums all three windows, each in time order, so the sums
 * are bit for bit those of a sum over each window.
 *
 * <p>Plain Java, also used outside Flink. Inside Flink it is keyed state; its fields are public so
 * that Flink serialises it as a POJO (primitive arrays, no Kryo). Treat them as read-only.
 */
public class CustomerHistory {

  /** Retention without lateness: the longest window. */
  public static final long WINDOW_MS = FraudFeatures.LONGEST_WINDOW.toMillis();

  private static final long DAY_MS = 86_400_000L;
  private static final long[] WINDOW_MS_BY_INDEX = {
    FraudFeatures.WINDOW_DAYS[0] * DAY_MS,
    FraudFeatures.WINDOW_DAYS[1] * DAY_MS,
    FraudFeatures.WINDOW_DAYS[2] * DAY_MS
  };

  /** Transaction times in epoch milliseconds, ascending; entries {@code [0, count)} are in use. */
  public long[] times = new long[0];

  /** Amounts, parallel to {@link #times}. */
  public double[] amounts = new double[0];

  /** Entries in use at the start of {@link #times} and {@link #amounts}. */
  public int count;

  /** The latest transaction time ever seen, {@code Long.MIN_VALUE} before the first. */
  public long newest = Long.MIN_VALUE;

  public CustomerHistory() {}

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
    // Entries in (time - w, time] for w = 1, 7, 30 days: [lo[i], hi), lo[2] <= lo[1] <= lo[0].
    int hi = SortedTimes.upperBound(times, count, time);
    int lo0 = SortedTimes.upperBound(times, count, time - WINDOW_MS_BY_INDEX[0]);
    int lo1 = SortedTimes.upperBound(times, count, time - WINDOW_MS_BY_INDEX[1]);
    int lo2 = SortedTimes.upperBound(times, count, time - WINDOW_MS_BY_INDEX[2]);
    double sum0 = 0;
    double sum1 = 0;
    double sum2 = 0;
    for (int j = lo2; j < hi; j++) {
      double a = amounts[j];
      sum2 += a;
      if (j >= lo1) {
        sum1 += a;
      }
      if (j >= lo0) {
        sum0 += a;
      }
    }
    double[] out = new double[6];
    window(out, 0, hi - lo0, sum0);
    window(out, 1, hi - lo1, sum1);
    window(out, 2, hi - lo2, sum2);
    return out;
  }

  private static void window(double[] out, int i, int n, double sum) {
    out[2 * i] = n;
    out[2 * i + 1] = n == 0 ? 0 : sum / n;
  }

  /**
   * Drops every entry that no later transaction can need once event time has reached {@code now}.
   * Returns true when nothing is left.
   */
  public boolean expire(long now, long allowedLatenessMs) {
    evictUpTo(now - WINDOW_MS - allowedLatenessMs);
    return count == 0;
  }

  /** Number of transactions held. */
  public int size() {
    return count;
  }

  /** The event time from which this history may be dropped entirely if nothing new arrives. */
  public long expiresAt(long allowedLatenessMs) {
    return newest + WINDOW_MS + allowedLatenessMs;
  }

  private void evictUpTo(long cutoffInclusive) {
    int keepFrom = SortedTimes.upperBound(times, count, cutoffInclusive);
    if (keepFrom > 0) {
      int left = count - keepFrom;
      System.arraycopy(times, keepFrom, times, 0, left);
      System.arraycopy(amounts, keepFrom, amounts, 0, left);
      count = left;
    }
  }

  private void insert(long time, double amount) {
    if (count == times.length) {
      int capacity = Math.max(8, count + (count >> 1));
      times = Arrays.copyOf(times, capacity);
      amounts = Arrays.copyOf(amounts, capacity);
    }
    int at = count;
    while (at > 0 && times[at - 1] > time) {
      at--;
    }
    System.arraycopy(times, at, times, at + 1, count - at);
    System.arraycopy(amounts, at, amounts, at + 1, count - at);
    times[at] = time;
    amounts[at] = amount;
    count++;
  }
}
