package dev.millrace.trainer.model;

import ai.djl.training.tracker.Tracker;

/**
 * The one-cycle learning-rate schedule (Smith & Topin): cosine warm-up from {@code max / 25} to
 * {@code max} over the first 30 % of the steps, then cosine annealing down to {@code max / 1e4}.
 */
public final class OneCycleTracker implements Tracker {

  public static final float WARMUP_FRACTION = 0.3f;
  public static final float DIV_FACTOR = 25f;
  public static final float FINAL_DIV_FACTOR = 1e4f;

  private final float max;
  private final int totalSteps;

  public OneCycleTracker(float maxLearningRate, int totalSteps) {
    if (totalSteps < 1) {
      throw new IllegalArgumentException("totalSteps must be positive: " + totalSteps);
    }
    this.max = maxLearningRate;
    this.totalSteps = totalSteps;
  }

  /**
   * @param numUpdate the update number, counted from 1 by DJL's optimizers
   */
  @Override
  public float getNewValue(int numUpdate) {
    double p = Math.min(1.0, Math.max(0, numUpdate - 1) / (double) totalSteps);
    double start = max / DIV_FACTOR;
    double end = max / FINAL_DIV_FACTOR;
    if (p < WARMUP_FRACTION) {
      double q = p / WARMUP_FRACTION;
      return (float) (start + (max - start) * (1 - Math.cos(Math.PI * q)) / 2);
    }
    double q = (p - WARMUP_FRACTION) / (1 - WARMUP_FRACTION);
    return (float) (end + (max - end) * (1 + Math.cos(Math.PI * q)) / 2);
  }
}
