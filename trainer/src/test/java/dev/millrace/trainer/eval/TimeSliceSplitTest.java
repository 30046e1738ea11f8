package dev.millrace.trainer.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class TimeSliceSplitTest {

  private static Slice window(long... times) {
    int n = times.length;
    float[][] features = new float[n][];
    float[] labels = new float[n];
    String[] ids = new String[n];
    for (int i = 0; i < n; i++) {
      features[i] = new float[] {i};
      ids[i] = "e" + i;
    }
    return new Slice(features, labels, times, ids);
  }

  @Test
  void evaluatesOnTheLatestFractionOfTheWindow() {
    TimeSliceSplit.Split split =
        new TimeSliceSplit(0.2).split(window(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
    assertThat(split.train().eventTimeMillis()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    assertThat(split.eval().eventTimeMillis()).containsExactly(9, 10);
    assertThat(split.eval().features()[0]).containsExactly(8f);
    assertThat(split.cutoff()).isEqualTo(Instant.ofEpochMilli(9));
  }

  @Test
  void rowsTiedWithTheCutGoToEvaluationSoEvaluationIsStrictlyLater() {
    TimeSliceSplit.Split split = new TimeSliceSplit(0.25).split(window(1, 2, 5, 5, 5, 6, 7, 8));
    // 2 eval rows would cut at index 6 (time 7); no tie there
    assertThat(split.eval().eventTimeMillis()).containsExactly(7, 8);
    split = new TimeSliceSplit(0.5).split(window(1, 2, 5, 5, 5, 6, 7, 8));
    // cut at index 4 (time 5) moves back to the first 5
    assertThat(split.train().eventTimeMillis()).containsExactly(1, 2);
    assertThat(split.eval().eventTimeMillis()).containsExactly(5, 5, 5, 6, 7, 8);
    long maxTrain = split.train().eventTimeMillis()[split.train().size() - 1];
    assertThat(java.util.Arrays.stream(split.eval().eventTimeMillis()).min().getAsLong())
        .isGreaterThan(maxTrain);
  }

  @Test
  void aWindowOfOneInstantHasNoTrainingPart() {
    TimeSliceSplit.Split split = new TimeSliceSplit(0.2).split(window(4, 4, 4));
    assertThat(split.train().size()).isZero();
    assertThat(split.eval().size()).isEqualTo(3);
  }

  @Test
  void refusesUnorderedWindowsAndBadFractions() {
    assertThatThrownBy(() -> new TimeSliceSplit(0.2).split(window(3, 1)))
        .hasMessageContaining("event-time order");
    assertThatThrownBy(() -> new TimeSliceSplit(1.0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new TimeSliceSplit(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
