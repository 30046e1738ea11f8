package dev.millrace.scorer.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Every expected value below is worked out by hand in the comments. */
class QualityMetricsTest {

  // positives score {0.9, 0.8, 0.3}, negatives {0.8, 0.3, 0.1}: two ties across classes
  private static final float[] LABELS = {1, 0, 1, 0, 0, 1};
  private static final float[] SCORES = {0.9f, 0.8f, 0.8f, 0.3f, 0.1f, 0.3f};

  @Test
  void rocAucCountsTiesAsOneHalf() {
    // pairs won by the positive: 0.9 -> 3; 0.8 -> 0.5 + 1 + 1; 0.3 -> 0 + 0.5 + 1 = 7 of 9
    assertThat(QualityMetrics.rocAuc(LABELS, SCORES)).isCloseTo(7.0 / 9.0, within(1e-12));
    float[] labels = {0, 0, 1, 1};
    assertThat(QualityMetrics.rocAuc(labels, new float[] {0.1f, 0.2f, 0.3f, 0.4f})).isEqualTo(1.0);
    assertThat(QualityMetrics.rocAuc(labels, new float[] {0.4f, 0.3f, 0.2f, 0.1f})).isEqualTo(0.0);
    assertThat(QualityMetrics.rocAuc(new float[] {0, 0}, new float[] {0.1f, 0.2f})).isNaN();
  }

  @Test
  void averagePrecisionTakesTiedRowsTogether() {
    // thresholds 0.9: P=1 R=1/3; 0.8 (two rows): P=2/3 R=2/3; 0.3 (two rows): P=3/5 R=1;
    // AP = 1/3*1 + 1/3*2/3 + 1/3*3/5 = 34/45
    assertThat(QualityMetrics.averagePrecision(LABELS, SCORES))
        .isCloseTo(34.0 / 45.0, within(1e-12));
    assertThat(QualityMetrics.averagePrecision(new float[] {0, 0}, new float[] {0.2f, 0.1f}))
        .isNaN();
    assertThat(QualityMetrics.positives(LABELS)).isEqualTo(3);
  }

  @Test
  void sortsIndicesByScoreThenIndexLikeAStableBoxedSort() {
    float[] scores = {
      0.5f,
      -1f,
      0f,
      -0f,
      Float.NEGATIVE_INFINITY,
      3e-40f,
      -3e-40f,
      0.5f,
      Float.POSITIVE_INFINITY,
      -2.5f,
      1e30f,
      -1e30f,
      0.25f,
      0.5f
    };
    java.util.SplittableRandom random = new java.util.SplittableRandom(7);
    float[] many = new float[2000];
    for (int i = 0; i < many.length; i++) {
      many[i] = random.nextInt(4) == 0 ? random.nextInt(5) / 4f : (float) random.nextGaussian();
    }
    for (float[] s : new float[][] {scores, many}) {
      Integer[] expected = new Integer[s.length];
      for (int i = 0; i < s.length; i++) {
        expected[i] = i;
      }
      java.util.Arrays.sort(expected, java.util.Comparator.comparingDouble(i -> s[i]));
      assertThat(QualityMetrics.sortedAscending(s))
          .containsExactly(java.util.Arrays.stream(expected).mapToInt(Integer::intValue).toArray());
    }
  }

  @Test
  void rmseAndRmspe() {
    double[] actual = {2, 4, 0, 10};
    double[] predicted = {1, 6, 3, 10};
    // errors 1, -2, -3, 0 -> squares 1 + 4 + 9 + 0 = 14 over 4 rows -> sqrt(3.5)
    assertThat(QualityMetrics.rmse(actual, predicted)).isCloseTo(Math.sqrt(3.5), within(1e-12));
    // rows with actual != 0: (1/2)^2 + (2/4)^2 + 0 = 0.5 over 3 rows -> sqrt(1/6)
    assertThat(QualityMetrics.rmspe(actual, predicted))
        .isCloseTo(Math.sqrt(1.0 / 6.0), within(1e-12));
    assertThat(QualityMetrics.rmse(new double[0], new double[0])).isNaN();
    assertThat(QualityMetrics.rmspe(new double[] {0}, new double[] {1})).isNaN();
    assertThatThrownBy(() -> QualityMetrics.rmse(new double[1], new double[2]))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
