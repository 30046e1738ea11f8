package dev.millrace.trainer.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RegressionMetricsTest {

  private static final float[] Y = {100f, 200f, 0f, 50f};
  private static final float[] P = {110f, 150f, 10f, 50f};

  @Test
  void rmseRmspeAndRmsleMatchHandComputedValues() {
    // squared errors 100, 2500, 100, 0 -> mean 675
    assertThat(RegressionMetrics.rmse(Y, P)).isCloseTo(Math.sqrt(675), within(1e-9));
    // over y > 0 only: (-0.1)^2, 0.25^2, 0^2 -> (0.01 + 0.0625 + 0) / 3
    assertThat(RegressionMetrics.rmspe(Y, P)).isCloseTo(Math.sqrt(0.0725 / 3), within(1e-9));
    double l0 = Math.log(111) - Math.log(101);
    double l1 = Math.log(151) - Math.log(201);
    double l2 = Math.log(11) - Math.log(1);
    assertThat(RegressionMetrics.rmsle(Y, P))
        .isCloseTo(Math.sqrt((l0 * l0 + l1 * l1 + l2 * l2) / 4), within(1e-9));
  }

  @Test
  void weightsCountRowsAsOftenAsAResampleDraws() {
    int[] w = {2, 0, 1, 1};
    // rows 0, 0, 2, 3: squared errors 100, 100, 100, 0
    assertThat(RegressionMetrics.rmse(Y, P, w)).isCloseTo(Math.sqrt(300.0 / 4), within(1e-9));
    // positive targets: rows 0, 0, 3 -> (0.01 + 0.01 + 0) / 3
    assertThat(RegressionMetrics.rmspe(Y, P, w)).isCloseTo(Math.sqrt(0.02 / 3), within(1e-9));
    assertThat(RegressionMetrics.rmspe(new float[] {0f}, new float[] {1f})).isNaN();
  }

  @Test
  void theRegressionHeadComputesErrorsNotRankings() {
    Slice slice =
        new Slice(new float[4][1], Y, new long[] {1, 2, 3, 4}, new String[] {"a", "b", "c", "d"});
    Map<String, Double> m = Metrics.evaluate(true, slice, P, 1);
    assertThat(m).containsOnlyKeys("rmse", "rmspe", "rmsle", "rows");
    assertThat(m.get("rmspe")).isCloseTo(Math.sqrt(0.0725 / 3), within(1e-9));
    assertThat(Metrics.evaluate(false, slice, P, 1))
        .containsKey("roc_auc")
        .doesNotContainKey("rmse");
    assertThat(RegressionMetric.parse("RMSPE")).isEqualTo(RegressionMetric.RMSPE);
  }

  @Test
  void theBootstrapCountsALowerErrorAsAnImprovement() {
    float[] y = new float[400];
    float[] good = new float[400];
    float[] bad = new float[400];
    String[] ids = new String[400];
    for (int i = 0; i < y.length; i++) {
      y[i] = 100 + i;
      good[i] = y[i] * (i % 2 == 0 ? 1.02f : 0.98f);
      bad[i] = y[i] * (i % 2 == 0 ? 1.2f : 0.8f);
      ids[i] = "store-" + (i % 40);
    }
    Slice slice = new Slice(new float[400][1], y, new long[400], ids);
    PairedBootstrap bootstrap = new PairedBootstrap(200, 0.9, 3L);
    PairedBootstrap.Interval better =
        bootstrap.improvement(RegressionMetric.RMSPE, slice, good, bad);
    assertThat(better.estimate()).isCloseTo(0.18, within(1e-4));
    assertThat(better.lower()).isGreaterThan(0);
    assertThat(bootstrap.improvement(RegressionMetric.RMSPE, slice, bad, good).upper())
        .isLessThan(0);
    // against a constant prediction (no skill) the good model is better
    assertThat(bootstrap.improvement(RegressionMetric.RMSLE, slice, good, null).lower())
        .isGreaterThan(0);

    PromotionGate gate = new PromotionGate(RegressionMetric.RMSPE, 0.0, bootstrap);
    PromotionGate.Verdict promoted =
        gate.decide(
            slice,
            good,
            Metrics.evaluate(true, slice, good, 1),
            bad,
            Metrics.evaluate(true, slice, bad, 1),
            RegressionMetric.RMSPE.noSkill(slice),
            1);
    assertThat(promoted.promote()).isTrue();
    assertThat(promoted.challenger()).isLessThan(promoted.reference());
    assertThat(promoted.reason()).contains("rmspe").contains("promoted");
    PromotionGate.Verdict kept =
        gate.decide(
            slice,
            bad,
            Metrics.evaluate(true, slice, bad, 1),
            good,
            Metrics.evaluate(true, slice, good, 1),
            RegressionMetric.RMSPE.noSkill(slice),
            1);
    assertThat(kept.promote()).isFalse();
    assertThat(kept.reason()).contains("kept champion");
  }
}
