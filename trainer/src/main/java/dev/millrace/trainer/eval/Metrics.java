package dev.millrace.trainer.eval;

import dev.millrace.scorer.eval.QualityMetrics;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Ranking metrics of a binary classifier on an evaluation slice (ROC AUC and average precision are
 * {@link QualityMetrics}'s, shared with the pipeline's prequential evaluation). A label counts as
 * positive when it is {@code > 0.5}. Metrics that are undefined on the slice (no positives, no
 * negatives) are {@link Double#NaN}.
 */
public final class Metrics {

  private static final long DAY_MILLIS = 86_400_000L;

  private Metrics() {}

  /**
   * Area under the ROC curve, the probability that a random positive scores above a random
   * negative; ties count one half (Mann-Whitney U with average ranks).
   */
  public static double rocAuc(float[] labels, float[] scores) {
    return QualityMetrics.rocAuc(labels, scores);
  }

  /**
   * Average precision as scikit-learn defines it: {@code sum_n (R_n - R_{n-1}) * P_n} over the
   * distinct score thresholds in decreasing order, where a threshold takes every row scoring at or
   * above it (so tied rows enter together, without interpolation).
   */
  public static double averagePrecision(float[] labels, float[] scores) {
    return QualityMetrics.averagePrecision(labels, scores);
  }

  /**
   * Card precision@k of the Fraud Detection Handbook: for each day (UTC, by event time) every card
   * gets its highest score of that day and counts as fraudulent when it had at least one fraud that
   * day; the {@code k} highest-scoring cards are taken (ties broken by card id) and the day's
   * precision is the number of fraudulent cards among them divided by {@code k}. The result is the
   * mean over the days of the slice.
   */
  public static double cardPrecisionAtK(
      float[] labels, float[] scores, long[] eventTimeMillis, String[] entityIds, int k) {
    check(labels, scores);
    checkDays(labels, eventTimeMillis, entityIds, k);
    Map<Long, Map<String, CardDay>> days = cardDays(labels, scores, eventTimeMillis, entityIds);
    if (days.isEmpty()) {
      return Double.NaN;
    }
    double sum = 0;
    for (Map<String, CardDay> cards : days.values()) {
      List<CardDay> ranked = new ArrayList<>(cards.values());
      ranked.sort(
          Comparator.comparingDouble((CardDay c) -> c.maxScore)
              .reversed()
              .thenComparing(c -> c.card));
      int frauds = 0;
      for (int r = 0; r < Math.min(k, ranked.size()); r++) {
        if (ranked.get(r).fraud) {
          frauds++;
        }
      }
      sum += (double) frauds / k;
    }
    return sum / days.size();
  }

  /**
   * The expected card precision@k of a ranking that knows nothing: for each day {@code min(k,
   * cards) * fraudulentCards / cards / k}, averaged over days.
   */
  public static double cardPrecisionAtKNoSkill(
      float[] labels, long[] eventTimeMillis, String[] entityIds, int k) {
    checkDays(labels, eventTimeMillis, entityIds, k);
    Map<Long, Map<String, CardDay>> days =
        cardDays(labels, new float[labels.length], eventTimeMillis, entityIds);
    if (days.isEmpty()) {
      return Double.NaN;
    }
    double sum = 0;
    for (Map<String, CardDay> cards : days.values()) {
      long frauds = cards.values().stream().filter(c -> c.fraud).count();
      sum += Math.min(k, cards.size()) * (double) frauds / cards.size() / k;
    }
    return sum / days.size();
  }

  /** Number of positive labels. */
  public static long positives(float[] labels) {
    return QualityMetrics.positives(labels);
  }

  /**
   * Every metric of {@link PromotionMetric} plus {@code rows}, {@code positives} and {@code
   * prevalence}, keyed by {@link PromotionMetric#key()}; undefined metrics are left out.
   */
  public static Map<String, Double> evaluate(Slice slice, float[] scores, int k) {
    Map<String, Double> out = new LinkedHashMap<>();
    putFinite(
        out, PromotionMetric.AVERAGE_PRECISION.key(), averagePrecision(slice.labels(), scores));
    putFinite(out, PromotionMetric.ROC_AUC.key(), rocAuc(slice.labels(), scores));
    putFinite(
        out,
        PromotionMetric.CARD_PRECISION_AT_K.key(),
        cardPrecisionAtK(slice.labels(), scores, slice.eventTimeMillis(), slice.entityIds(), k));
    long positives = positives(slice.labels());
    out.put("rows", (double) slice.size());
    out.put("positives", (double) positives);
    if (slice.size() > 0) {
      out.put("prevalence", positives / (double) slice.size());
    }
    return out;
  }

  /**
   * The metrics of the head: {@link #evaluate(Slice, float[], int)} for a binary classifier; for a
   * regression (predictions on the target's original scale) {@code rmse}, {@code rmspe} (rows with
   * a positive target), {@code rmsle} and {@code rows}; undefined metrics are left out.
   */
  public static Map<String, Double> evaluate(
      boolean regression, Slice slice, float[] predictions, int k) {
    if (!regression) {
      return evaluate(slice, predictions, k);
    }
    Map<String, Double> out = new LinkedHashMap<>();
    for (RegressionMetric m : RegressionMetric.values()) {
      putFinite(out, m.key(), m.of(slice.labels(), predictions, null));
    }
    out.put("rows", (double) slice.size());
    return out;
  }

  /**
   * What a model without skill (a constant score) reaches on the metric: 0.5 ROC AUC, the
   * prevalence as average precision, the expected random card precision@k.
   */
  public static double noSkill(PromotionMetric metric, Slice slice, int k) {
    return switch (metric) {
      case ROC_AUC -> 0.5;
      case AVERAGE_PRECISION ->
          slice.size() == 0 ? Double.NaN : positives(slice.labels()) / (double) slice.size();
      case CARD_PRECISION_AT_K ->
          cardPrecisionAtKNoSkill(slice.labels(), slice.eventTimeMillis(), slice.entityIds(), k);
    };
  }

  /** The slice's mean target for every row. */
  static float[] constant(Slice slice) {
    float[] c = new float[slice.size()];
    java.util.Arrays.fill(c, RegressionMetrics.meanLabel(slice.labels()));
    return c;
  }

  private static void putFinite(Map<String, Double> out, String key, double value) {
    if (Double.isFinite(value)) {
      out.put(key, value);
    }
  }

  private static Map<Long, Map<String, CardDay>> cardDays(
      float[] labels, float[] scores, long[] eventTimeMillis, String[] entityIds) {
    Map<Long, Map<String, CardDay>> days = new TreeMap<>();
    for (int i = 0; i < labels.length; i++) {
      long day = Math.floorDiv(eventTimeMillis[i], DAY_MILLIS);
      String card = entityIds[i];
      CardDay cd = days.computeIfAbsent(day, d -> new HashMap<>()).get(card);
      if (cd == null) {
        cd = new CardDay(card, scores[i]);
        days.get(day).put(card, cd);
      }
      cd.maxScore = Math.max(cd.maxScore, scores[i]);
      cd.fraud |= positive(labels[i]);
    }
    return days;
  }

  private static final class CardDay {
    final String card;
    double maxScore;
    boolean fraud;

    CardDay(String card, double score) {
      this.card = card;
      this.maxScore = score;
    }
  }

  private static boolean positive(float label) {
    return label > 0.5f;
  }

  private static void check(float[] labels, float[] scores) {
    if (labels.length != scores.length) {
      throw new IllegalArgumentException(
          labels.length + " labels but " + scores.length + " scores");
    }
    for (float score : scores) {
      if (Float.isNaN(score)) {
        throw new IllegalArgumentException("a score is NaN");
      }
    }
  }

  private static void checkDays(float[] labels, long[] eventTimeMillis, String[] entityIds, int k) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be >= 1, not " + k);
    }
    if (eventTimeMillis.length != labels.length || entityIds.length != labels.length) {
      throw new IllegalArgumentException("labels, event times and card ids differ in length");
    }
  }
}
