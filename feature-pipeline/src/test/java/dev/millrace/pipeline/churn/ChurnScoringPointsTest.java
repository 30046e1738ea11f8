package dev.millrace.pipeline.churn;

import static dev.millrace.pipeline.churn.ChurnFixture.day;
import static dev.millrace.pipeline.churn.ChurnFixture.line;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.churn.ChurnActivity;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class ChurnScoringPointsTest {

  private static final int UK = ChurnFeatures.COUNTRIES.indexOf("United Kingdom");

  private static KeyedOneInputStreamOperatorTestHarness<String, ChurnActivity, FeatureVector>
      harness(ChurnSettings settings) throws Exception {
    var harness =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(new ChurnScoringPoints(settings, "churn.events")),
            ChurnActivity::getCustomerId,
            Types.STRING);
    harness.open();
    return harness;
  }

  private static void send(
      KeyedOneInputStreamOperatorTestHarness<String, ChurnActivity, FeatureVector> h,
      ChurnActivity a)
      throws Exception {
    h.processElement(new StreamRecord<>(a, a.getEventTime().toEpochMilli()));
  }

  /** Day 0: 2 x 5.0 + 1 x 3.0; day 10: 4 x 2.5; day 40: 1 x 20.0; day 45: return of 1 x 20.0. */
  private static final List<ChurnActivity> HISTORY =
      List.of(
          line("c1", "A", 0, 2, 5.0, "United Kingdom"),
          line("c1", "A", 0, 1, 3.0, "United Kingdom"),
          line("c1", "B", 10, 4, 2.5, "United Kingdom"),
          line("c1", "C", 40, 1, 20.0, "United Kingdom"),
          line("c1", "CX", 45, -1, 20.0, "United Kingdom"));

  private static float[] f(FeatureVector v) {
    return ChurnFeatures.toArray(v.getFeatures());
  }

  @Test
  void oneScoringPointPerLineWithHandComputedFeatures() throws Exception {
    try (var h = harness(ChurnSettings.defaults())) {
      for (ChurnActivity a : HISTORY) {
        send(h, a);
      }
      List<FeatureVector> out = h.extractOutputValues();
      assertThat(out).hasSize(5);
      assertThat(out)
          .extracting(v -> v.getAttributes().get(ChurnScoringPoints.KIND))
          .containsExactly("purchase", "purchase", "purchase", "purchase", "return");
      assertThat(out.get(0).getEventId()).isEqualTo("A/" + HISTORY.get(0).getItemId());
      assertThat(out.get(3).getFeatureSchemaFingerprint()).isEqualTo(ChurnFeatures.FINGERPRINT);

      // the second line of basket A sees the whole basket: value 13, 3 items, one basket
      float[] a2 = f(out.get(1));
      assertThat(a2[ChurnFeatures.BASKETS]).isEqualTo(1f);
      assertThat(a2[ChurnFeatures.MONETARY]).isCloseTo(13f, within(1e-4f));
      assertThat(a2[ChurnFeatures.BASKET_ITEMS_MEAN]).isCloseTo(3f, within(1e-4f));
      assertThat(a2[ChurnFeatures.GAP_MEAN]).isZero();

      // at the day-40 purchase: baskets on days 0, 10, 40; gaps 10 and 30
      float[] c = f(out.get(3));
      float[] expected = new float[ChurnFeatures.SIZE];
      expected[ChurnFeatures.RECENCY] = 0;
      expected[ChurnFeatures.TENURE] = 40;
      expected[ChurnFeatures.FREQUENCY] = 1; // (day 10, day 40]: day 10 is on the open bound
      expected[ChurnFeatures.FREQUENCY + 1] = 3;
      expected[ChurnFeatures.FREQUENCY + 2] = 3;
      expected[ChurnFeatures.FREQUENCY + 3] = 3;
      expected[ChurnFeatures.MONETARY] = 20;
      expected[ChurnFeatures.MONETARY + 1] = 43;
      expected[ChurnFeatures.MONETARY + 2] = 43;
      expected[ChurnFeatures.MONETARY + 3] = 43;
      expected[ChurnFeatures.GAP_MEAN] = 20;
      expected[ChurnFeatures.GAP_STD] = 10;
      expected[ChurnFeatures.GAP_LAST] = 30;
      expected[ChurnFeatures.RECENCY_OVER_GAP] = 0;
      expected[ChurnFeatures.BASKETS] = 3;
      expected[ChurnFeatures.BASKET_VALUE_MEAN] = 43f / 3;
      expected[ChurnFeatures.BASKET_ITEMS_MEAN] = 8f / 3;
      expected[ChurnFeatures.RETURNS] = 0;
      expected[ChurnFeatures.RETURNS_VALUE] = 0;
      expected[ChurnFeatures.COUNTRY_INDEX] = UK;
      for (int i = 0; i < ChurnFeatures.SIZE; i++) {
        assertThat(c[i]).as(ChurnFeatures.NAMES.get(i)).isCloseTo(expected[i], within(1e-4f));
      }

      // the return on day 45 is not a purchase: recency 5, the returns count
      float[] r = f(out.get(4));
      assertThat(r[ChurnFeatures.RECENCY]).isCloseTo(5f, within(1e-4f));
      assertThat(r[ChurnFeatures.TENURE]).isCloseTo(45f, within(1e-4f));
      assertThat(r[ChurnFeatures.FREQUENCY]).isEqualTo(1f);
      assertThat(r[ChurnFeatures.RECENCY_OVER_GAP]).isCloseTo(0.25f, within(1e-4f));
      assertThat(r[ChurnFeatures.BASKETS]).isEqualTo(3f);
      assertThat(r[ChurnFeatures.RETURNS]).isEqualTo(1f);
      assertThat(r[ChurnFeatures.RETURNS_VALUE]).isCloseTo(20f, within(1e-4f));
    }
  }

  @Test
  void rescoresWeeklyWhileInactiveAndClearsStateAndTimerAtRetention() throws Exception {
    try (var h = harness(ChurnFixture.settings(Duration.ofDays(7), Duration.ofDays(30)))) {
      for (ChurnActivity a : HISTORY) {
        send(h, a);
      }
      assertThat(h.numEventTimeTimers()).isEqualTo(1);
      h.processWatermark(new Watermark(day(52) - 1));
      assertThat(h.extractOutputValues()).hasSize(5);
      h.processWatermark(new Watermark(day(52)));
      List<FeatureVector> out = h.extractOutputValues();
      assertThat(out).hasSize(6);
      FeatureVector rescore = out.get(5);
      assertThat(rescore.getAttributes()).containsEntry(ChurnScoringPoints.KIND, "rescore");
      assertThat(rescore.getEventTime().toEpochMilli()).isEqualTo(day(52));
      float[] f = f(rescore);
      assertThat(f[ChurnFeatures.RECENCY]).isCloseTo(12f, within(1e-4f));
      assertThat(f[ChurnFeatures.TENURE]).isCloseTo(52f, within(1e-4f));
      assertThat(f[ChurnFeatures.RECENCY_OVER_GAP]).isCloseTo(0.6f, within(1e-4f));
      assertThat(f[ChurnFeatures.FREQUENCY]).isEqualTo(1f); // (day 22, day 52]
      assertThat(f[ChurnFeatures.BASKETS]).isEqualTo(3f);

      // re-scores on days 59, 66, 73; the state goes at newest (45) + retention (30) = day 75
      h.processWatermark(new Watermark(day(74)));
      assertThat(h.extractOutputValues()).hasSize(9);
      assertThat(h.numKeyedStateEntries()).isEqualTo(2);
      assertThat(h.numEventTimeTimers()).isEqualTo(1);
      h.processWatermark(new Watermark(day(75)));
      assertThat(h.extractOutputValues()).hasSize(9);
      assertThat(h.numKeyedStateEntries()).isZero();
      assertThat(h.numEventTimeTimers()).isZero();
    }
  }

  @Test
  void aPurchaseMovesTheRescoreTimerToItsOwnTimePlusThePeriod() throws Exception {
    try (var h = harness(ChurnSettings.defaults())) {
      send(h, line("c1", "A", 0, 1, 1.0, "France"));
      h.processWatermark(new Watermark(day(7)));
      send(h, line("c1", "B", 9, 1, 1.0, "France"));
      assertThat(h.numEventTimeTimers()).isEqualTo(1);
      h.processWatermark(new Watermark(day(15)));
      assertThat(h.extractOutputValues()).hasSize(3); // A, rescore day 7, B
      h.processWatermark(new Watermark(day(16)));
      List<FeatureVector> out = h.extractOutputValues();
      assertThat(out).hasSize(4);
      assertThat(out.get(3).getEventTime().toEpochMilli()).isEqualTo(day(16));
      assertThat(f(out.get(3))[ChurnFeatures.COUNTRY_INDEX])
          .isEqualTo((float) ChurnFeatures.COUNTRIES.indexOf("France"));
    }
  }

  @Test
  void anActivityDatedBeforeThePreviousBeyondTheLatenessIsDeadLettered() throws Exception {
    try (var h = harness(ChurnSettings.defaults())) { // allowed lateness: 1 day
      send(h, line("c1", "A", 10, 1, 1.0, "EIRE"));
      send(h, line("c1", "B", 9.5, 2, 1.0, "EIRE")); // 12 h late: accepted
      send(h, line("c1", "C", 8.9, 3, 1.0, "EIRE")); // 1.1 days late: refused
      List<FeatureVector> out = h.extractOutputValues();
      assertThat(out).hasSize(2);
      assertThat(f(out.get(1))[ChurnFeatures.BASKETS]).isEqualTo(2f);
      var letters = h.getSideOutput(ChurnScoringPoints.LATE_ACTIVITY);
      assertThat(letters).hasSize(1);
      DeadLetter d = letters.peek().getValue();
      assertThat(d.getReasonCode()).isEqualTo(ChurnScoringPoints.PURCHASE_BEFORE_PREVIOUS);
      assertThat(d.getSourceTopic()).isEqualTo("churn.events");
      // nothing of the refused line reached the state
      send(h, line("c1", "D", 11, 1, 1.0, "EIRE"));
      assertThat(f(h.extractOutputValues().get(2))[ChurnFeatures.BASKETS]).isEqualTo(3f);
    }
  }
}
