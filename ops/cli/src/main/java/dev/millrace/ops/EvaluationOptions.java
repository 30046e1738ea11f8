package dev.millrace.ops;

import dev.millrace.trainer.eval.EvalSettings;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * How the trainer evaluates a challenger and decides a promotion: the gap before the evaluation
 * slice, the bootstrap interval and the seed check. Shared by {@code millrace trainer} and {@code
 * millrace backtest}, so that a backtest decides as the trainer would.
 */
final class EvaluationOptions {

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
}
