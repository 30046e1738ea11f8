package dev.millrace.trainer.model;

import dev.millrace.scorer.FeatureSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A seeded synthetic fraud-like problem: heavy-tailed counts and amounts, rare positives. */
final class Synthetic {

  private Synthetic() {}

  static FeatureSchema schema(int width) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < width; i++) {
      names.add("f" + i);
    }
    return new FeatureSchema(names);
  }

  /**
   * Rows whose label follows a logistic model of a few features (some heavy-tailed, non-negative)
   * with a strong signal; about {@code positiveRate} of them positive.
   */
  static Dataset data(int rows, int width, double positiveRate, long seed, long startMillis) {
    Random r = new Random(seed);
    float[][] x = new float[rows][width];
    float[] y = new float[rows];
    long[] t = new long[rows];
    String[] ids = new String[rows];
    double bias = Math.log(positiveRate / (1 - positiveRate)) - 4.0;
    for (int i = 0; i < rows; i++) {
      double score = bias;
      for (int j = 0; j < width; j++) {
        float v;
        switch (j % 3) {
          case 0 -> v = (float) Math.exp(r.nextGaussian() * 1.5 + 3); // amount: log-normal
          case 1 -> v = (float) Math.floor(-Math.log(1 - r.nextDouble()) * 3); // count
          default -> v = (float) r.nextGaussian(); // ordinary
        }
        x[i][j] = v;
      }
      // signal: large log-amount, many counts, positive gaussian
      score += 4.0 * (Math.log1p(x[i][0]) - 3) / 1.5;
      if (width > 1) {
        score += 1.5 * (x[i][1] - 3) / 3;
      }
      if (width > 2) {
        score += 4.0 * x[i][2];
      }
      y[i] = r.nextDouble() < 1 / (1 + Math.exp(-score)) ? 1f : 0f;
      t[i] = startMillis + i * 1000L;
      ids[i] = "card-" + r.nextInt(1000);
    }
    return new Dataset(x, y, t, ids);
  }

  /** ROC AUC by the rank-sum (Mann-Whitney) formula, ties counted half. */
  static double auc(float[] scores, float[] labels) {
    int n = scores.length;
    Integer[] idx = new Integer[n];
    for (int i = 0; i < n; i++) {
      idx[i] = i;
    }
    java.util.Arrays.sort(idx, (a, b) -> Float.compare(scores[a], scores[b]));
    double rankSumPos = 0;
    long pos = 0;
    int i = 0;
    while (i < n) {
      int j = i;
      while (j + 1 < n && scores[idx[j + 1]] == scores[idx[i]]) {
        j++;
      }
      double avgRank = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) {
        if (labels[idx[k]] == 1f) {
          rankSumPos += avgRank;
          pos++;
        }
      }
      i = j + 1;
    }
    long neg = n - pos;
    return (rankSumPos - pos * (pos + 1) / 2.0) / ((double) pos * neg);
  }
}
