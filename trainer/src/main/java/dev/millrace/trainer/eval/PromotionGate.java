package dev.millrace.trainer.eval;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The champion/challenger rule: the challenger must beat the champion by more than the noise.
 *
 * <ol>
 *   <li>The noise of the evaluation slice: both models are scored on the same later slice, a {@link
 *       PairedBootstrap} gives an interval for the difference {@code challenger - champion} of
 *       {@code metric}, and the interval's lower end must be above {@code margin} (above 0 when the
 *       margin is 0).
 *   <li>The noise of training ({@link #confirm}): a challenger that clears step 1 is trained once
 *       more with another seed on the same rows, and that twin must clear the same bar against the
 *       champion. The slice's interval alone lets a model that merely equals the champion (the same
 *       training with another seed) through at about the interval's error rate, 5 % for a 90 %
 *       interval, because two seeds do give two different models; requiring the gain to repeat with
 *       a second seed brings that to about its square. The second training only happens for a
 *       challenger that would otherwise be promoted.
 * </ol>
 *
 * Without a champion (or when the champion cannot be scored) the challenger must beat a no-skill
 * baseline by step 1.
 *
 * <p>A gate on a {@link RegressionMetric} (a regression head) works the same way on the improvement
 * {@code champion error - challenger error} ({@link PairedBootstrap#improvement}); there the
 * no-skill baseline predicts the slice's mean target, and {@code k} is unused.
 */
public final class PromotionGate {

  private final PromotionMetric metric;
  private final RegressionMetric error;
  private final String key;
  private final double margin;
  private final PairedBootstrap bootstrap;

  public PromotionGate(PromotionMetric metric, double margin, PairedBootstrap bootstrap) {
    this(Objects.requireNonNull(metric, "metric"), null, metric.key(), margin, bootstrap);
  }

  /** A gate for a regression head: the challenger must err less on {@code error}. */
  public PromotionGate(RegressionMetric error, double margin, PairedBootstrap bootstrap) {
    this(null, Objects.requireNonNull(error, "error"), error.key(), margin, bootstrap);
  }

  private PromotionGate(
      PromotionMetric metric,
      RegressionMetric error,
      String key,
      double margin,
      PairedBootstrap bootstrap) {
    this.metric = metric;
    this.error = error;
    this.key = key;
    this.bootstrap = Objects.requireNonNull(bootstrap, "bootstrap");
    if (!Double.isFinite(margin) || margin < 0) {
      throw new IllegalArgumentException("the promotion margin must be >= 0, not " + margin);
    }
    this.margin = margin;
  }

  /** The ranking metric of a binary head's gate; null for a regression gate ({@link #error()}). */
  public PromotionMetric metric() {
    return metric;
  }

  /** The error of a regression head's gate; null for a binary head's gate. */
  public RegressionMetric error() {
    return error;
  }

  /**
   * The key of the gate's metric in metric maps ({@code average_precision}, {@code rmspe}, ...).
   */
  public String metricKey() {
    return key;
  }

  /** The interval of the challenger's advantage over the reference (null: no-skill). */
  private PairedBootstrap.Interval advantage(
      Slice eval, float[] challenger, float[] reference, int k) {
    return error != null
        ? bootstrap.improvement(error, eval, challenger, reference)
        : bootstrap.difference(metric, eval, challenger, reference, k);
  }

  public double margin() {
    return margin;
  }

  /**
   * The gate's verdict and a sentence saying why.
   *
   * @param challenger the challenger's metric on the slice
   * @param reference the champion's (or the no-skill baseline's) metric on the slice
   * @param interval the bootstrap interval of {@code challenger - reference}; null when the
   *     challenger's metric is undefined
   */
  public record Verdict(
      boolean promote,
      double challenger,
      double reference,
      PairedBootstrap.Interval interval,
      PairedBootstrap.Interval twinInterval,
      String reason) {}

  /**
   * @param eval the evaluation slice
   * @param challengerScores the challenger's scores on it
   * @param challengerMetrics the challenger's metrics on it ({@link Metrics#evaluate})
   * @param championScores the champion's scores on it, or null when there is no champion (or it
   *     could not be loaded)
   * @param championMetrics the champion's metrics on it, or null
   * @param noSkillBaseline the metric of a model without skill on the slice
   * @param k the k of card precision@k
   */
  public Verdict decide(
      Slice eval,
      float[] challengerScores,
      Map<String, Double> challengerMetrics,
      float[] championScores,
      Map<String, Double> championMetrics,
      double noSkillBaseline,
      int k) {
    double c = challengerMetrics.getOrDefault(key, Double.NaN);
    if (Double.isNaN(c)) {
      return new Verdict(
          false, c, Double.NaN, null, null, key + " of the challenger is undefined on the slice");
    }
    double r =
        championMetrics == null || championScores == null
            ? Double.NaN
            : championMetrics.getOrDefault(key, Double.NaN);
    if (Double.isNaN(r)) {
      PairedBootstrap.Interval interval = advantage(eval, challengerScores, null, k);
      boolean promote = beats(interval);
      String prefix =
          championMetrics == null && championScores == null
              ? "first model: "
              : "champion has no " + key + " on the slice; ";
      return new Verdict(
          promote,
          c,
          noSkillBaseline,
          interval,
          null,
          String.format(
              Locale.ROOT,
              "%schallenger %s %.4f vs no-skill baseline %.4f: %s → %s%s",
              prefix,
              key,
              c,
              noSkillBaseline,
              interval.text(),
              promote ? "promoted" : "not promoted",
              marginNote()));
    }
    PairedBootstrap.Interval interval = advantage(eval, challengerScores, championScores, k);
    boolean promote = beats(interval);
    return new Verdict(
        promote,
        c,
        r,
        interval,
        null,
        String.format(
            Locale.ROOT,
            "%s → %s%s",
            versusChampion(c, r, interval),
            promote ? "promoted" : "kept champion",
            marginNote()));
  }

  /**
   * Step 2: the challenger's training repeated with another seed must clear the bar as well.
   *
   * @param first the verdict of {@link #decide} against a champion (returned as is unless it
   *     promotes)
   * @param twinScores the scores on {@code eval} of the same training with another seed
   * @param twinSeed that seed, for the reason
   */
  public Verdict confirm(
      Verdict first, Slice eval, float[] twinScores, long twinSeed, float[] championScores, int k) {
    if (!first.promote()) {
      return first;
    }
    PairedBootstrap.Interval twin = advantage(eval, twinScores, championScores, k);
    boolean promote = beats(twin);
    return new Verdict(
        promote,
        first.challenger(),
        first.reference(),
        first.interval(),
        twin,
        String.format(
            Locale.ROOT,
            "%s; trained with seed %d: %s → %s%s",
            versusChampion(first.challenger(), first.reference(), first.interval()),
            twinSeed,
            twin.text(),
            promote ? "promoted" : "kept champion (the gain does not repeat with another seed)",
            marginNote()));
  }

  private String versusChampion(double c, double r, PairedBootstrap.Interval interval) {
    return String.format(
        Locale.ROOT, "challenger %s %.4f vs champion %.4f: %s", key, c, r, interval.text());
  }

  private String marginNote() {
    return margin > 0
        ? String.format(Locale.ROOT, " (the lower bound must exceed the margin %.4f)", margin)
        : "";
  }

  /** The interval's lower end is above the margin (strictly; NaN never is). */
  private boolean beats(PairedBootstrap.Interval interval) {
    return interval.lower() > margin;
  }
}
