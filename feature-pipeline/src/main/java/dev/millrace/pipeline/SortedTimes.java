package dev.millrace.pipeline;

/**
 * Binary searches over the first {@code count} entries of an ascending array of event times, as the
 * per-entity histories keep them (windows are index ranges found by these bounds).
 */
public final class SortedTimes {

  private SortedTimes() {}

  /** The first index in {@code [0, count)} whose time is greater than {@code t}, else count. */
  public static int upperBound(long[] times, int count, long t) {
    int lo = 0;
    int hi = count;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (times[mid] <= t) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** The first index in {@code [0, count)} whose time is at least {@code t}, else count. */
  public static int lowerBound(long[] times, int count, long t) {
    int lo = 0;
    int hi = count;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (times[mid] < t) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
