package dev.millrace.bench;

import dev.millrace.trainer.model.Dataset;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;

/**
 * The XGBoost baseline on the same feature vectors (no scaling), with the handbook's chapter 3
 * settings: {@code XGBClassifier(random_state=0)} defaults, i.e. 100 trees of depth 6, learning
 * rate 0.3, logistic loss, and the exact tree method that xgboost's {@code auto} chose for a data
 * set this small.
 */
public final class XgboostBaseline {

  /**
   * XGBoost settings.
   *
   * @param rounds number of trees
   * @param maxDepth depth of each tree
   * @param eta learning rate
   * @param treeMethod {@code exact}, {@code approx} or {@code hist}
   * @param threads training/prediction threads
   * @param seed random seed
   */
  public record Settings(
      int rounds, int maxDepth, double eta, String treeMethod, int threads, long seed) {

    public Settings {
      if (rounds < 1 || maxDepth < 1 || !(eta > 0) || threads < 1) {
        throw new IllegalArgumentException("invalid XGBoost settings: " + rounds + " rounds");
      }
    }

    /** The handbook's defaults, on {@code threads} threads. */
    public static Settings handbook(int threads) {
      return new Settings(100, 6, 0.3, "exact", threads, 0);
    }

    Map<String, Object> params() {
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("objective", "binary:logistic");
      p.put("max_depth", maxDepth);
      p.put("eta", eta);
      p.put("tree_method", treeMethod);
      p.put("nthread", threads);
      p.put("seed", seed);
      p.put("verbosity", 0);
      return p;
    }
  }

  /** Test-set probabilities and the training time. */
  public record Result(float[] predictions, Duration trainingTime) {}

  private XgboostBaseline() {}

  /** Trains on {@code train} and predicts {@code test}. */
  public static Result trainAndPredict(Dataset train, Dataset test, Settings settings) {
    try {
      long t0 = System.nanoTime();
      DMatrix dtrain = matrix(train);
      Booster booster;
      try {
        booster = XGBoost.train(dtrain, settings.params(), settings.rounds(), Map.of(), null, null);
      } finally {
        dtrain.dispose();
      }
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      DMatrix dtest = matrix(test);
      try {
        float[][] raw = booster.predict(dtest);
        float[] out = new float[raw.length];
        for (int i = 0; i < raw.length; i++) {
          out[i] = raw[i][0];
        }
        return new Result(out, took);
      } finally {
        dtest.dispose();
        booster.dispose();
      }
    } catch (XGBoostError e) {
      throw new IllegalStateException("XGBoost failed: " + e.getMessage(), e);
    }
  }

  /**
   * A regression GBM on log1p of the labels ({@code reg:squarederror}), as the net's log1p head is
   * trained: one model of {@code maxRounds} trees, and the predictions (expm1, on the original
   * scale) of each data set after each of {@code roundsToReport} trees, so that the number of trees
   * is chosen on a validation set without training again.
   *
   * @param settings trees, depth, learning rate, tree method ({@code hist} for speed), threads;
   *     {@code settings.rounds()} is the largest number of trees
   * @param roundsToReport the tree counts to predict with, each at most {@code settings.rounds()}
   * @param sets the data sets to predict
   * @return per data set, per reported tree count, the predictions
   */
  public static RegressionResult trainRegressionLog1p(
      Dataset train, Settings settings, int[] roundsToReport, Dataset... sets) {
    try {
      long t0 = System.nanoTime();
      DMatrix dtrain = matrix(train);
      float[] log = new float[train.size()];
      for (int i = 0; i < log.length; i++) {
        log[i] = (float) Math.log1p(Math.max(0, train.labels()[i]));
      }
      dtrain.setLabel(log);
      Map<String, Object> params = settings.params();
      params.put("objective", "reg:squarederror");
      params.put("base_score", mean(log));
      Booster booster;
      try {
        booster = XGBoost.train(dtrain, params, settings.rounds(), Map.of(), null, null);
      } finally {
        dtrain.dispose();
      }
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      try {
        float[][][] out = new float[sets.length][roundsToReport.length][];
        for (int s = 0; s < sets.length; s++) {
          DMatrix d = matrix(sets[s]);
          try {
            for (int r = 0; r < roundsToReport.length; r++) {
              float[][] raw = booster.predict(d, false, roundsToReport[r]);
              float[] p = new float[raw.length];
              for (int i = 0; i < raw.length; i++) {
                p[i] = (float) Math.max(0, Math.expm1(raw[i][0]));
              }
              out[s][r] = p;
            }
          } finally {
            d.dispose();
          }
        }
        return new RegressionResult(out, took);
      } finally {
        booster.dispose();
      }
    } catch (XGBoostError e) {
      throw new IllegalStateException("XGBoost failed: " + e.getMessage(), e);
    }
  }

  /**
   * Predictions of {@link #trainRegressionLog1p} and the training time.
   *
   * @param predictions per data set, per reported tree count, one prediction per row
   */
  public record RegressionResult(float[][][] predictions, Duration trainingTime) {}

  private static double mean(float[] v) {
    double s = 0;
    for (float x : v) {
      s += x;
    }
    return v.length == 0 ? 0 : s / v.length;
  }

  private static DMatrix matrix(Dataset data) throws XGBoostError {
    int rows = data.size();
    int cols = data.features()[0].length;
    float[] flat = new float[rows * cols];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(data.features()[r], 0, flat, r * cols, cols);
    }
    DMatrix m = new DMatrix(flat, rows, cols, Float.NaN);
    m.setLabel(data.labels());
    return m;
  }
}
