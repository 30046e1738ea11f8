package dev.millrace.trainer;

import dev.millrace.trainer.eval.RegressionMetric;
import dev.millrace.trainer.model.ModelHead;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a task's models are, as the trainer needs to know it: the head the net is trained with, the
 * vocabularies of its categorical features (entity embeddings; empty when all features are numeric)
 * and, for a regression head, the error the promotion gate compares (a binary head is promoted on
 * {@link TrainerSettings#promotionMetric()}).
 *
 * @param head binary classification or regression (optionally on log1p of the target)
 * @param vocabularies categorical feature name to its vocabulary
 * @param regressionError the error a regression challenger must improve on; null for a binary head
 */
public record TaskModel(
    ModelHead head, Map<String, List<String>> vocabularies, RegressionMetric regressionError) {

  public TaskModel {
    Objects.requireNonNull(head, "head");
    vocabularies = vocabularies == null ? Map.of() : Map.copyOf(vocabularies);
    if (head.isRegression() && regressionError == null) {
      throw new IllegalArgumentException("a regression head needs the error it is promoted on");
    }
    if (!head.isRegression() && regressionError != null) {
      throw new IllegalArgumentException(
          "a binary head is promoted on a ranking metric, not " + regressionError.key());
    }
  }

  /** A binary classifier over numeric features (fraud's model). */
  public static TaskModel binary() {
    return new TaskModel(ModelHead.binary(), Map.of(), null);
  }

  /** A binary classifier with entity embeddings for {@code vocabularies} (churn's model). */
  public static TaskModel binary(Map<String, List<String>> vocabularies) {
    return new TaskModel(ModelHead.binary(), vocabularies, null);
  }

  /**
   * A regression model (demand's: {@link ModelHead#regressionLog1p()} promoted on {@link
   * RegressionMetric#RMSPE}).
   */
  public static TaskModel regression(
      ModelHead head, Map<String, List<String>> vocabularies, RegressionMetric error) {
    return new TaskModel(head, vocabularies, error);
  }

  public boolean isRegression() {
    return head.isRegression();
  }

  /** This model promoted on another regression error. */
  public TaskModel withRegressionError(RegressionMetric error) {
    return new TaskModel(head, vocabularies, error);
  }
}
