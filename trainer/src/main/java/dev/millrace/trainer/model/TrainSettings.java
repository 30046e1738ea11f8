package dev.millrace.trainer.model;

import java.util.Arrays;

/**
 * How {@link TabularTrainer} trains.
 *
 * @param epochs maximum number of passes over the training data (early stopping may stop sooner
 *     when validation data is given)
 * @param batchSize rows per mini-batch
 * @param maxLearningRate peak learning rate of the one-cycle schedule (AdamW)
 * @param weightDecay AdamW's decoupled weight decay
 * @param hiddenSizes units of each hidden layer
 * @param dropout dropout after each hidden layer, in [0, 1)
 * @param batchNorm batch normalisation in each hidden layer
 * @param seed random seed (initialisation, shuffling, dropout)
 * @param balanceClasses up-weight positive examples in the loss by {@code (negatives /
 *     positives)^}{@link TabularTrainer#CLASS_WEIGHT_POWER}
 */
public record TrainSettings(
    int epochs,
    int batchSize,
    float maxLearningRate,
    float weightDecay,
    int[] hiddenSizes,
    float dropout,
    boolean batchNorm,
    long seed,
    boolean balanceClasses) {

  public TrainSettings {
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs must be at least 1: " + epochs);
    }
    if (batchSize < 2) {
      throw new IllegalArgumentException("batchSize must be at least 2: " + batchSize);
    }
    if (!(maxLearningRate > 0) || !Float.isFinite(maxLearningRate)) {
      throw new IllegalArgumentException("maxLearningRate must be positive: " + maxLearningRate);
    }
    if (!(weightDecay >= 0)) {
      throw new IllegalArgumentException("weightDecay must not be negative: " + weightDecay);
    }
    if (hiddenSizes == null) {
      throw new IllegalArgumentException("hiddenSizes must not be null");
    }
    hiddenSizes = hiddenSizes.clone();
    for (int h : hiddenSizes) {
      if (h < 1) {
        throw new IllegalArgumentException(
            "hidden sizes must be positive: " + Arrays.toString(hiddenSizes));
      }
    }
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("dropout must be in [0, 1): " + dropout);
    }
  }

  /**
   * The shipped settings ({@code millrace trainer}): 128-64 with batch norm and dropout 0.2, AdamW
   * one-cycle peak learning rate 0.01, weight decay 0.01, 40 epochs of batch 1024, no class
   * weighting. Chosen on the fraud data by validation average precision on a validation period
   * before the benchmark's test week (train 2018-07-11..17, validate 07-25..31; grid class weight
   * on/off x dropout 0.1/0.2 x 20/40 epochs), never on the test week; see {@code
   * docs/benchmarks/fraud.md}, which reports these settings on the test week over several seeds.
   */
  public static TrainSettings defaults() {
    return new TrainSettings(40, 1024, 1e-2f, 1e-2f, new int[] {128, 64}, 0.2f, true, 42L, false);
  }

  @Override
  public int[] hiddenSizes() {
    return hiddenSizes.clone();
  }

  public TrainSettings withEpochs(int e) {
    return new TrainSettings(
        e,
        batchSize,
        maxLearningRate,
        weightDecay,
        hiddenSizes,
        dropout,
        batchNorm,
        seed,
        balanceClasses);
  }

  public TrainSettings withSeed(long s) {
    return new TrainSettings(
        epochs,
        batchSize,
        maxLearningRate,
        weightDecay,
        hiddenSizes,
        dropout,
        batchNorm,
        s,
        balanceClasses);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TrainSettings t
        && epochs == t.epochs
        && batchSize == t.batchSize
        && Float.compare(maxLearningRate, t.maxLearningRate) == 0
        && Float.compare(weightDecay, t.weightDecay) == 0
        && Arrays.equals(hiddenSizes, t.hiddenSizes)
        && Float.compare(dropout, t.dropout) == 0
        && batchNorm == t.batchNorm
        && seed == t.seed
        && balanceClasses == t.balanceClasses;
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(hiddenSizes)
        + java.util.Objects.hash(
            epochs,
            batchSize,
            maxLearningRate,
            weightDecay,
            dropout,
            batchNorm,
            seed,
            balanceClasses);
  }

  @Override
  public String toString() {
    return "TrainSettings[epochs="
        + epochs
        + ", batchSize="
        + batchSize
        + ", maxLearningRate="
        + maxLearningRate
        + ", weightDecay="
        + weightDecay
        + ", hiddenSizes="
        + Arrays.toString(hiddenSizes)
        + ", dropout="
        + dropout
        + ", batchNorm="
        + batchNorm
        + ", seed="
        + seed
        + ", balanceClasses="
        + balanceClasses
        + "]";
  }
}
