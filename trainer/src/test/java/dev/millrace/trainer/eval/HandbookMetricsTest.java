package dev.millrace.trainer.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HandbookMetricsTest {

  private static final long DAY = 86_400_000L;

  @Test
  void cardsDetectedOnADayLeaveTheFollowingDays() {
    // day 0: A fraud 0.9, B genuine 0.8, C fraud 0.1 -> top 2 = A, B: 1/2, A detected
    // day 1: A fraud 0.95 (removed), C fraud 0.5, B genuine 0.4 -> top 2 = C, B: 1/2
    float[] labels = {1, 0, 1, 1, 1, 0};
    float[] scores = {0.9f, 0.8f, 0.1f, 0.95f, 0.5f, 0.4f};
    long[] times = {10, 20, 30, DAY + 10, DAY + 20, DAY + 30};
    String[] cards = {"A", "B", "C", "A", "C", "B"};

    assertThat(HandbookMetrics.cardPrecisionTopK(labels, scores, times, cards, 2)).isEqualTo(0.5);
    // without the removal, day 1 would be A, C = 1.0
    assertThat(Metrics.cardPrecisionAtK(labels, scores, times, cards, 2)).isEqualTo(0.75);
  }

  @Test
  void aCardIsScoredByItsHighestTransactionOfTheDayAndDividedByK() {
    // card A: genuine 0.2 and fraud 0.7 the same day -> max score 0.7, fraud
    float[] labels = {0, 1, 0};
    float[] scores = {0.2f, 0.7f, 0.6f};
    long[] times = {1, 2, 3};
    String[] cards = {"A", "A", "B"};

    assertThat(HandbookMetrics.cardPrecisionTopK(labels, scores, times, cards, 1)).isEqualTo(1.0);
    // k larger than the cards of the day still divides by k
    assertThat(HandbookMetrics.cardPrecisionTopK(labels, scores, times, cards, 4)).isEqualTo(0.25);
  }

  @Test
  void refusesMismatchedInput() {
    assertThatThrownBy(
            () ->
                HandbookMetrics.cardPrecisionTopK(
                    new float[1], new float[2], new long[1], new String[1], 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
