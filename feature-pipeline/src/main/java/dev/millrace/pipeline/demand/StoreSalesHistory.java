package dev.millrace.pipeline.demand;

/**
 * One store's recent open days and its pending forecast: the state behind the demand features.
 * Holds the last {@link #CAPACITY} open days with positive sales (epoch day, log1p sales, promo
 * flag), oldest first, and the feature vector scored for the next open day until that day's row
 * brings its label.
 *
 * <p>Plain Java, also used outside Flink. Inside Flink it is keyed state; its fields are public so
 * that Flink serialises it as a POJO (primitive arrays, no Kryo). Treat them as read-only.
 */
public class StoreSalesHistory {

  /** Open days kept: the longest window of the features. */
  public static final int CAPACITY = 28;

  /** Epoch days of the kept open days, ascending; entries {@code [0, count)} are in use. */
  public long[] days = new long[CAPACITY];

  /** log1p(sales) of each kept day, parallel to {@link #days}. */
  public float[] logSales = new float[CAPACITY];

  /** Whether each kept day had a promotion. */
  public boolean[] promo = new boolean[CAPACITY];

  /** Entries in use. */
  public int count;

  /** The latest day seen (open or not), {@code Long.MIN_VALUE} before the first. */
  public long lastDay = Long.MIN_VALUE;

  /** The features scored for {@link #pendingDay}, or null when nothing waits for a label. */
  public float[] pendingFeatures;

  /** The epoch day the pending features forecast. */
  public long pendingDay = Long.MIN_VALUE;

  /** The epoch day the pending features were scored at. */
  public long pendingScoredDay = Long.MIN_VALUE;

  public StoreSalesHistory() {}

  /** Records an open day with positive sales; the oldest day leaves when the history is full. */
  public void addOpenDay(long day, double sales, boolean promoDay) {
    if (count == CAPACITY) {
      System.arraycopy(days, 1, days, 0, CAPACITY - 1);
      System.arraycopy(logSales, 1, logSales, 0, CAPACITY - 1);
      System.arraycopy(promo, 1, promo, 0, CAPACITY - 1);
      count--;
    }
    days[count] = day;
    logSales[count] = (float) Math.log1p(sales);
    promo[count] = promoDay;
    count++;
  }

  /** Mean log1p sales of the last {@code n} kept open days (fewer when fewer kept); NaN if none. */
  public double meanLogSales(int n) {
    int from = Math.max(0, count - n);
    if (from == count) {
      return Double.NaN;
    }
    double sum = 0;
    for (int i = from; i < count; i++) {
      sum += logSales[i];
    }
    return sum / (count - from);
  }

  /** log1p sales of the kept open day {@code day}, NaN when it is not kept. */
  public double logSalesOn(long day) {
    for (int i = count - 1; i >= 0 && days[i] >= day; i--) {
      if (days[i] == day) {
        return logSales[i];
      }
    }
    return Double.NaN;
  }

  /** log1p sales of the latest kept open day, NaN when none. */
  public double lastLogSales() {
    return count == 0 ? Double.NaN : logSales[count - 1];
  }

  /** The latest kept open day, {@code Long.MIN_VALUE} when none. */
  public long lastOpenDay() {
    return count == 0 ? Long.MIN_VALUE : days[count - 1];
  }

  /**
   * Mean log1p sales of the kept promo days minus that of the kept non-promo days; NaN unless both
   * kinds are kept.
   */
  public double promoUplift() {
    double sp = 0;
    double sn = 0;
    int np = 0;
    int nn = 0;
    for (int i = 0; i < count; i++) {
      if (promo[i]) {
        sp += logSales[i];
        np++;
      } else {
        sn += logSales[i];
        nn++;
      }
    }
    return np == 0 || nn == 0 ? Double.NaN : sp / np - sn / nn;
  }

  /** Sets the forecast waiting for its label. */
  public void setPending(float[] features, long scoredDay, long targetDay) {
    pendingFeatures = features;
    pendingScoredDay = scoredDay;
    pendingDay = targetDay;
  }

  /** Drops the pending forecast. */
  public void clearPending() {
    pendingFeatures = null;
    pendingDay = Long.MIN_VALUE;
    pendingScoredDay = Long.MIN_VALUE;
  }
}
