package dev.millrace.pipeline.fraud;

import java.util.Arrays;

/**
 * The first, whole-scan version of {@link TerminalHistory}: the reference the fast one must match
 * bit for bit.
 */
final class ReferenceTerminalHistory {

  /** Retention without lateness: delay + longest window (37 days). */
  public static final long RETENTION_MS =
      FraudFeatures.TERMINAL_DELAY.toMillis() + FraudFeatures.LONGEST_WINDOW.toMillis();

  private static final long DAY_MS = 86_400_000L;
  private static final long DELAY_MS = FraudFeatures.TERMINAL_DELAY.toMillis();

  /** "No fraud label known". */
  public static final long NO_LABEL = Long.MAX_VALUE;

  /** Transaction times, ascending. */
  public long[] txTimes = new long[0];

  /** Transaction ids, parallel to {@link #txTimes}. */
  public long[] txIds = new long[0];

  /** When a fraud label for the transaction arrived (label time), or {@link #NO_LABEL}. */
  public long[] fraudKnownAt = new long[0];

  /** Fraud labels whose transaction has not been seen here yet: transaction ids. */
  public long[] pendingTxIds = new long[0];

  /** Transaction times of the pending labels. */
  public long[] pendingTxTimes = new long[0];

  /** Label times of the pending labels. */
  public long[] pendingLabelTimes = new long[0];

  /** The latest transaction or labelled-transaction time seen, {@code Long.MIN_VALUE} at first. */
  public long newest = Long.MIN_VALUE;

  ReferenceTerminalHistory() {}

  /**
   * Returns the six terminal features of a transaction at {@code time} (count and risk over 1, 7
   * and 30 days, delayed by 7 days) and then records the transaction.
   */
  public double[] observe(long time, long transactionId, long allowedLatenessMs) {
    newest = Math.max(newest, time);
    evictUpTo(newest - RETENTION_MS - allowedLatenessMs);
    double[] out = new double[6];
    long until = time - DELAY_MS; // inclusive
    for (int i = 0; i < FraudFeatures.WINDOW_DAYS.length; i++) {
      long from = until - FraudFeatures.WINDOW_DAYS[i] * DAY_MS; // exclusive
      int count = 0;
      int frauds = 0;
      for (int j = 0; j < txTimes.length; j++) {
        if (txTimes[j] > from && txTimes[j] <= until) {
          count++;
          if (fraudKnownAt[j] <= time) {
            frauds++;
          }
        }
      }
      out[2 * i] = count;
      out[2 * i + 1] = count == 0 ? 0 : (double) frauds / count;
    }
    insert(time, transactionId, takePending(transactionId));
    return out;
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
    for (int j = 0; j < txIds.length; j++) {
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
    return txTimes.length == 0 && pendingTxIds.length == 0;
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
    return txTimes.length;
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
    int keepFrom = 0;
    while (keepFrom < txTimes.length && txTimes[keepFrom] <= cutoffInclusive) {
      keepFrom++;
    }
    if (keepFrom > 0) {
      txTimes = Arrays.copyOfRange(txTimes, keepFrom, txTimes.length);
      txIds = Arrays.copyOfRange(txIds, keepFrom, txIds.length);
      fraudKnownAt = Arrays.copyOfRange(fraudKnownAt, keepFrom, fraudKnownAt.length);
    }
    for (int j = pendingTxTimes.length - 1; j >= 0; j--) {
      if (pendingTxTimes[j] <= cutoffInclusive) {
        pendingTxIds = remove(pendingTxIds, j);
        pendingTxTimes = remove(pendingTxTimes, j);
        pendingLabelTimes = remove(pendingLabelTimes, j);
      }
    }
  }

  private void insert(long time, long transactionId, long knownAt) {
    int at = txTimes.length;
    while (at > 0 && txTimes[at - 1] > time) {
      at--;
    }
    txTimes = insertAt(txTimes, at, time);
    txIds = insertAt(txIds, at, transactionId);
    fraudKnownAt = insertAt(fraudKnownAt, at, knownAt);
  }

  private static long[] insertAt(long[] array, int at, long value) {
    long[] out = new long[array.length + 1];
    System.arraycopy(array, 0, out, 0, at);
    out[at] = value;
    System.arraycopy(array, at, out, at + 1, array.length - at);
    return out;
  }

  private static long[] append(long[] array, long value) {
    return insertAt(array, array.length, value);
  }

  private static long[] remove(long[] array, int index) {
    long[] out = new long[array.length - 1];
    System.arraycopy(array, 0, out, 0, index);
    System.arraycopy(array, index + 1, out, index, array.length - index - 1);
    return out;
  }
}
