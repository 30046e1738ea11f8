package dev.millrace.scorer.eval;

import java.util.Arrays;

/**
 * Pure quality metrics of a model's scores against outcomes, shared by the trainer (holdout
 * evaluation) and the pipeline jobs (prequential evaluation on matured labels). A label counts as
 * positive when it is {@code > 0.5}. Metrics that are undefined on the input (no positives, no
 * negatives, no rows) are {@link Double#NaN}.
 */
public final class QualityMetrics {

  private QualityMetrics() {}

  /**
   * Area under the ROC curve, the probability that a random positive scores above a random
   * negative; ties count one half (Mann-Whitney U with average ranks).
   */
  public static double rocAuc(float[] labels, float[] scores) {
    check(labels, scores);
    int n = labels.length;
    int[] order = sortedAscending(scores);
    double positiveRankSum = 0;
    long positives = 0;
    int i = 0;
    while (i < n) {
      int j = i;
      while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) {
        j++;
      }
      double averageRank = (i + 1 + j + 1) / 2.0; // ranks are 1-based
      for (int t = i; t <= j; t++) {
        if (positive(labels[order[t]])) {
          positiveRankSum += averageRank;
          positives++;
        }
      }
      i = j + 1;
    }
    long negatives = n - positives;
    if (positives == 0 || negatives == 0) {
      return Double.NaN;
    }
    double u = positiveRankSum - positives * (positives + 1) / 2.0;
    return u / ((double) positives * negatives);
  }

  /**
   * Average precision as scikit-learn defines it: {@code sum_n (R_n - R_{n-1}) * P_n} over the
   * distinct score thresholds in decreasing order, where a threshold takes every row scoring at or
   * above it (so tied rows enter together, without interpolation).
   */
  public static double averagePrecision(float[] labels, float[] scores) {
    check(labels, scores);
    int n = labels.length;
    long totalPositives = positives(labels);
    if (totalPositives == 0) {
      return Double.NaN;
    }
    int[] order = sortedAscending(scores);
    double ap = 0;
    double previousRecall = 0;
    long tp = 0;
    long taken = 0;
    int i = n - 1;
    while (i >= 0) {
      int j = i;
      while (j - 1 >= 0 && scores[order[j - 1]] == scores[order[i]]) {
        j--;
      }
      for (int t = j; t <= i; t++) {
        if (positive(labels[order[t]])) {
          tp++;
        }
        taken++;
      }
      double recall = (double) tp / totalPositives;
      double precision = (double) tp / taken;
      ap += (recall - previousRecall) * precision;
      previousRecall = recall;
      i = j - 1;
    }
    return ap;
  }

  /** Number of positive labels ({@code > 0.5}). */
  public static long positives(float[] labels) {
    long count = 0;
    for (float label : labels) {
      if (positive(label)) {
        count++;
      }
    }
    return count;
  }

  /** Root mean squared error {@code sqrt(mean((y - p)^2))}; NaN without rows. */
  public static double rmse(double[] actual, double[] predicted) {
    checkLengths(actual.length, predicted.length);
    if (actual.length == 0) {
      return Double.NaN;
    }
    double sum = 0;
    for (int i = 0; i < actual.length; i++) {
      double e = actual[i] - predicted[i];
      sum += e * e;
    }
    return Math.sqrt(sum / actual.length);
  }

  /**
   * Root mean squared percentage error {@code sqrt(mean(((y - p) / y)^2))} over the rows whose
   * actual value is not zero (as in the Rossmann competition); NaN when no row has a non-zero
   * actual value.
   */
  public static double rmspe(double[] actual, double[] predicted) {
    checkLengths(actual.length, predicted.length);
    double sum = 0;
    long rows = 0;
    for (int i = 0; i < actual.length; i++) {
      if (actual[i] != 0) {
        double e = (actual[i] - predicted[i]) / actual[i];
        sum += e * e;
        rows++;
      }
    }
    return rows == 0 ? Double.NaN : Math.sqrt(sum / rows);
  }

  private static boolean positive(float label) {
    return label > 0.5f;
  }

  /**
   * Row indices by ascending score, ties by index. A primitive sort of (score, index) packed into
   * longs: the high half is the float's bits made order-preserving as a signed int (negative floats
   * have their magnitude bits flipped), the low half the index. No boxing: this runs every few
   * hundred examples in the pipeline's prequential quality.
   */
  static int[] sortedAscending(float[] scores) {
    long[] keys = new long[scores.length];
    for (int i = 0; i < scores.length; i++) {
      int bits = Float.floatToIntBits(scores[i]);
      int ordered = bits ^ ((bits >> 31) & 0x7fffffff);
      keys[i] = ((long) ordered << 32) | i;
    }
    Arrays.sort(keys);
    int[] order = new int[scores.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = (int) keys[i];
    }
    return order;
  }

  private static void check(float[] labels, float[] scores) {
    checkLengths(labels.length, scores.length);
    for (float score : scores) {
      if (Float.isNaN(score)) {
        throw new IllegalArgumentException("a score is NaN");
      }
    }
  }

  private static void checkLengths(int labels, int scores) {
    if (labels != scores) {
      throw new IllegalArgumentException(labels + " labels but " + scores + " predictions");
    }
  }
}
