package dev.millrace.pipeline.fraud;

import dev.millrace.pipeline.SortedTimes;
import java.util.Arrays;

/**
 * One terminal's recent transactions and the fraud labels known for them, enough to compute the
 * handbook's terminal features exactly: for a transaction at t and a window of w days, the
 * terminal's transactions with a time in {@code (t - d - w, t - d]} (d = 7 days) and the share of
 * them that are known frauds.
 *
 * <p>No leakage: a transaction counts as fraud only if its fraud label has already been received
 * (in processing order) and the label's time is not after t. Labels can arrive before the
 * transaction they refer to has reached this terminal's state; they wait in a small pending list.
 *
 * <p>Exact, not bucketed: the individual entries of the last {@code d + 30} days (plus the allowed
 * lateness) are kept, which for the handbook's data is a few dozen per terminal. Per transaction
 * there is no allocation but the six features (arrays grow by half when full; entries move down in
 * place when old ones are dropped), binary searches find the window bounds and one pass over the
 * 30-day window counts the frauds of all three windows.
 *
 * <p>Plain Java, also used outside Flink. Inside Flink it is keyed state; its fields are public so
 * that Flink serialises it as a POJO (primitive arrays, no Kryo). Treat them as read-only.
 */
public class TerminalHistory {

  /** Retention without lateness: delay + longest window (37 days). */
  public static final long RETENTION_MS =
      FraudFeatures.TERMINAL_DELAY.toMillis() + FraudFeatures.LONGEST_WINDOW.toMillis();

  private static final long DAY_MS = 86_400_000L;
  private static final long DELAY_MS = FraudFeatures.TERMINAL_DELAY.toMillis();
  private static final long[] WINDOW_MS_BY_INDEX = {
    FraudFeatures.WINDOW_DAYS[0] * DAY_MS,
    FraudFeatures.WINDOW_DAYS[1] * DAY_MS,
    FraudFeatures.WINDOW_DAYS[2] * DAY_MS
  };

  /** "No fraud label known". */
  public static final long NO_LABEL = Long.MAX_VALUE;

  /** Transaction times, ascending; entries {@code [0, count)} are in use. */
  public long[] txTimes = new long[0];

  /** Transaction ids, parallel to {@link #txTimes}. */
  public long[] txIds = new long[0];

  /** When a fraud label for the transaction arrived (label time), or {@link #NO_LABEL}. */
  public long[] fraudKnownAt = new long[0];

  /** Entries in use at the start of {@link #txTimes}, {@link #txIds} and {@link #fraudKnownAt}. */
  public int count;

  /** Fraud labels whose transaction has not been seen here yet: transaction ids. */
  public long[] pendingTxIds = new long[0];

  /** Transaction times of the pending labels. */
  public long[] pendingTxTimes = new long[0];

  /** Label times of the pending labels. */
  public long[] pendingLabelTimes = new long[0];

  /** The latest transaction or labelled-transaction time seen, {@code Long.MIN_VALUE} at first. */
  public long newest = Long.MIN_VALUE;

  public TerminalHistory() {}

  /**
   * Returns the six terminal features of a transaction at {@code time} (count and risk over 1, 7
   * and 30 days, delayed by 7 days) and then records the transaction.
   */
  public double[] observe(long time, long transactionId, long allowedLatenessMs) {
    return observe(time, transactionId, allowedLatenessMs, Long.MAX_VALUE);
  }

  /**
   * As {@link #observe(long, long, long)}, for transactions that may arrive out of event-time order
   * by more than the allowed lateness (partitions read at different speeds): entries are dropped
   * only once they are older than the retention before {@code min(newest, eventTime)}, where {@code
   * eventTime} is the stream's watermark (no transaction before it, less the lateness, is still to
   * come), so an older transaction arriving after a newer one still finds its whole window. {@code
   * Long.MIN_VALUE} (no watermark yet) drops nothing.
   */
  public double[] observe(long time, long transactionId, long allowedLatenessMs, long eventTime) {
    newest = Math.max(newest, time);
    long horizon = Math.min(newest, eventTime);
    if (horizon != Long.MIN_VALUE) {
      evictUpTo(horizon - RETENTION_MS - allowedLatenessMs);
    }
    long until = time - DELAY_MS; // inclusive
    // Entries in (until - w, until] for w = 1, 7, 30 days: [lo[i], hi), lo[2] <= lo[1] <= lo[0].
    int hi = SortedTimes.upperBound(txTimes, count, until);
    int lo0 = SortedTimes.upperBound(txTimes, count, until - WINDOW_MS_BY_INDEX[0]);
    int lo1 = SortedTimes.upperBound(txTimes, count, until - WINDOW_MS_BY_INDEX[1]);
    int lo2 = SortedTimes.upperBound(txTimes, count, until - WINDOW_MS_BY_INDEX[2]);
    int frauds0 = 0;
    int frauds1 = 0;
    int frauds2 = 0;
    for (int j = lo2; j < hi; j++) {
      if (fraudKnownAt[j] <= time) {
        frauds2++;
        if (j >= lo1) {
          frauds1++;
        }
        if (j >= lo0) {
          frauds0++;
        }
      }
    }
    double[] out = new double[6];
    window(out, 0, hi - lo0, frauds0);
    window(out, 1, hi - lo1, frauds1);
    window(out, 2, hi - lo2, frauds2);
    insert(time, transactionId, takePending(transactionId));
    return out;
  }

