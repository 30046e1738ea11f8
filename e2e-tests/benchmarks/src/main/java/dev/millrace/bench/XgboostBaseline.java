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
