package dev.millrace.trainer.eval;

/**
 * Errors of a regression model on the original scale of its target (e.g. sales, not log sales).
 * Every metric has a weighted form (integer row weights, as a bootstrap resample gives them); the
 * plain form weighs each row 1. A metric over no rows (or no positive targets, for RMSPE) is {@link
 * Double#NaN}. Lower is better for all of them.
 */
public final class RegressionMetrics {

  private RegressionMetrics() {}

  /** Root mean squared error: {@code sqrt(mean((p - y)^2))}. */
  public static double rmse(float[] labels, float[] predictions) {
    return rmse(labels, predictions, null);
  }

  /**
   * Root mean squared percentage error over the rows with a positive target, as the Rossmann
   * competition scores it: {@code sqrt(mean(((y - p) / y)^2))} over {@code y > 0}.
   */
  public static double rmspe(float[] labels, float[] predictions) {
    return rmspe(labels, predictions, null);
  }

  /**
   * Root mean squared logarithmic error: {@code sqrt(mean((log1p(p) - log1p(y))^2))}, predictions
   * and targets below 0 counted as 0 (as the bike-sharing competition scores it).
   */
  public static double rmsle(float[] labels, float[] predictions) {
    return rmsle(labels, predictions, null);
  }

  /** {@link #rmse(float[], float[])} with row weights (null = all 1). */
  public static double rmse(float[] labels, float[] predictions, int[] weights) {
    check(labels, predictions, weights);
    double sum = 0;
    long n = 0;
    for (int i = 0; i < labels.length; i++) {
      int w = weights == null ? 1 : weights[i];
      double d = (double) predictions[i] - labels[i];
      sum += w * d * d;
      n += w;
    }
    return n == 0 ? Double.NaN : Math.sqrt(sum / n);
  }

  /** {@link #rmspe(float[], float[])} with row weights (null = all 1). */
  public static double rmspe(float[] labels, float[] predictions, int[] weights) {
    check(labels, predictions, weights);
    double sum = 0;
    long n = 0;
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] > 0) {
        int w = weights == null ? 1 : weights[i];
        double d = ((double) labels[i] - predictions[i]) / labels[i];
        sum += w * d * d;
        n += w;
      }
    }
    return n == 0 ? Double.NaN : Math.sqrt(sum / n);
  }

  /** {@link #rmsle(float[], float[])} with row weights (null = all 1). */
  public static double rmsle(float[] labels, float[] predictions, int[] weights) {
    check(labels, predictions, weights);
    double sum = 0;
    long n = 0;
    for (int i = 0; i < labels.length; i++) {
      int w = weights == null ? 1 : weights[i];
      double d = Math.log1p(Math.max(0, predictions[i])) - Math.log1p(Math.max(0, labels[i]));
      sum += w * d * d;
      n += w;
    }
    return n == 0 ? Double.NaN : Math.sqrt(sum / n);
  }

  /** The mean target, the prediction of a model without skill (NaN for no rows). */
  public static float meanLabel(float[] labels) {
    double sum = 0;
    for (float y : labels) {
      sum += y;
    }
    return labels.length == 0 ? Float.NaN : (float) (sum / labels.length);
  }

  private static void check(float[] labels, float[] predictions, int[] weights) {
    if (labels.length != predictions.length) {
      throw new IllegalArgumentException(
          labels.length + " labels but " + predictions.length + " predictions");
    }
    if (weights != null && weights.length != labels.length) {
      throw new IllegalArgumentException(
          labels.length + " labels but " + weights.length + " weights");
    }
    for (float p : predictions) {
      if (Float.isNaN(p)) {
        throw new IllegalArgumentException("a prediction is NaN");
      }
    }
  }
}
