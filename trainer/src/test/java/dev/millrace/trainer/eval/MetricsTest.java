package dev.millrace.trainer.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every expected value below is worked out by hand in the comments. */
class MetricsTest {

  private static final long DAY = 86_400_000L;

  // positives score {0.9, 0.8, 0.3}, negatives {0.8, 0.3, 0.1}: two ties across classes
  private static final float[] LABELS = {1, 0, 1, 0, 0, 1};
  private static final float[] SCORES = {0.9f, 0.8f, 0.8f, 0.3f, 0.1f, 0.3f};

  @Test
  void rocAucCountsTiesAsOneHalf() {
    // pairs won by the positive: 0.9 -> 3; 0.8 -> 0.5 + 1 + 1; 0.3 -> 0 + 0.5 + 1 = 7 of 9
    assertThat(Metrics.rocAuc(LABELS, SCORES)).isCloseTo(7.0 / 9.0, within(1e-12));
  }

  @Test
  void rocAucOfPerfectInvertedAndConstantRankings() {
    float[] labels = {0, 0, 1, 1};
    assertThat(Metrics.rocAuc(labels, new float[] {0.1f, 0.2f, 0.3f, 0.4f})).isEqualTo(1.0);
    assertThat(Metrics.rocAuc(labels, new float[] {0.4f, 0.3f, 0.2f, 0.1f})).isEqualTo(0.0);
    assertThat(Metrics.rocAuc(labels, new float[] {0.5f, 0.5f, 0.5f, 0.5f})).isEqualTo(0.5);
  }

  @Test
  void rocAucIsUndefinedWithOneClass() {
    assertThat(Metrics.rocAuc(new float[] {0, 0}, new float[] {0.1f, 0.2f})).isNaN();
    assertThat(Metrics.rocAuc(new float[] {1, 1}, new float[] {0.1f, 0.2f})).isNaN();
  }

  @Test
  void averagePrecisionTakesTiedRowsTogether() {
    // thresholds 0.9: P=1 R=1/3; 0.8 (two rows): P=2/3 R=2/3; 0.3 (two rows): P=3/5 R=1;
    // 0.1: R unchanged. AP = 1/3*1 + 1/3*2/3 + 1/3*3/5 = 34/45
    assertThat(Metrics.averagePrecision(LABELS, SCORES)).isCloseTo(34.0 / 45.0, within(1e-12));
  }

  @Test
  void averagePrecisionWithoutTies() {
    // ranking 1,0,1,0: P@1=1 (R=1/2), P@3=2/3 (R=1) -> 1/2*1 + 1/2*2/3 = 5/6
    float[] labels = {1, 0, 1, 0};
    float[] scores = {0.9f, 0.7f, 0.5f, 0.1f};
    assertThat(Metrics.averagePrecision(labels, scores)).isCloseTo(5.0 / 6.0, within(1e-12));
  }

  @Test
  void averagePrecisionOfAConstantScoreIsThePrevalence() {
    float[] labels = {1, 0, 0, 0, 1};
    assertThat(Metrics.averagePrecision(labels, new float[] {0.3f, 0.3f, 0.3f, 0.3f, 0.3f}))
        .isCloseTo(0.4, within(1e-12));
    assertThat(Metrics.averagePrecision(new float[] {0, 0}, new float[] {0.2f, 0.1f})).isNaN();
  }

  @Test
  void cardPrecisionAtKRanksCardsByTheirBestScoreOfTheDay() {
    // day 0: A {0.9 legit, 0.2 fraud}, B {0.8 fraud}, C {0.1 legit}, D {0.5 legit}
    //   cards by max score: A(.9, fraud) B(.8, fraud) D(.5) C(.1)
    // day 1: A {0.3 legit}, B {0.7 legit}, C {0.6 fraud}: B(.7) C(.6, fraud) A(.3)
    float[] labels = {0, 1, 1, 0, 0, 0, 0, 1};
    float[] scores = {0.9f, 0.2f, 0.8f, 0.1f, 0.5f, 0.3f, 0.7f, 0.6f};
    long[] times = {10, 20, 30, 40, 50, DAY + 10, DAY + 20, DAY + 30};
    String[] cards = {"A", "A", "B", "C", "D", "A", "B", "C"};
    // k=2: day 0 {A,B} -> 2/2; day 1 {B,C} -> 1/2; mean 0.75
    assertThat(Metrics.cardPrecisionAtK(labels, scores, times, cards, 2))
        .isCloseTo(0.75, within(1e-12));
    // k=3: day 0 {A,B,D} -> 2/3; day 1 {B,C,A} -> 1/3; mean 0.5
    assertThat(Metrics.cardPrecisionAtK(labels, scores, times, cards, 3))
        .isCloseTo(0.5, within(1e-12));
    // k=10 divides by k even with fewer cards: day 0 2/10, day 1 1/10 -> 0.15
    assertThat(Metrics.cardPrecisionAtK(labels, scores, times, cards, 10))
        .isCloseTo(0.15, within(1e-12));
    // no skill, k=2: day 0: 2 * 2/4 / 2 = 0.5; day 1: 2 * 1/3 / 2 = 1/3 -> 5/12
    assertThat(Metrics.cardPrecisionAtKNoSkill(labels, times, cards, 2))
        .isCloseTo(5.0 / 12.0, within(1e-12));
  }

  @Test
  void cardPrecisionBreaksScoreTiesByCardId() {
    // one day, cards X (fraud) and B (legit) tie at 0.5: B comes first, so P@1 = 0
    float[] labels = {1, 0};
    float[] scores = {0.5f, 0.5f};
    assertThat(
            Metrics.cardPrecisionAtK(labels, scores, new long[] {1, 2}, new String[] {"X", "B"}, 1))
        .isEqualTo(0.0);
  }

  @Test
  void evaluateReportsEveryMetricAndTheBaselines() {
    long[] times = {0, 1, 2, 3, 4, 5};
    String[] cards = {"a", "b", "c", "d", "e", "f"};
    Slice slice = new Slice(new float[6][1], LABELS, times, cards);
    Map<String, Double> m = Metrics.evaluate(slice, SCORES, 2);
    assertThat(m.get("average_precision")).isCloseTo(34.0 / 45.0, within(1e-12));
    assertThat(m.get("roc_auc")).isCloseTo(7.0 / 9.0, within(1e-12));
    // one day, top 2 cards a (0.9, fraud), then b or c at 0.8: b wins the tie (legit) -> 1/2
    assertThat(m.get("card_precision_at_k")).isCloseTo(0.5, within(1e-12));
    assertThat(m).containsEntry("rows", 6.0).containsEntry("positives", 3.0);
    assertThat(Metrics.noSkill(PromotionMetric.AVERAGE_PRECISION, slice, 2)).isEqualTo(0.5);
    assertThat(Metrics.noSkill(PromotionMetric.ROC_AUC, slice, 2)).isEqualTo(0.5);
  }

  @Test
  void rejectsMismatchedInput() {
    assertThatThrownBy(() -> Metrics.rocAuc(new float[] {1}, new float[] {0.1f, 0.2f}))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Metrics.averagePrecision(new float[] {1}, new float[] {Float.NaN}))
        .hasMessageContaining("NaN");
  }
}
