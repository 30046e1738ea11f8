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
 * @param settledOnly train and evaluate only on the window's settled rows ({@link
 *     dev.millrace.trainer.eval.Slice#settled()}): for labels whose delay depends on the class, as
 *     churn's (0 at the next purchase, 1 after the horizon)
 * @param windowRows the window this task needs, when the trainer's default is too short for it
 *     (churn: its horizon twice, as the unsettled tail and as the gap, plus a training part and an
 *     evaluation slice); null for the default
 * @param dropsKnownPositives entities already known positive before the evaluation slice leave it
 *     (the Fraud Detection Handbook's known compromised cards, which a live system blocks); not for
 *     a regression target, and not for churn, where a customer who churned once and came back is an
 *     ordinary customer again
 */
public record TaskModel(
    ModelHead head,
    Map<String, List<String>> vocabularies,
    RegressionMetric regressionError,
    boolean settledOnly,
    Integer windowRows,
    boolean dropsKnownPositives) {

  /**
   * A model whose labels settle at one pace, with the trainer's default window; a classifier's
   * evaluation leaves out known-positive entities.
   */
  public TaskModel(
      ModelHead head, Map<String, List<String>> vocabularies, RegressionMetric regressionError) {
    this(head, vocabularies, regressionError, false, null, !head.isRegression());
  }

  public TaskModel {
    if (head != null && head.isRegression() && dropsKnownPositives) {
      throw new IllegalArgumentException("a regression target has no known-positive entities");
    }
    if (windowRows != null && windowRows < 1) {
      throw new IllegalArgumentException("a window needs at least one row, not " + windowRows);
    }
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
    return new TaskModel(head, vocabularies, error, settledOnly, windowRows, dropsKnownPositives);
  }

  /** This model trained and evaluated on settled rows only, in a window of {@code rows}. */
  public TaskModel settledOnly(int rows) {
    return new TaskModel(head, vocabularies, regressionError, true, rows, dropsKnownPositives);
  }

  /** This model evaluated on every entity, known positive or not (churn's customers). */
  public TaskModel keepingKnownPositives() {
    return new TaskModel(head, vocabularies, regressionError, settledOnly, windowRows, false);
  }

  /** This model with other vocabularies (e.g. those of the features a run keeps). */
  public TaskModel withVocabularies(Map<String, List<String>> v) {
    return new TaskModel(head, v, regressionError, settledOnly, windowRows, dropsKnownPositives);
  }
}
