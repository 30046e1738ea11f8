package dev.millrace.trainer.eval;

import java.time.Duration;

/**
 * How a run evaluates its challenger: the gap between training part and evaluation slice, and the
 * bootstrap of the promotion gate.
 *
 * @param gap the gap between the training part and the evaluation slice; null (the default) for the
 *     label maturity the training examples carry (their longest time from event to label: for fraud
 *     the pipeline's label delay, 7 days, plus its grace)
 * @param bootstrapResamples resamples of the paired bootstrap (default 200)
 * @param confidence coverage of the bootstrap interval (default 0.9)
 * @param bootstrapSeed seed of the resampling, so a decision is repeatable
 * @param seedCheck whether a challenger that beats the champion is trained once more with another
 *     seed, and promoted only if that twin beats the champion too (default true; see {@link
 *     PromotionGate})
 */
public record EvalSettings(
    Duration gap,
    int bootstrapResamples,
    double confidence,
    long bootstrapSeed,
    boolean seedCheck) {

  public static final int DEFAULT_BOOTSTRAP_RESAMPLES = 200;
  public static final double DEFAULT_CONFIDENCE = 0.9;
  public static final long DEFAULT_BOOTSTRAP_SEED = 20_180_401L;

  public EvalSettings {
    if (gap != null && gap.isNegative()) {
      throw new IllegalArgumentException("the evaluation gap must not be negative, not " + gap);
    }
    if (bootstrapResamples < 1) {
      throw new IllegalArgumentException(
          "bootstrap resamples must be >= 1, not " + bootstrapResamples);
    }
    if (!(confidence > 0 && confidence < 1)) {
      throw new IllegalArgumentException(
          "the promotion confidence must lie strictly between 0 and 1, not " + confidence);
    }
  }

  /** Gap from the examples' label maturity, 200 resamples, a 90 % interval, the seed check. */
  public static EvalSettings defaults() {
    return new EvalSettings(
        null, DEFAULT_BOOTSTRAP_RESAMPLES, DEFAULT_CONFIDENCE, DEFAULT_BOOTSTRAP_SEED, true);
  }

  public EvalSettings withGap(Duration g) {
    return new EvalSettings(g, bootstrapResamples, confidence, bootstrapSeed, seedCheck);
  }

  public EvalSettings withBootstrap(int resamples, double level) {
    return new EvalSettings(gap, resamples, level, bootstrapSeed, seedCheck);
  }

  public EvalSettings withSeedCheck(boolean check) {
    return new EvalSettings(gap, bootstrapResamples, confidence, bootstrapSeed, check);
  }

  public PairedBootstrap bootstrap() {
    return new PairedBootstrap(bootstrapResamples, confidence, bootstrapSeed);
  }
}
