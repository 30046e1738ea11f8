package dev.millrace.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.millrace.scorer.FeatureSchema;
import dev.millrace.scorer.model.ModelBundle;
import dev.millrace.scorer.model.ModelManifest;
import dev.millrace.scorer.model.ModelManifest.FeatureStats;
import dev.millrace.scorer.model.TabularModel;
import dev.millrace.trainer.eval.RegressionMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The regression head of {@link TabularTrainer}: real DJL training on generated sales. */
class RegressionTrainerTest {

  private static final int STORES = 20;
  private static final FeatureSchema SCHEMA = new FeatureSchema(List.of("x0", "x1", "store"));
  private static final Map<String, List<String>> VOCAB = Map.of("store", storeNames());

  private static List<String> storeNames() {
    List<String> v = new ArrayList<>();
    for (int s = 0; s < STORES; s++) {
      v.add("s" + s);
    }
    return v;
  }

  /** Per-store level times a smooth function of two numeric inputs, with 5 % noise. */
  private static Dataset sales(int rows, long seed) {
    Random levels = new Random(99);
    double[] storeEffect = new double[STORES];
    for (int s = 0; s < STORES; s++) {
      storeEffect[s] = levels.nextGaussian() * 0.6;
    }
    Random r = new Random(seed);
    float[][] x = new float[rows][3];
    float[] y = new float[rows];
    for (int i = 0; i < rows; i++) {
      float x0 = (float) r.nextGaussian();
      float x1 = (float) r.nextGaussian();
      int store = r.nextInt(STORES);
      x[i] = new float[] {x0, x1, store};
      double log = 8 + 0.5 * x0 - 0.3 * x1 * x1 + storeEffect[store];
      y[i] = (float) (Math.exp(log) * (1 + 0.05 * r.nextGaussian()));
    }
    return new Dataset(x, y, null, null);
  }

  private static TrainSettings settings() {
    return new TrainSettings(12, 256, 1e-2f, 1e-4f, new int[] {64, 32}, 0.0f, true, 5L, false);
  }

  @Test
  void learnsLogSalesWithStoreEmbeddingsAndPredictsOnTheOriginalScale() throws Exception {
    Dataset train = sales(12_000, 1);
    Dataset validation = sales(2_000, 2);
    Dataset test = sales(4_000, 3);
    try (TrainedModel model =
        new TabularTrainer(settings())
            .train("demand", "r1", SCHEMA, train, validation, ModelHead.regressionLog1p(), VOCAB)) {
      float[] p = model.predict(test.features());
      double rmspe = RegressionMetrics.rmspe(test.labels(), p);
      float[] mean = new float[p.length];
      java.util.Arrays.fill(mean, RegressionMetrics.meanLabel(train.labels()));
      double noSkill = RegressionMetrics.rmspe(test.labels(), mean);
      double rmse = RegressionMetrics.rmse(test.labels(), p);
      System.out.printf(
          "regression: RMSPE %.4f (no skill %.4f), RMSE %.1f, RMSLE %.4f, %d epochs, %d ms%n",
          rmspe,
          noSkill,
          rmse,
          RegressionMetrics.rmsle(test.labels(), p),
          model.epochLosses().size(),
          model.trainingTime().toMillis());
      // noise alone gives 0.05; a model without the store or x1^2 stays far above 0.3
      assertThat(rmspe).isLessThan(0.09);
      assertThat(noSkill).isGreaterThan(0.5);
      assertThat(RegressionMetrics.rmse(test.labels(), mean)).isGreaterThan(3 * rmse);

      ModelManifest m = model.manifest();
      assertThat(m.objective()).isEqualTo(ModelManifest.REGRESSION);
      assertThat(m.isRegression()).isTrue();
      assertThat(m.target().transform()).isEqualTo(FeatureStats.LOG1P);
      double meanLog = 0;
      for (float y : train.labels()) {
        meanLog += Math.log1p(y);
      }
      assertThat(m.target().mean()).isCloseTo(meanLog / train.size(), within(1e-6));
      assertThat(m.categoricalVocabularies()).isEqualTo(VOCAB);
      assertThat(m.normalisation().get(2).transform()).isEqualTo(FeatureStats.CATEGORY);
      assertThat(m.training().positiveClassWeight()).isEqualTo(1.0);
      assertThat(m.training().balanceClasses()).isFalse();

      // the bundle round-trips its head, and the scorer's loader predicts the very same values
      ModelBundle bundle = model.toBundle(Map.of("rmspe", rmspe), null, null);
      ModelBundle back = ModelBundle.fromBytes(bundle.toBytes());
      assertThat(back.manifest()).isEqualTo(bundle.manifest());
      assertThat(back.manifest().target()).isEqualTo(m.target());
      try (TabularModel loaded = back.load()) {
        assertThat(loaded.predict(test.features())).containsExactly(p);
      }
    }
  }

  @Test
  void unknownCategoriesShareTheReservedIndex() {
    try (TrainedModel model =
        new TabularTrainer(settings().withEpochs(2))
            .train(
                "demand",
                "r2",
                SCHEMA,
                sales(3_000, 4),
                null,
                ModelHead.regressionLog1p(),
                VOCAB)) {
      float[] p =
          model.predict(
              new float[][] {
                {0.3f, -0.2f, STORES}, // first index past the vocabulary: the reserved one
                {0.3f, -0.2f, 1234f},
                {0.3f, -0.2f, -1f},
                {0.3f, -0.2f, Float.NaN},
                {0.3f, -0.2f, 2.5f},
                {0.3f, -0.2f, 0f},
                {0.3f, -0.2f, 1f}
              });
      // equal up to float rounding of a batched forward pass
      org.assertj.core.data.Offset<Float> same = within(p[0] * 1e-5f);
      assertThat(p[1]).isCloseTo(p[0], same);
      assertThat(p[2]).isCloseTo(p[0], same);
      assertThat(p[3]).isCloseTo(p[0], same);
      assertThat(p[4]).isCloseTo(p[0], same);
      assertThat(Math.abs(p[5] - p[0])).isGreaterThan(p[0] * 1e-3f);
      assertThat(Math.abs(p[5] - p[6])).isGreaterThan(p[0] * 1e-3f);
      for (float v : p) {
        assertThat(v).isPositive().isFinite();
      }
    }
  }

  @Test
  void labelsOutsideZeroOneAreRefusedOnlyForBinary() {
    Dataset counts = sales(600, 6);
    TabularTrainer trainer = new TabularTrainer(settings().withEpochs(1));
    assertThatThrownBy(() -> trainer.train("demand", "b", SCHEMA, counts, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("labels must be 0 or 1");
    try (TrainedModel m =
        trainer.train("demand", "r", SCHEMA, counts, null, ModelHead.regression(), VOCAB)) {
      assertThat(m.manifest().target().transform()).isEqualTo(FeatureStats.IDENTITY);
    }
    float[] negative = counts.labels().clone();
    negative[5] = -3f;
    Dataset bad = new Dataset(counts.features(), negative, null, null);
    assertThatThrownBy(
            () ->
                trainer.train("demand", "r", SCHEMA, bad, null, ModelHead.regressionLog1p(), VOCAB))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("label 5 is -3.0");
  }
}
