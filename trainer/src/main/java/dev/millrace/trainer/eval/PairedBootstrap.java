package dev.millrace.trainer.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A paired bootstrap of the difference of a metric between two models scored on the same evaluation
 * slice. The slice is resampled by entity (card, customer, store): its entities are drawn with
 * replacement {@code resamples} times, with a fixed seed so that the same slice and scores always
 * give the same interval, and an entity drawn {@code w} times brings all its rows {@code w} times.
 * Both models are measured on each resample and the percentile interval of the differences is
 * returned.
 *
 * <ul>
 *   <li>Pairing (both models on the same resample) removes the variation that both models share, so
 *       the interval measures how much one model wins by, not how easy the slice is.
 *   <li>Resampling entities rather than rows keeps the rows of one entity together: a compromised
 *       card makes several frauds in a row and scores them alike, so its rows are not independent
 *       and resampling them one by one would understate the noise. With one row per entity it is
 *       the ordinary row bootstrap.
 * </ul>
 *
 * <p>Each resample is computed as weighted metrics over the original rows, walking each model's
 * scores in an order sorted once: linear work per resample (about 0.3 s for 40,000 rows and 200
 * resamples). Card precision@k counts a card drawn {@code w} times as {@code w} cards of its day.
 */
public final class PairedBootstrap {

  private final int resamples;
  private final double confidence;
  private final long seed;

  /**
   * @param resamples how many bootstrap resamples (at least 1)
   * @param confidence the interval's coverage, strictly between 0 and 1 (e.g. 0.9)
   * @param seed seed of the resampling
   */
  public PairedBootstrap(int resamples, double confidence, long seed) {
    if (resamples < 1) {
      throw new IllegalArgumentException("bootstrap resamples must be >= 1, not " + resamples);
    }
    if (!(confidence > 0 && confidence < 1)) {
      throw new IllegalArgumentException(
          "the confidence level must lie strictly between 0 and 1, not " + confidence);
    }
    this.resamples = resamples;
    this.confidence = confidence;
    this.seed = seed;
  }

  /**
   * The difference {@code challenger - reference} of a metric with its bootstrap interval.
   *
   * @param estimate the difference on the slice itself
   * @param lower the lower end of the percentile interval
   * @param upper the upper end
   * @param confidence the interval's coverage
   * @param resamples resamples on which both metrics were defined
   */
  public record Interval(
      double estimate, double lower, double upper, double confidence, int resamples) {

    /** {@code Δ +0.0140 [90% CI -0.0060, +0.0330]}. */
    public String text() {
      return String.format(
          Locale.ROOT,
          "Δ %+.4f [%s%% CI %+.4f, %+.4f]",
          estimate,
          percent(confidence),
          lower,
          upper);
    }

    private static String percent(double c) {
      double p = c * 100;
      return p == Math.rint(p)
          ? Long.toString(Math.round(p))
          : String.format(Locale.ROOT, "%.1f", p);
    }
  }

