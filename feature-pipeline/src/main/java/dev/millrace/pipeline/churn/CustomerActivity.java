package dev.millrace.pipeline.churn;

import dev.millrace.pipeline.SortedTimes;
import java.util.Arrays;

/**
 * One customer's purchase history, enough to compute {@link ChurnFeatures} at any time: the baskets
 * (event time, value) of the longest window plus the allowed lateness, sorted by time, and running
 * all-time totals (baskets, value, items, gap statistics, returns, country).
 *
 * <p>A purchase line with the same event time as an existing basket joins that basket. A purchase
 * dated before the newest basket (late, within the allowed lateness) joins the windows and totals,
 * but the gap statistics and the last gap follow the baskets in arrival order only: they are
 * updated by baskets newer than every one seen.
 *
 * <p>Plain Java, also used outside Flink. Inside Flink it is keyed state; its fields are public so
 * that Flink serialises it as a POJO (primitive arrays, no Kryo). Treat them as read-only.
 */
public class CustomerActivity {

  static final double DAY_MS = 86_400_000d;
  private static final long WINDOW_MS = ChurnFeatures.LONGEST_WINDOW.toMillis();

  /** Basket times in epoch milliseconds, ascending; entries {@code [0, count)} are in use. */
  public long[] times = new long[0];

  /** Basket values, parallel to {@link #times}. */
  public double[] values = new double[0];

  /** Entries in use in {@link #times} and {@link #values}. */
  public int count;

  /** The first basket ever seen, {@code Long.MIN_VALUE} before one. */
  public long firstBasket = Long.MIN_VALUE;

  /** The newest basket, {@code Long.MIN_VALUE} before one. */
  public long lastBasket = Long.MIN_VALUE;

  /** The newest activity of any kind (purchase or return), {@code Long.MIN_VALUE} before one. */
  public long newest = Long.MIN_VALUE;

  /** Baskets, all time. */
  public long baskets;

  /** Purchase value, all time. */
  public double valueTotal;

  /** Purchased quantity, all time. */
  public double itemsTotal;

  /** Gaps between consecutive baskets (in arrival order). */
  public long gaps;

  /** Mean gap in days (Welford). */
  public double gapMean;

  /** Sum of squared deviations of the gaps (Welford). */
  public double gapM2;

  /** The last gap in days. */
  public double lastGap;

  /** Return lines, all time. */
  public long returns;

  /** Value of the returns (positive), all time. */
  public double returnsValue;

  /** The index of the latest known country, -1 if none. */
  public int country = -1;

  public CustomerActivity() {}

  /**
   * Records a purchase line ({@code quantity > 0}) at {@code time}.
   *
   * @param countryIndex {@link ChurnFeatures#countryIndex}; -1 keeps the known one
   * @param allowedLatenessMs baskets older than {@code newest - 365 days - lateness} are dropped
   */
  public void purchase(
      long time, int quantity, double unitPrice, int countryIndex, long allowedLatenessMs) {
    double value = quantity * unitPrice;
    noteCountry(countryIndex);
    newest = Math.max(newest, time);
    if (time > lastBasket) {
      if (lastBasket != Long.MIN_VALUE) {
        double gap = (time - lastBasket) / DAY_MS;
        gaps++;
        double delta = gap - gapMean;
        gapMean += delta / gaps;
        gapM2 += delta * (gap - gapMean);
        lastGap = gap;
      }
      lastBasket = time;
    }
    if (firstBasket == Long.MIN_VALUE || time < firstBasket) {
      firstBasket = time;
    }
    valueTotal += value;
    itemsTotal += quantity;
    evictUpTo(newest - WINDOW_MS - allowedLatenessMs);
    int at = SortedTimes.lowerBound(times, count, time);
    if (at < count && times[at] == time) {
      values[at] += value;
    } else {
      baskets++;
      insert(at, time, value);
    }
  }

  /** Records a return line ({@code quantity < 0}) at {@code time}. */
  public void returnLine(long time, int quantity, double unitPrice, int countryIndex) {
    noteCountry(countryIndex);
    newest = Math.max(newest, time);
    returns++;
    returnsValue += Math.abs(quantity * unitPrice);
  }

  /** The features in {@link ChurnFeatures#NAMES} order as of time {@code t}. */
  public float[] features(long t) {
    float[] f = new float[ChurnFeatures.SIZE];
    boolean any = lastBasket != Long.MIN_VALUE;
    double recency = any ? Math.max(0, t - lastBasket) / DAY_MS : 0;
    f[ChurnFeatures.RECENCY] = (float) recency;
    f[ChurnFeatures.TENURE] = any ? (float) (Math.max(0, t - firstBasket) / DAY_MS) : 0f;
    int hi = SortedTimes.upperBound(times, count, t);
    for (int i = 0; i < ChurnFeatures.WINDOW_DAYS.length; i++) {
      int lo = SortedTimes.upperBound(times, count, t - ChurnFeatures.WINDOW_DAYS[i] * 86_400_000L);
      double sum = 0;
      for (int j = lo; j < hi; j++) {
        sum += values[j];
      }
      f[ChurnFeatures.FREQUENCY + i] = Math.max(0, hi - lo);
      f[ChurnFeatures.MONETARY + i] = (float) sum;
    }
    f[ChurnFeatures.GAP_MEAN] = (float) gapMean;
    f[ChurnFeatures.GAP_STD] = gaps == 0 ? 0f : (float) Math.sqrt(gapM2 / gaps);
    f[ChurnFeatures.GAP_LAST] = (float) lastGap;
    f[ChurnFeatures.RECENCY_OVER_GAP] = gapMean > 0 ? (float) (recency / gapMean) : 0f;
    f[ChurnFeatures.BASKETS] = baskets;
    f[ChurnFeatures.BASKET_VALUE_MEAN] = baskets == 0 ? 0f : (float) (valueTotal / baskets);
    f[ChurnFeatures.BASKET_ITEMS_MEAN] = baskets == 0 ? 0f : (float) (itemsTotal / baskets);
    f[ChurnFeatures.RETURNS] = returns;
    f[ChurnFeatures.RETURNS_VALUE] = (float) returnsValue;
    f[ChurnFeatures.COUNTRY_INDEX] = country;
    return f;
  }

  /** Baskets held in the window arrays. */
  public int size() {
    return count;
  }

  private void noteCountry(int countryIndex) {
    if (countryIndex >= 0) {
      country = countryIndex;
    }
  }

  private void evictUpTo(long cutoffInclusive) {
    int keepFrom = SortedTimes.upperBound(times, count, cutoffInclusive);
    if (keepFrom > 0) {
      int left = count - keepFrom;
      System.arraycopy(times, keepFrom, times, 0, left);
      System.arraycopy(values, keepFrom, values, 0, left);
      count = left;
    }
  }

  private void insert(int at, long time, double value) {
    if (count == times.length) {
      int capacity = Math.max(8, count + (count >> 1));
      times = Arrays.copyOf(times, capacity);
      values = Arrays.copyOf(values, capacity);
    }
    System.arraycopy(times, at, times, at + 1, count - at);
    System.arraycopy(values, at, values, at + 1, count - at);
    times[at] = time;
    values[at] = value;
    count++;
  }
}
