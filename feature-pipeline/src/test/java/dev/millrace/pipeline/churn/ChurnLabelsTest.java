package dev.millrace.pipeline.churn;

import static dev.millrace.pipeline.churn.ChurnFixture.day;
import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.ScoredFeatures;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TrainingExample;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class ChurnLabelsTest {

  private static KeyedOneInputStreamOperatorTestHarness<String, ScoredFeatures, TrainingExample>
      harness() throws Exception {
    var harness =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(new ChurnLabels(ChurnSettings.defaults())), // H = 90 days
            s -> s.getVector().getEntityId(),
            Types.STRING);
    harness.open();
    return harness;
  }

  private static void point(
      KeyedOneInputStreamOperatorTestHarness<String, ScoredFeatures, TrainingExample> h,
      String customer,
      double day,
      String kind,
      double score)
      throws Exception {
    float[] features = new float[ChurnFeatures.SIZE];
    features[ChurnFeatures.TENURE] = (float) day;
    FeatureVector v =
        ChurnScoringPoints.vector(
            customer, kind + "@" + day, day(day), features, Map.of(ChurnScoringPoints.KIND, kind));
    h.processElement(new StreamRecord<>(ChurnFixture.scored(v, score), day(day)));
  }

  @Test
  void returnOnDayHMinusOneIsZeroOnDayHPlusOneIsOneAndStateAndTimersAreCleared() throws Exception {
    try (var h = harness()) {
      point(h, "back-in-time", 0, "purchase", 0.3);
      point(h, "too-late", 0, "purchase", 0.4);
      h.processWatermark(new Watermark(day(89)));
      assertThat(h.extractOutputValues()).isEmpty();

      point(h, "back-in-time", 89, "purchase", 0.2); // day H - 1: resolves day 0 as 0 at once
      List<TrainingExample> out = h.extractOutputValues();
      assertThat(out).hasSize(1);
      TrainingExample stayed = out.get(0);
      assertThat(stayed.getEntityId()).isEqualTo("back-in-time");
      assertThat(stayed.getLabel()).isEqualTo(0.0);
      assertThat(stayed.getEventTime().toEpochMilli()).isEqualTo(day(0));
      assertThat(stayed.getLabelTime().toEpochMilli()).isEqualTo(day(89));
      assertThat(stayed.getScore()).isEqualTo(0.3);
      assertThat(stayed.getModelVersion()).isEqualTo("v-test");
      assertThat(stayed.getTask()).isEqualTo(Task.CHURN);
      assertThat(stayed.getFeatureSchemaFingerprint()).isEqualTo(ChurnFeatures.FINGERPRINT);
      assertThat(stayed.getFeatures()).hasSize(ChurnFeatures.SIZE);
      // the resolved point's timer is gone: too-late's day 90 and back-in-time's day 179
      assertThat(h.numEventTimeTimers()).isEqualTo(2);

      h.processWatermark(new Watermark(day(90)));
      out = h.extractOutputValues();
      assertThat(out).hasSize(2);
      TrainingExample churned = out.get(1);
      assertThat(churned.getEntityId()).isEqualTo("too-late");
      assertThat(churned.getLabel()).isEqualTo(1.0);
      assertThat(churned.getLabelTime().toEpochMilli()).isEqualTo(day(90));
      assertThat(churned.getScore()).isEqualTo(0.4);

      point(h, "too-late", 91, "purchase", 0.1); // day H + 1: too late to change the label
      assertThat(h.extractOutputValues()).hasSize(2);

      // the last points mature as churned; nothing is left behind
      h.processWatermark(new Watermark(day(181)));
      out = h.extractOutputValues();
      assertThat(out).hasSize(4);
      assertThat(out.subList(2, 4)).extracting(TrainingExample::getLabel).containsOnly(1.0);
      assertThat(h.numEventTimeTimers()).isZero();
      assertThat(h.numKeyedStateEntries()).isZero();
    }
  }

  @Test
  void onlyALaterPurchaseResolvesNotALineOfTheSameBasketARescoreOrAReturn() throws Exception {
    try (var h = harness()) {
      point(h, "c", 0, "purchase", 0.5);
      point(h, "c", 0, "purchase", 0.5); // same basket
      point(h, "c", 7, "rescore", 0.6);
      point(h, "c", 8, "return", 0.6);
      assertThat(h.extractOutputValues()).isEmpty();
      point(h, "c", 20, "purchase", 0.1);
      List<TrainingExample> out = h.extractOutputValues();
      assertThat(out).hasSize(4);
      assertThat(out).extracting(TrainingExample::getLabel).containsOnly(0.0);
      assertThat(out).extracting(e -> e.getLabelTime().toEpochMilli()).containsOnly(day(20));
      assertThat(h.numEventTimeTimers()).isEqualTo(1);
    }
  }
}