  /**
   * @param metric the metric
   * @param slice the evaluation slice
   * @param challenger the challenger's scores on the slice
   * @param reference the champion's scores on the slice, or null for the no-skill baseline (a model
   *     without skill: 0.5 ROC AUC, the resample's prevalence as AP, the expected random card
   *     precision@k)
   * @param k the k of card precision@k
   * @return the interval; its bounds are NaN when fewer than half of the resamples had the metric
   *     defined for both
   */
  public Interval difference(
      PromotionMetric metric, Slice slice, float[] challenger, float[] reference, int k) {
    int n = slice.size();
    if (challenger.length != n || (reference != null && reference.length != n)) {
      throw new IllegalArgumentException("scores and slice differ in length");
    }
    double estimate =
        metric(metric, slice, challenger, k)
            - (reference == null
                ? Metrics.noSkill(metric, slice, k)
                : metric(metric, slice, reference, k));
    if (n == 0) {
      return new Interval(estimate, Double.NaN, Double.NaN, confidence, 0);
    }
    Entities entities = new Entities(slice.entityIds());
    boolean[] positive = new boolean[n];
    for (int i = 0; i < n; i++) {
      positive[i] = slice.labels()[i] > 0.5f;
    }
    Measure c = measure(metric, slice, challenger, positive, entities, k);
    Measure r = reference == null ? null : measure(metric, slice, reference, positive, entities, k);
    Measure noSkill = reference == null ? noSkill(metric, slice, positive, entities, k) : null;

    SplittableRandom random = new SplittableRandom(seed);
    int[] entityWeights = new int[entities.count];
    int[] rowWeights = new int[n];
    double[] diffs = new double[resamples];
    int defined = 0;
    for (int b = 0; b < resamples; b++) {
      Arrays.fill(entityWeights, 0);
      for (int e = 0; e < entities.count; e++) {
        entityWeights[random.nextInt(entities.count)]++;
      }
      for (int i = 0; i < n; i++) {
        rowWeights[i] = entityWeights[entities.ofRow[i]];
      }
      double cm = c.on(rowWeights, entityWeights);
      double rm =
          r != null ? r.on(rowWeights, entityWeights) : noSkill.on(rowWeights, entityWeights);
      double d = cm - rm;
      if (Double.isFinite(d)) {
        diffs[defined++] = d;
      }
    }
    if (defined * 2 < resamples) {
      return new Interval(estimate, Double.NaN, Double.NaN, confidence, defined);
    }
    double[] sorted = Arrays.copyOf(diffs, defined);
    Arrays.sort(sorted);
    double tail = (1 - confidence) / 2;
    return new Interval(
        estimate, quantile(sorted, tail), quantile(sorted, 1 - tail), confidence, defined);
  }

  /**
   * The improvement {@code reference - challenger} of a regression error (above 0: the challenger
   * errs less) with its bootstrap interval, resampling entities as {@link #difference} does.
   *
   * @param reference the champion's predictions, or null for the no-skill baseline (the slice's
   *     mean target for every row)
   */
  public Interval improvement(
      RegressionMetric metric, Slice slice, float[] challenger, float[] reference) {
    int n = slice.size();
    if (challenger.length != n || (reference != null && reference.length != n)) {
      throw new IllegalArgumentException("predictions and slice differ in length");
    }
    float[] ref = reference != null ? reference : Metrics.constant(slice);
    float[] y = slice.labels();
    double estimate = metric.of(y, ref, null) - metric.of(y, challenger, null);
    if (n == 0) {
      return new Interval(estimate, Double.NaN, Double.NaN, confidence, 0);
    }
    Entities entities = new Entities(slice.entityIds());
    SplittableRandom random = new SplittableRandom(seed);
    int[] entityWeights = new int[entities.count];
    int[] rowWeights = new int[n];
    double[] diffs = new double[resamples];
    int defined = 0;
    for (int b = 0; b < resamples; b++) {
      Arrays.fill(entityWeights, 0);
      for (int e = 0; e < entities.count; e++) {
        entityWeights[random.nextInt(entities.count)]++;
      }
      for (int i = 0; i < n; i++) {
        rowWeights[i] = entityWeights[entities.ofRow[i]];
      }
      double d = metric.of(y, ref, rowWeights) - metric.of(y, challenger, rowWeights);
      if (Double.isFinite(d)) {
        diffs[defined++] = d;
      }
    }
    if (defined * 2 < resamples) {
      return new Interval(estimate, Double.NaN, Double.NaN, confidence, defined);
    }
    double[] sorted = Arrays.copyOf(diffs, defined);
    Arrays.sort(sorted);
    double tail = (1 - confidence) / 2;
    return new Interval(
        estimate, quantile(sorted, tail), quantile(sorted, 1 - tail), confidence, defined);
  }

  /** A metric of one model on a resample given by row and entity weights. */
  private interface Measure {
    double on(int[] rowWeights, int[] entityWeights);
  }

  private static Measure measure(
      PromotionMetric metric,
      Slice slice,
      float[] scores,
      boolean[] positive,
      Entities entities,
      int k) {
    return switch (metric) {
      case AVERAGE_PRECISION, ROC_AUC -> {
        Ranked ranked = new Ranked(scores);
        yield (rows, ents) -> ranked.weighted(metric, positive, rows);
      }
      case CARD_PRECISION_AT_K -> {
        CardDays days = new CardDays(slice, scores, positive, entities);
        yield (rows, ents) -> days.precisionAtK(ents, k);
      }
    };
  }

