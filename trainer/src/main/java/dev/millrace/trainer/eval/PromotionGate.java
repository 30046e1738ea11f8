package dev.millrace.trainer.eval;

import java.util.Map;
import java.util.Objects;

/**
 * The champion/challenger rule: both models are scored on the same later slice; the challenger is
 * promoted only if it beats the champion by at least {@code margin} on {@code metric} (strictly
 * more when the margin is 0). Without a champion the challenger must beat a no-skill baseline by
 * the same margin.
 */
public final class PromotionGate {

  private final PromotionMetric metric;
  private final double margin;

  public PromotionGate(PromotionMetric metric, double margin) {
    this.metric = Objects.requireNonNull(metric, "metric");
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

  /** The gate's verdict and a sentence saying why. */
  public record Verdict(boolean promote, double challenger, double reference, String reason) {}

  /**
   * @param challenger metrics of the new model on the evaluation slice
   * @param champion metrics of the current champion on the same slice, or null when there is none
   *     (or it could not be loaded)
   * @param noSkillBaseline the metric of a model without skill on the slice
   */
  public Verdict decide(
      Map<String, Double> challenger, Map<String, Double> champion, double noSkillBaseline) {
    double c = challenger.getOrDefault(metric.key(), Double.NaN);
    if (Double.isNaN(c)) {
      return new Verdict(
          false, c, Double.NaN, metric.key() + " of the challenger is undefined on the slice");
    }
    if (champion == null) {
      boolean beats = beats(c, noSkillBaseline);
      return new Verdict(
          beats,
          c,
          noSkillBaseline,
          String.format(
              "first model: %s %.4f %s no-skill baseline %.4f (margin %.4f)",
              metric.key(), c, beats ? "beats" : "does not beat", noSkillBaseline, margin));
    }
    double r = champion.getOrDefault(metric.key(), Double.NaN);
    if (Double.isNaN(r)) {
      // The champion cannot be measured on this slice: fall back to the baseline.
      boolean beats = beats(c, noSkillBaseline);
      return new Verdict(
          beats,
          c,
          noSkillBaseline,
          String.format(
              "champion has no %s on the slice; challenger %.4f %s no-skill baseline %.4f",
              metric.key(), c, beats ? "beats" : "does not beat", noSkillBaseline));
    }
    boolean beats = beats(c, r);
    return new Verdict(
        beats,
        c,
        r,
        String.format(
            "challenger %s %.4f %s champion %.4f (margin %.4f)",
            metric.key(), c, beats ? "beats" : "does not beat", r, margin));
  }

  private boolean beats(double candidate, double reference) {
    if (Double.isNaN(reference)) {
      return true;
    }
    return margin == 0 ? candidate > reference : candidate >= reference + margin;
  }
}
