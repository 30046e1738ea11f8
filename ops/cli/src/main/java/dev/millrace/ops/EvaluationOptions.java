package dev.millrace.ops;

import dev.millrace.trainer.TrainerSettings;
import dev.millrace.trainer.eval.EvalSettings;
import dev.millrace.trainer.eval.PromotionMetric;
import dev.millrace.trainer.eval.RegressionMetric;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * What a trainer run trains on and how it evaluates a challenger and decides a promotion: the
 * window, the evaluation slice and the gap before it, the promotion metric and margin, the
 * bootstrap interval and the seed check. Shared by {@code millrace trainer} and {@code millrace
 * backtest}, so that a backtest decides as the trainer would.
 */
final class EvaluationOptions {

  @Option(
      names = "--window",
      paramLabel = "ROWS",
      description =
          "Train on the most recent ROWS examples by event time (default: the task's, "
              + TrainerSettings.DEFAULT_WINDOW_ROWS
              + " unless its model needs more).")
  Integer window;

  @Option(
      names = "--eval-fraction",
      defaultValue = "" + TrainerSettings.DEFAULT_EVAL_FRACTION,
      description =
          "The latest fraction of the window, by event time, used to evaluate"
              + " (default ${DEFAULT-VALUE}).")
  double evalFraction;

  @Option(
      names = "--min-train-rows",
      defaultValue = "" + TrainerSettings.DEFAULT_MIN_TRAIN_ROWS,
      description = "Skip a run with fewer training rows (default ${DEFAULT-VALUE}).")
  int minTrainRows;

  @Option(
      names = "--promotion-metric",
      defaultValue = "auto",
      description =
          "What a challenger must beat the champion on: for a binary head (fraud, churn)"
              + " average_precision, roc_auc or card_precision_at_k; for a regression head"
              + " (demand) the error rmse, rmspe or rmsle, which it must lower; auto: the task's"
              + " (average_precision, demand rmspe) (default ${DEFAULT-VALUE}).")
  String promotionMetric;

  @Option(
      names = "--promotion-margin",
      defaultValue = "0.0",
      description =
          "How much the challenger must beat the champion by: the lower end of the interval of"
              + " its gain must exceed it (default ${DEFAULT-VALUE}: the whole interval above 0).")
  double promotionMargin;

  @Option(
      names = "--card-precision-k",
      defaultValue = "" + TrainerSettings.DEFAULT_CARD_PRECISION_K,
      description = "k of card precision@k (default ${DEFAULT-VALUE}).")
  int cardPrecisionK;

  @Option(
      names = "--eval-gap",
      defaultValue = "auto",
      paramLabel = "DURATION",
      description =
          "Gap between the training rows and the evaluation slice: training rows are older than"
              + " the slice's start minus the gap, rows in the gap train nothing. auto: the label"
              + " maturity the training examples carry (their longest time from event to label; for"
              + " fraud the pipeline's --label-delay, 7d, plus its grace). Or 7d, 36h, PT12H"
              + " (default ${DEFAULT-VALUE}).")
  String evalGap;

  @Option(
      names = "--promotion-confidence",
      defaultValue = "0.9",
      description =
          "Coverage of the bootstrap interval of the challenger's gain over the champion; the"
              + " interval's lower end must exceed the promotion margin (default ${DEFAULT-VALUE}).")
  double promotionConfidence;

  @Option(
      names = "--bootstrap-resamples",
      defaultValue = "200",
      paramLabel = "N",
      description =
          "Resamples of the evaluation slice (by entity) for that interval"
              + " (default ${DEFAULT-VALUE}).")
  int bootstrapResamples;

  @Option(
      names = "--seed-check",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "Train a challenger that beats the champion once more with another seed, and promote it"
              + " only if that twin beats the champion too, so that a gain must repeat to count"
              + " (default ${DEFAULT-VALUE}; --no-seed-check to skip).")
  boolean seedCheck;

  EvalSettings settings() {
    Duration gap;
    if (evalGap == null || evalGap.isBlank() || evalGap.trim().equalsIgnoreCase("auto")) {
      gap = null;
    } else {
      try {
        gap = DurationConverter.parse(evalGap);
      } catch (IllegalArgumentException e) {
        throw new UserError("--eval-gap: " + e.getMessage() + " (or auto)");
      }
    }
    try {
      return EvalSettings.defaults()
          .withGap(gap)
          .withBootstrap(bootstrapResamples, promotionConfidence)
          .withSeedCheck(seedCheck);
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
  }

  /**
   * {@code base} with these options' window, promotion rule and evaluation; {@code
   * --promotion-metric} names a ranking metric for a binary head and an error for a regression head
   * ({@link TrainerSettings#model()}), auto keeps {@code base}'s.
   */
  TrainerSettings applyTo(TrainerSettings base) {
    try {
      TrainerSettings s =
          base.withWindow(window != null ? window : base.windowRows(), evalFraction, minTrainRows);
      boolean auto = promotionMetric == null || promotionMetric.trim().equalsIgnoreCase("auto");
      PromotionMetric ranking = s.promotionMetric();
      if (s.model().isRegression()) {
        if (!auto) {
          s = s.withModel(s.model().withRegressionError(RegressionMetric.parse(promotionMetric)));
        }
      } else if (!auto) {
        ranking = PromotionMetric.parse(promotionMetric);
      }
      return s.withPromotion(ranking, promotionMargin, cardPrecisionK).withEvaluation(settings());
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
  }
}