  /** What a model without skill reaches on each resample. */
  private static Measure noSkill(
      PromotionMetric metric, Slice slice, boolean[] positive, Entities entities, int k) {
    return switch (metric) {
      case ROC_AUC -> (rows, ents) -> 0.5;
      case AVERAGE_PRECISION ->
          (rows, ents) -> {
            long p = 0;
            long all = 0;
            for (int i = 0; i < rows.length; i++) {
              all += rows[i];
              if (positive[i]) {
                p += rows[i];
              }
            }
            return p == 0 ? Double.NaN : p / (double) all;
          };
      case CARD_PRECISION_AT_K -> {
        CardDays days = new CardDays(slice, new float[slice.size()], positive, entities);
        yield (rows, ents) -> days.noSkill(ents, k);
      }
    };
  }

  /** The {@code q}-quantile of sorted values, interpolated linearly (numpy's default). */
  static double quantile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(sorted.length - 1, lo + 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  }

  private static double metric(PromotionMetric metric, Slice s, float[] scores, int k) {
    return switch (metric) {
      case AVERAGE_PRECISION -> Metrics.averagePrecision(s.labels(), scores);
      case ROC_AUC -> Metrics.rocAuc(s.labels(), scores);
      case CARD_PRECISION_AT_K ->
          Metrics.cardPrecisionAtK(s.labels(), scores, s.eventTimeMillis(), s.entityIds(), k);
    };
  }

  /** The entities of a slice numbered 0..count-1, and each row's entity. */
  private static final class Entities {
    final int[] ofRow;
    final int count;
    final String[] names;

    Entities(String[] ids) {
      ofRow = new int[ids.length];
      HashMap<String, Integer> index = new HashMap<>();
      for (int i = 0; i < ids.length; i++) {
        Integer e = index.putIfAbsent(ids[i], index.size());
        ofRow[i] = e == null ? index.size() - 1 : e;
      }
      count = index.size();
      names = new String[count];
      index.forEach((name, e) -> names[e] = name);
    }
  }

  /**
   * Card precision@k on weighted resamples: per UTC day, every card of the day with its highest
   * score and whether it had a fraud, sorted once as {@link Metrics#cardPrecisionAtK} ranks them
   * (score descending, card id ascending).
   */
  private static final class CardDays {
    private static final long DAY_MILLIS = 86_400_000L;

    /** Per day: the card (entity number) and fraud flag of each card-day, in ranking order. */
    final int[][] cards;

    final boolean[][] fraud;

    CardDays(Slice slice, float[] scores, boolean[] positive, Entities entities) {
      TreeMap<Long, HashMap<Integer, double[]>> byDay = new TreeMap<>();
      long[] times = slice.eventTimeMillis();
      for (int i = 0; i < scores.length; i++) {
        if (Float.isNaN(scores[i])) {
          throw new IllegalArgumentException("a score is NaN");
        }
        long day = Math.floorDiv(times[i], DAY_MILLIS);
        double[] cd =
            byDay
                .computeIfAbsent(day, d -> new HashMap<>())
                .computeIfAbsent(
                    entities.ofRow[i], e -> new double[] {Double.NEGATIVE_INFINITY, 0});
        cd[0] = Math.max(cd[0], scores[i]);
        if (positive[i]) {
          cd[1] = 1;
        }
      }
      cards = new int[byDay.size()][];
      fraud = new boolean[byDay.size()][];
      int d = 0;
      for (HashMap<Integer, double[]> day : byDay.values()) {
        List<Map.Entry<Integer, double[]>> ranked = new ArrayList<>(day.entrySet());
        ranked.sort(
            Comparator.comparingDouble((Map.Entry<Integer, double[]> e) -> e.getValue()[0])
                .reversed()
                .thenComparing(e -> entities.names[e.getKey()]));
        cards[d] = new int[ranked.size()];
        fraud[d] = new boolean[ranked.size()];
        for (int j = 0; j < ranked.size(); j++) {
          cards[d][j] = ranked.get(j).getKey();
          fraud[d][j] = ranked.get(j).getValue()[1] > 0;
        }
        d++;
      }
    }

