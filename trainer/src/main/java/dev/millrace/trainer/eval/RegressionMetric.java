package dev.millrace.trainer.eval;

import java.util.Locale;

/**
 * The error on which a regression challenger must beat the champion ({@link PromotionGate}); lower
 * is better for all of them, and the gate looks at the improvement {@code champion - challenger}.
 * Values are {@link RegressionMetrics} on the target's original scale.
 */
public enum RegressionMetric {
  /** Root mean squared error. */
  RMSE("rmse"),
  /** Root mean squared percentage error over rows with a positive target (sales). */
  RMSPE("rmspe"),
  /** Root mean squared logarithmic error (counts). */
  RMSLE("rmsle");

  private final String key;

  RegressionMetric(String key) {
    this.key = key;
  }

  /** The key in metric maps, announcements and the training history. */
  public String key() {
    return key;
  }

  /** The metric of predictions on labels, row weights as a bootstrap resample draws them. */
  public double of(float[] labels, float[] predictions, int[] weights) {
    return switch (this) {
      case RMSE -> RegressionMetrics.rmse(labels, predictions, weights);
      case RMSPE -> RegressionMetrics.rmspe(labels, predictions, weights);
      case RMSLE -> RegressionMetrics.rmsle(labels, predictions, weights);
    };
  }

  /** What a model without skill reaches: the error of the slice's mean target for every row. */
  public double noSkill(Slice slice) {
    return of(slice.labels(), Metrics.constant(slice), null);
  }

  /** Parses a key or an enum name ({@code rmspe}, {@code RMSLE}). */
  public static RegressionMetric parse(String text) {
    if (text != null) {
      String clean = text.trim().toLowerCase(Locale.ROOT);
      for (RegressionMetric m : values()) {
        if (m.key.equals(clean)) {
          return m;
        }
      }
    }
    throw new IllegalArgumentException(
        "unknown regression metric '" + text + "': expected rmse, rmspe or rmsle");
  }
}
