package dev.millrace.scorer.model;

import dev.millrace.scorer.model.ModelManifest.FeatureStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns raw feature rows into network inputs, the single code path shared by training and scoring:
 * per feature {@code (transform(x) - mean) / std} clipped to ±{@link #CLIP}; non-finite values
 * become the mean (0 after standardisation); categorical features become a vocabulary index, with
 * anything unknown mapped to the out-of-vocabulary slot {@code vocabulary.size()}.
 */
public final class FeatureNormaliser {

  /**
   * Standardised values are clipped to this magnitude, so absurd inputs cannot blow up a
   * prediction. Generous on purpose: rare but informative values (a terminal risk of 1 where almost
   * all are 0) sit 10-20 standard deviations out, and clipping them at 10 cost 0.02 average
   * precision on the fraud data.
   */
  public static final float CLIP = 50f;

  /** A non-negative feature whose sample skewness exceeds this gets the log1p transform. */
  public static final double HEAVY_TAIL_SKEWNESS = 2.0;

  private final int width;
  private final int[] transform; // 0 identity, 1 log1p, 2 category
  private final float[] mean;
  private final float[] invStd;
  private final int[] vocabSize;

  public FeatureNormaliser(ModelManifest manifest) {
    this(manifest.normalisation(), manifest.categoricalVocabularies());
  }

  public FeatureNormaliser(List<FeatureStats> stats, Map<String, List<String>> vocabularies) {
    width = stats.size();
    transform = new int[width];
    mean = new float[width];
    invStd = new float[width];
    vocabSize = new int[width];
    for (int i = 0; i < width; i++) {
      FeatureStats s = stats.get(i);
      transform[i] =
          switch (s.transform()) {
            case FeatureStats.LOG1P -> 1;
            case FeatureStats.CATEGORY -> 2;
            default -> 0;
          };
      if (transform[i] == 2) {
        List<String> vocab = vocabularies.get(s.name());
        if (vocab == null) {
          throw new IllegalArgumentException(
              "categorical feature " + s.name() + " has no vocabulary");
        }
        vocabSize[i] = vocab.size();
      }
      mean[i] = (float) s.mean();
      invStd[i] = (float) (1.0 / s.std());
    }
  }

  /** Number of features per row. */
  public int width() {
    return width;
  }

  /**
   * Normalises rows into one row-major array of {@code rows.length * width()} floats.
   *
   * @throws IllegalArgumentException when a row does not have {@link #width()} values
   */
  public float[] normalise(float[][] rows) {
    float[] out = new float[rows.length * width];
    for (int r = 0; r < rows.length; r++) {
      normaliseRow(rows[r], out, r * width);
    }
    return out;
  }

  /** Normalises one row into {@code out[offset .. offset + width())}. */
  public void normaliseRow(float[] row, float[] out, int offset) {
    if (row == null || row.length != width) {
      throw new IllegalArgumentException(
          "a row needs " + width + " features, got " + (row == null ? "null" : row.length));
    }
    for (int i = 0; i < width; i++) {
      float x = row[i];
      float v;
      switch (transform[i]) {
        case 2 -> {
          int idx = (int) x;
          v =
              (Float.isFinite(x) && x == idx && idx >= 0 && idx < vocabSize[i])
                  ? idx
                  : vocabSize[i];
        }
        case 1 -> {
          v = Float.isFinite(x) ? standardise((float) Math.log1p(Math.max(0f, x)), i) : 0f;
        }
        default -> v = Float.isFinite(x) ? standardise(x, i) : 0f;
      }
      out[offset + i] = v;
    }
  }

  private float standardise(float x, int i) {
    float z = (x - mean[i]) * invStd[i];
    return z > CLIP ? CLIP : (z < -CLIP ? -CLIP : z);
  }

  /**
   * Fits the statistics on training rows: categorical features (those with a vocabulary) get {@code
   * category}; non-negative features with skewness above {@link #HEAVY_TAIL_SKEWNESS} get {@code
   * log1p}; the rest {@code identity}. Mean and std are of the transformed finite values.
   */
  public static List<FeatureStats> fit(
      List<String> names, float[][] rows, Map<String, List<String>> vocabularies) {
    return fit(names, rows, vocabularies, HEAVY_TAIL_SKEWNESS);
  }

  /** As {@link #fit(List, float[][], Map)} with another skewness threshold for log1p. */
  public static List<FeatureStats> fit(
      List<String> names,
      float[][] rows,
      Map<String, List<String>> vocabularies,
      double heavyTailSkewness) {
    int width = names.size();
    List<FeatureStats> stats = new ArrayList<>(width);
    for (int i = 0; i < width; i++) {
      String name = names.get(i);
      if (vocabularies != null && vocabularies.containsKey(name)) {
        stats.add(new FeatureStats(name, FeatureStats.CATEGORY, 0, 1));
        continue;
      }
      double n = 0;
      double sum = 0;
      double min = Double.POSITIVE_INFINITY;
      for (float[] row : rows) {
        if (row.length != width) {
          throw new IllegalArgumentException(
              "a row needs " + width + " features, got " + row.length);
        }
        float x = row[i];
        if (Float.isFinite(x)) {
          n++;
          sum += x;
          min = Math.min(min, x);
        }
      }
      if (n == 0) {
        stats.add(new FeatureStats(name, FeatureStats.IDENTITY, 0, 1));
        continue;
      }
      double mu = sum / n;
      double m2 = 0;
      double m3 = 0;
      for (float[] row : rows) {
        float x = row[i];
        if (Float.isFinite(x)) {
          double d = x - mu;
          m2 += d * d;
          m3 += d * d * d;
        }
      }
      m2 /= n;
      m3 /= n;
      double skew = m2 > 0 ? m3 / Math.pow(m2, 1.5) : 0;
      boolean log = min >= 0 && skew > heavyTailSkewness;
      if (!log) {
        stats.add(new FeatureStats(name, FeatureStats.IDENTITY, mu, safeStd(m2)));
        continue;
      }
      double lsum = 0;
      for (float[] row : rows) {
        if (Float.isFinite(row[i])) {
          lsum += Math.log1p(row[i]);
        }
      }
      double lmu = lsum / n;
      double lm2 = 0;
      for (float[] row : rows) {
        if (Float.isFinite(row[i])) {
          double d = Math.log1p(row[i]) - lmu;
          lm2 += d * d;
        }
      }
      stats.add(new FeatureStats(name, FeatureStats.LOG1P, lmu, safeStd(lm2 / n)));
    }
    return stats;
  }

  private static double safeStd(double variance) {
    double std = Math.sqrt(variance);
    return std > 1e-6 ? std : 1.0;
  }
}
