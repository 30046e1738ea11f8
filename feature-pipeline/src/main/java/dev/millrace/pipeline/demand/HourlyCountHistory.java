package dev.millrace.pipeline.demand;

import java.util.Arrays;

/**
 * One counter's last week of hourly counts and its pending next-hour forecast: the state behind the
 * bike-sharing features. Counts sit in a ring indexed by hour (epoch hours modulo {@link #HOURS});
 * an hour that never arrived reads as missing (NaN).
 *
 * <p>Plain Java, also used outside Flink. Inside Flink it is keyed state; its fields are public so
 * that Flink serialises it as a POJO (primitive arrays, no Kryo). Treat them as read-only.
 */
public class HourlyCountHistory {

  /** Hours kept: one week, the longest lag. */
  public static final int HOURS = 168;

  /** The epoch hour each ring slot holds, {@code Long.MIN_VALUE} when empty. */
  public long[] hourOfSlot = filled();

  /** The count of each ring slot. */
  public float[] counts = new float[HOURS];

  /** The latest hour seen, {@code Long.MIN_VALUE} before the first. */
  public long lastHour = Long.MIN_VALUE;

  /** The features scored for {@link #pendingHour}, or null. */
  public float[] pendingFeatures;

  /** The epoch hour the pending features forecast. */
  public long pendingHour = Long.MIN_VALUE;

  public HourlyCountHistory() {}

  private static long[] filled() {
    long[] a = new long[HOURS];
    Arrays.fill(a, Long.MIN_VALUE);
    return a;
  }

  /** Records the count of an epoch hour. */
  public void add(long hour, float count) {
    int slot = (int) Math.floorMod(hour, (long) HOURS);
    hourOfSlot[slot] = hour;
    counts[slot] = count;
    lastHour = Math.max(lastHour, hour);
  }

  /** The count of an epoch hour within the last week, NaN when it did not arrive or is older. */
  public float count(long hour) {
    int slot = (int) Math.floorMod(hour, (long) HOURS);
    return hourOfSlot[slot] == hour ? counts[slot] : Float.NaN;
  }

  /** Mean log1p count of the hours {@code (hour - n, hour]} that arrived; NaN when none did. */
  public double meanLogCount(long hour, int n) {
    double sum = 0;
    int seen = 0;
    for (long h = hour - n + 1; h <= hour; h++) {
      float c = count(h);
      if (!Float.isNaN(c)) {
        sum += Math.log1p(c);
        seen++;
      }
    }
    return seen == 0 ? Double.NaN : sum / seen;
  }
}
