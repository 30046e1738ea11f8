package dev.millrace.trainer.model;

import dev.millrace.scorer.model.ModelManifest;
import dev.millrace.scorer.model.ModelManifest.FeatureStats;
import java.util.Locale;

/**
 * What the net predicts and how {@link TabularTrainer} fits it: a binary classifier (sigmoid
 * cross-entropy on 0/1 labels, today's head and the default) or a regression (mean squared error on
 * the standardised, optionally log1p-transformed target; no class weights). Recorded in the model
 * manifest as {@link ModelManifest#objective()} and {@link ModelManifest#target()}.
 *
 * @param objective {@link ModelManifest#BINARY_CLASSIFICATION} or {@link ModelManifest#REGRESSION}
 * @param targetTransform for regression: {@link FeatureStats#IDENTITY} or {@link
 *     FeatureStats#LOG1P} (sales and counts); null for binary classification
 */
public record ModelHead(String objective, String targetTransform) {

  public ModelHead {
    if (ModelManifest.BINARY_CLASSIFICATION.equals(objective)) {
      if (targetTransform != null) {
        throw new IllegalArgumentException("a binary head has no target transform");
      }
    } else if (ModelManifest.REGRESSION.equals(objective)) {
      if (!FeatureStats.IDENTITY.equals(targetTransform)
          && !FeatureStats.LOG1P.equals(targetTransform)) {
        throw new IllegalArgumentException(
            "a regression target transform is identity or log1p, not " + targetTransform);
      }
    } else {
      throw new IllegalArgumentException("unknown objective " + objective);
    }
  }

  /** Binary classification (probabilities), the default. */
  public static ModelHead binary() {
    return new ModelHead(ModelManifest.BINARY_CLASSIFICATION, null);
  }

  /** Regression on the original scale with no transform. */
  public static ModelHead regression() {
    return new ModelHead(ModelManifest.REGRESSION, FeatureStats.IDENTITY);
  }

  /** Regression trained on log1p(y), predicting expm1 of the output: for sales and counts. */
  public static ModelHead regressionLog1p() {
    return new ModelHead(ModelManifest.REGRESSION, FeatureStats.LOG1P);
  }

  /** Parses {@code binary}, {@code regression} or {@code regression-log1p}. */
  public static ModelHead parse(String text) {
    String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    return switch (t) {
      case "binary", ModelManifest.BINARY_CLASSIFICATION -> binary();
      case "regression" -> regression();
      case "regression-log1p", "log1p" -> regressionLog1p();
      default ->
          throw new IllegalArgumentException(
              "unknown head '" + text + "': expected binary, regression or regression-log1p");
    };
  }

  public boolean isRegression() {
    return ModelManifest.REGRESSION.equals(objective);
  }
}
