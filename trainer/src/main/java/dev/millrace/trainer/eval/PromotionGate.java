package dev.millrace.trainer.eval;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The champion/challenger rule. Both models are scored on the same later slice, and the challenger
 * must beat the champion by more than the noise of that slice: a {@link PairedBootstrap} gives an
 * interval for the difference {@code challenger - champion} of {@code metric}, and the challenger
 * is promoted only when the interval's lower end is above {@code margin} (above 0 when the margin
 * is 0). A challenger that only equals the champion (the same model with another seed) lands
 * inside the noise and is refused. Without a champion (or when the champion cannot be scored) the
 * challenger must beat a no-skill baseline the same way.
 */
public final class PromotionGate {

  private final PromotionMetric metric;
  private final double margin;
  private final PairedBootstrap bootstrap;

  public PromotionGate(PromotionMetric metric, double margin, PairedBootstrap bootstrap) {
    this.metric = Objects.requireNonNull(metric, "metric");
    this.bootstrap = Objects.requireNonNull(bootstrap, "bootstrap");
    if (!Double.isFinite(margin) || margin < 0) {
      throw new IllegalArgumentException("the promotion margin must be >= 0, not " + margin);
    }
    this.margin = margin;
  }

  public PromotionMetric metric() {
    return metric;
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
    double c = challengerMetrics.getOrDefault(metric.key(), Double.NaN);
    if (Double.isNaN(c)) {
      return new Verdict(
          false, c, Double.NaN, null, metric.key() + " of the challenger is undefined on the slice");
    }
    double r =
        championMetrics == null || championScores == null
            ? Double.NaN
            : championMetrics.getOrDefault(metric.key(), Double.NaN);
    if (Double.isNaN(r)) {
      PairedBootstrap.Interval interval =
          bootstrap.difference(metric, eval, challengerScores, null, k);
      boolean promote = beats(interval);
      String prefix =
          championMetrics == null && championScores == null
              ? "first model: "
              : "champion has no " + metric.key() + " on the slice; ";
      return new Verdict(
          promote,
          c,
          noSkillBaseline,
          interval,
          String.format(
              Locale.ROOT,
              "%schallenger %s %.4f vs no-skill baseline %.4f: %s → %s%s",
              prefix,
              metric.key(),
              c,
              noSkillBaseline,
              interval.text(),
              promote ? "promoted" : "not promoted",
              marginNote()));
    }
    PairedBootstrap.Interval interval =
        bootstrap.difference(metric, eval, challengerScores, championScores, k);
    boolean promote = beats(interval);
    return new Verdict(
        promote,
        c,
        r,
        interval,
        String.format(
            Locale.ROOT,
            "challenger %s %.4f vs champion %.4f: %s → %s%s",
            metric.key(),
            c,
            r,
            interval.text(),
            promote ? "promoted" : "kept champion",
            marginNote()));
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
