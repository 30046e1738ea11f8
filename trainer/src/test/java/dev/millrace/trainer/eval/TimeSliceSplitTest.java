package dev.millrace.trainer.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TimeSliceSplitTest {

  private static final long HOUR = 3_600_000L;
  private static final long DAY = 24 * HOUR;

  /** Rows at {@code times}, each with its index as its only feature; labels known at once. */
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

  private static Set<Integer> rowIndexes(Slice s) {
    Set<Integer> out = new HashSet<>();
    for (float[] f : s.features()) {
      out.add((int) f[0]);
    }
    return out;
  }

  @Test
  void evaluatesOnTheLatestFractionOfTheWindow() {
    TimeSliceSplit.Split split =
        new TimeSliceSplit(0.2, Duration.ZERO).split(window(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
    assertThat(split.train().eventTimeMillis()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    assertThat(split.eval().eventTimeMillis()).containsExactly(9, 10);
    assertThat(split.eval().features()[0]).containsExactly(8f);
    assertThat(split.cutoff()).isEqualTo(Instant.ofEpochMilli(9));
    assertThat(split.gapRows()).isZero();
  }

  @Test
  void rowsTiedWithTheCutGoToEvaluationSoEvaluationIsStrictlyLater() {
    TimeSliceSplit.Split split =
        new TimeSliceSplit(0.25, Duration.ZERO).split(window(1, 2, 5, 5, 5, 6, 7, 8));
    // 2 eval rows would cut at index 6 (time 7); no tie there
    assertThat(split.eval().eventTimeMillis()).containsExactly(7, 8);
    split = new TimeSliceSplit(0.5, Duration.ZERO).split(window(1, 2, 5, 5, 5, 6, 7, 8));
    // cut at index 4 (time 5) moves back to the first 5
    assertThat(split.train().eventTimeMillis()).containsExactly(1, 2);
    assertThat(split.eval().eventTimeMillis()).containsExactly(5, 5, 5, 6, 7, 8);
    long maxTrain = split.train().eventTimeMillis()[split.train().size() - 1];
    assertThat(Arrays.stream(split.eval().eventTimeMillis()).min().getAsLong())
        .isGreaterThan(maxTrain);
  }

  @Test
  void theGapHoldsAndItsRowsAreInNeitherPart() {
    // 30 days, a row an hour; labels known 7 days (and an hour of grace) after their row.
    long[] times = IntStream.range(0, 30 * 24).mapToLong(i -> i * HOUR).toArray();
    Slice plain = window(times);
    long[] labelTimes = Arrays.stream(times).map(t -> t + 7 * DAY + HOUR).toArray();
    Slice w = new Slice(plain.features(), plain.labels(), times, plain.entityIds(), labelTimes);

    for (Duration configured : new Duration[] {null, Duration.ofDays(2), Duration.ofDays(10)}) {
      TimeSliceSplit.Split split = new TimeSliceSplit(0.2, configured).split(w);
      Duration gap = configured != null ? configured : Duration.ofDays(7).plusHours(1);
      assertThat(split.gap()).as("gap by default = the examples' label lag").isEqualTo(gap);
      long evalStart = split.cutoff().toEpochMilli();
      assertThat(evalStart).isEqualTo(times[times.length - 144]); // the last 20 % of 720 rows
      assertThat(split.train().size()).isPositive();
      for (long t : split.train().eventTimeMillis()) {
        assertThat(t).isLessThan(evalStart - gap.toMillis());
      }
      for (long t : split.eval().eventTimeMillis()) {
        assertThat(t).isGreaterThanOrEqualTo(evalStart);
      }
      // the rows of the gap are in neither part, and every other row is in exactly one
      Set<Integer> inGap = new HashSet<>();
      for (int i = 0; i < times.length; i++) {
        if (times[i] >= evalStart - gap.toMillis() && times[i] < evalStart) {
          inGap.add(i);
        }
      }
      assertThat(inGap).hasSize((int) (gap.toMillis() / HOUR));
      assertThat(split.gapRows()).isEqualTo(inGap.size());
      Set<Integer> train = rowIndexes(split.train());
      Set<Integer> eval = rowIndexes(split.eval());
      assertThat(train).doesNotContainAnyElementsOf(inGap).doesNotContainAnyElementsOf(eval);
      assertThat(eval).doesNotContainAnyElementsOf(inGap);
      assertThat(train.size() + inGap.size() + eval.size()).isEqualTo(times.length);
    }
  }

  @Test
  void aWindowShorterThanTheGapLeavesNoTrainingPart() {
    long[] times = IntStream.range(0, 48).mapToLong(i -> i * HOUR).toArray();
    TimeSliceSplit.Split split = new TimeSliceSplit(0.2, Duration.ofDays(7)).split(window(times));
    assertThat(split.train().size()).isZero();
    assertThat(split.eval().size()).isEqualTo(10);
    assertThat(split.gapRows()).isEqualTo(38);
  }

  @Test
  void entitiesKnownPositiveBeforeTheSliceLeaveItAndLaterPositivesStay() {
    // Train rows on days 0-9, a gap row on day 18, the evaluation slice on days 20-24 (gap 3 days).
    long[] times = {
      0,
      DAY,
      2 * DAY,
      3 * DAY,
      4 * DAY,
      5 * DAY,
      6 * DAY,
      7 * DAY,
      8 * DAY,
      9 * DAY,
      18 * DAY,
      20 * DAY,
      21 * DAY,
      22 * DAY,
      22 * DAY + HOUR,
      23 * DAY,
      24 * DAY
    };
    String[] ids = {
      "known", "late", "neg", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "gapcard", "known", "late",
      "neg", "gapcard", "fresh", "known"
    };
    float[] labels = {1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0};
    long[] labelTimes = times.clone();
    labelTimes[0] = 7 * DAY; // "known": fraud on day 0, label known on day 7, before the slice
    labelTimes[1] = 21 * DAY; // "late": fraud on day 1, label known only on day 21, in the slice
    labelTimes[10] = 19 * DAY; // "gapcard": fraud in the gap, known on day 19, before the slice
    labelTimes[12] = 27 * DAY;
    float[][] features = new float[times.length][];
    for (int i = 0; i < times.length; i++) {
      features[i] = new float[] {i};
    }
    Slice w = new Slice(features, labels, times, ids, labelTimes);

    TimeSliceSplit.Split split = new TimeSliceSplit(0.35, Duration.ofDays(3)).split(w);

    assertThat(split.cutoff()).isEqualTo(Instant.ofEpochMilli(20 * DAY));
    assertThat(split.train().size()).isEqualTo(10);
    assertThat(split.gapRows()).isEqualTo(1);
    assertThat(split.eval().entityIds()).containsExactly("late", "neg", "fresh");
    assertThat(split.eval().eventTimeMillis()).containsExactly(21 * DAY, 22 * DAY, 23 * DAY);
    assertThat(split.eval().labels()).containsExactly(1f, 0f, 0f);
    assertThat(split.eval().labelTimeMillis()).containsExactly(27 * DAY, 22 * DAY, 23 * DAY);
    assertThat(split.knownPositiveRows()).isEqualTo(3);
    assertThat(split.knownPositiveEntities()).isEqualTo(2);
  }

  @Test
  void aWindowOfOneInstantHasNoTrainingPart() {
    TimeSliceSplit.Split split = new TimeSliceSplit(0.2, null).split(window(4, 4, 4));
    assertThat(split.train().size()).isZero();
    assertThat(split.eval().size()).isEqualTo(3);
  }

  @Test
  void refusesUnorderedWindowsBadFractionsAndNegativeGaps() {
    assertThatThrownBy(() -> new TimeSliceSplit(0.2, null).split(window(3, 1)))
        .hasMessageContaining("event-time order");
    assertThatThrownBy(() -> new TimeSliceSplit(1.0, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new TimeSliceSplit(0, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new TimeSliceSplit(0.2, Duration.ofHours(-1)))
        .hasMessageContaining("gap");
  }
}