  private static void window(double[] out, int i, int n, int frauds) {
    out[2 * i] = n;
    out[2 * i + 1] = n == 0 ? 0 : (double) frauds / n;
  }

  /**
   * Records that transaction {@code transactionId} (at {@code transactionTime}) was confirmed as
   * fraud at {@code labelTime}. Returns false when the transaction is too old to matter any more
   * and the label was dropped.
   */
  public boolean fraudLabel(
      long transactionId, long transactionTime, long labelTime, long allowedLatenessMs) {
    if (newest != Long.MIN_VALUE && transactionTime <= newest - RETENTION_MS - allowedLatenessMs) {
      return false;
    }
    for (int j = 0; j < count; j++) {
      if (txIds[j] == transactionId) {
        fraudKnownAt[j] = Math.min(fraudKnownAt[j], labelTime);
        return true;
      }
    }
    for (int j = 0; j < pendingTxIds.length; j++) {
      if (pendingTxIds[j] == transactionId) {
        pendingLabelTimes[j] = Math.min(pendingLabelTimes[j], labelTime);
        return true;
      }
    }
    pendingTxIds = append(pendingTxIds, transactionId);
    pendingTxTimes = append(pendingTxTimes, transactionTime);
    pendingLabelTimes = append(pendingLabelTimes, labelTime);
    return true;
  }

  /**
   * Drops everything no later transaction can need once event time has reached {@code now}. Returns
   * true when nothing is left.
   */
  public boolean expire(long now, long allowedLatenessMs) {
    evictUpTo(now - RETENTION_MS - allowedLatenessMs);
    return count == 0 && pendingTxIds.length == 0;
  }

  /** The event time from which this history may be dropped if nothing new arrives. */
  public long expiresAt(long allowedLatenessMs) {
    long latest = newest;
    for (long t : pendingTxTimes) {
      latest = Math.max(latest, t);
    }
    return latest + RETENTION_MS + allowedLatenessMs;
  }

  /** Number of transactions held. */
  public int size() {
    return count;
  }

  /** Number of fraud labels waiting for their transaction. */
  public int pendingLabels() {
    return pendingTxIds.length;
  }

  private long takePending(long transactionId) {
    for (int j = 0; j < pendingTxIds.length; j++) {
      if (pendingTxIds[j] == transactionId) {
        long labelTime = pendingLabelTimes[j];
        pendingTxIds = remove(pendingTxIds, j);
        pendingTxTimes = remove(pendingTxTimes, j);
        pendingLabelTimes = remove(pendingLabelTimes, j);
        return labelTime;
      }
    }
    return NO_LABEL;
  }

  private void evictUpTo(long cutoffInclusive) {
    int keepFrom = SortedTimes.upperBound(txTimes, count, cutoffInclusive);
    if (keepFrom > 0) {
      int left = count - keepFrom;
      System.arraycopy(txTimes, keepFrom, txTimes, 0, left);
      System.arraycopy(txIds, keepFrom, txIds, 0, left);
      System.arraycopy(fraudKnownAt, keepFrom, fraudKnownAt, 0, left);
      count = left;
    }
    // Pending labels are rare (a label before its transaction): copying them is fine.
    for (int j = pendingTxTimes.length - 1; j >= 0; j--) {
      if (pendingTxTimes[j] <= cutoffInclusive) {
        pendingTxIds = remove(pendingTxIds, j);
        pendingTxTimes = remove(pendingTxTimes, j);
        pendingLabelTimes = remove(pendingLabelTimes, j);
      }
    }
  }

  private void insert(long time, long transactionId, long knownAt) {
    if (count == txTimes.length) {
      int capacity = Math.max(8, count + (count >> 1));
      txTimes = Arrays.copyOf(txTimes, capacity);
      txIds = Arrays.copyOf(txIds, capacity);
      fraudKnownAt = Arrays.copyOf(fraudKnownAt, capacity);
    }
    int at = count;
    while (at > 0 && txTimes[at - 1] > time) {
      at--;
    }
    int tail = count - at;
    System.arraycopy(txTimes, at, txTimes, at + 1, tail);
    System.arraycopy(txIds, at, txIds, at + 1, tail);
    System.arraycopy(fraudKnownAt, at, fraudKnownAt, at + 1, tail);
    txTimes[at] = time;
    txIds[at] = transactionId;
    fraudKnownAt[at] = knownAt;
    count++;
  }

  private static long[] append(long[] array, long value) {
    long[] out = Arrays.copyOf(array, array.length + 1);
    out[array.length] = value;
    return out;
  }

  private static long[] remove(long[] array, int index) {
    long[] out = new long[array.length - 1];
    System.arraycopy(array, 0, out, 0, index);
    System.arraycopy(array, index + 1, out, index, array.length - index - 1);
    return out;
  }
}