    /** Mean over the resample's days of the frauds among its k top cards, over k. */
    double precisionAtK(int[] entityWeights, int k) {
      double sum = 0;
      int days = 0;
      for (int d = 0; d < cards.length; d++) {
        int remaining = k;
        long frauds = 0;
        boolean present = false;
        for (int j = 0; j < cards[d].length; j++) {
          int w = entityWeights[cards[d][j]];
          if (w == 0) {
            continue;
          }
          present = true;
          if (remaining > 0) {
            int take = Math.min(w, remaining);
            if (fraud[d][j]) {
              frauds += take;
            }
            remaining -= take;
          }
        }
        if (present) {
          sum += (double) frauds / k;
          days++;
        }
      }
      return days == 0 ? Double.NaN : sum / days;
    }

    /** The expected card precision@k of a ranking without skill, {@code min(k, W) F / W / k}. */
    double noSkill(int[] entityWeights, int k) {
      double sum = 0;
      int days = 0;
      for (int d = 0; d < cards.length; d++) {
        long all = 0;
        long frauds = 0;
        for (int j = 0; j < cards[d].length; j++) {
          int w = entityWeights[cards[d][j]];
          all += w;
          if (fraud[d][j]) {
            frauds += w;
          }
        }
        if (all > 0) {
          sum += Math.min(k, all) * (double) frauds / all / k;
          days++;
        }
      }
      return days == 0 ? Double.NaN : sum / days;
    }
  }

  /** One model's rows in decreasing score order, split into groups of equal score. */
  private static final class Ranked {
    final int[] order;
    final int[] groupEnd; // exclusive end (in order) of the group starting at each group start

    Ranked(float[] scores) {
      int n = scores.length;
      Integer[] boxed = new Integer[n];
      for (int i = 0; i < n; i++) {
        if (Float.isNaN(scores[i])) {
          throw new IllegalArgumentException("a score is NaN");
        }
        boxed[i] = i;
      }
      Arrays.sort(boxed, (a, b) -> Float.compare(scores[b], scores[a]));
      order = new int[n];
      for (int i = 0; i < n; i++) {
        order[i] = boxed[i];
      }
      groupEnd = new int[n];
      int i = 0;
      while (i < n) {
        int j = i + 1;
        while (j < n && scores[order[j]] == scores[order[i]]) {
          j++;
        }
        groupEnd[i] = j;
        i = j;
      }
    }

    /** AP or ROC AUC of the rows weighted by {@code weights}; NaN when undefined. */
    double weighted(PromotionMetric metric, boolean[] positive, int[] weights) {
      long totalPos = 0;
      long totalNeg = 0;
      for (int i = 0; i < positive.length; i++) {
        if (positive[i]) {
          totalPos += weights[i];
        } else {
          totalNeg += weights[i];
        }
      }
      if (totalPos == 0) {
        return Double.NaN;
      }
      if (metric == PromotionMetric.ROC_AUC && totalNeg == 0) {
        return Double.NaN;
      }
      long tp = 0;
      long fp = 0;
      double sum = 0;
      int n = order.length;
      int i = 0;
      while (i < n) {
        int end = groupEnd[i];
        long gp = 0;
        long gn = 0;
        for (int t = i; t < end; t++) {
          int row = order[t];
          if (positive[row]) {
            gp += weights[row];
          } else {
            gn += weights[row];
          }
        }
        if (metric == PromotionMetric.AVERAGE_PRECISION) {
          tp += gp;
          fp += gn;
          if (gp > 0) {
            sum += (double) gp / totalPos * tp / (tp + fp);
          }
        } else {
          // positives of this group beat the negatives below it, tie with those of the group
          long negativesBelow = totalNeg - fp - gn;
          sum += gp * (negativesBelow + gn / 2.0);
          fp += gn;
        }
        i = end;
      }
      return metric == PromotionMetric.AVERAGE_PRECISION
          ? sum
          : sum / ((double) totalPos * totalNeg);
    }
  }
}
