package dev.millrace.pipeline.demand;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.ScoredFeatures;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TrainingExample;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class DemandLabelsTest {

  private static KeyedOneInputStreamOperatorTestHarness<String, ScoredFeatures, TrainingExample>
      harness() throws Exception {
    var h =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(new DemandLabels()),
            (ScoredFeatures s) -> s.getVector().getEntityId(),
            Types.STRING);
    h.open();
    return h;
  }

  private static long millis(String day) {
    return LocalDate.parse(day).atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli();
  }

  /** The scored point of {@code day} forecasting {@code target}, carrying {@code sales}. */
  private static void point(
      KeyedOneInputStreamOperatorTestHarness<String, ScoredFeatures, TrainingExample> h,
      String day,
      String target,
      double sales,
      double prediction)
      throws Exception {
    FeatureVector v =
        FeatureVector.newBuilder()
            .setTask(Task.DEMAND)
            .setEventId("1/" + day)
            .setEntityId("1")
            .setEventTime(Instant.ofEpochMilli(millis(day)))
            .setFeatureSchemaFingerprint(DemandFeatures.FINGERPRINT)
            .setFeatures(List.of((float) sales))
            .setAttributes(
                Map.of(
                    DemandScoringPoints.DAY,
                    Long.toString(LocalDate.parse(day).toEpochDay()),
                    DemandScoringPoints.TARGET_DAY,
                    Long.toString(LocalDate.parse(target).toEpochDay()),
                    DemandScoringPoints.SALES,
                    Double.toString(sales)))
            .build();
    h.processElement(
        new StreamRecord<>(
            ScoredFeatures.newBuilder()
                .setVector(v)
                .setPrediction(prediction)
                .setModelVersion("v1")
                .setScoringTime(v.getEventTime())
                .build(),
            millis(day)));
  }

  @Test
  void aForecastIsLabelledByItsTargetDaysSalesAndStateAndTimerAreClearedAfter() throws Exception {
    try (var h = harness()) {
      point(h, "2014-01-03", "2014-01-04", 5000, 4800); // Friday, for Saturday
      point(h, "2014-01-04", "2014-01-06", 6100, 5900); // Saturday, for Monday (Sunday closed)
      point(h, "2014-01-06", "2014-01-07", 4200, 4300);
      List<TrainingExample> out = h.extractOutputValues();
      assertThat(out)
          .extracting(TrainingExample::getEventId)
          .containsExactly("1/2014-01-03", "1/2014-01-04");
      assertThat(out).extracting(TrainingExample::getLabel).containsExactly(6100.0, 4200.0);
      assertThat(out.get(1).getScore()).isEqualTo(5900.0);
      assertThat(out.get(1).getLabelTime()).isEqualTo(Instant.ofEpochMilli(millis("2014-01-06")));
      assertThat(out.get(1).getFeatures()).containsExactly(6100f); // as scored
      assertThat(h.numKeyedStateEntries()).isEqualTo(1); // the forecast for 2014-01-07
      assertThat(h.numEventTimeTimers()).isEqualTo(1);

      // The target day's row never comes: dropped without a label the day after the target.
      h.processWatermark(new Watermark(millis("2014-01-09") - 2));
      assertThat(h.numKeyedStateEntries()).isEqualTo(1);
      h.processWatermark(new Watermark(millis("2014-01-09") - 1));
      assertThat(h.numKeyedStateEntries()).isZero();
      assertThat(h.numEventTimeTimers()).isZero();
      assertThat(h.extractOutputValues()).hasSize(2);
    }
  }

  @Test
  void aForecastWhoseTargetDayBroughtNoPointIsDroppedWhenALaterPointComes() throws Exception {
    try (var h = harness()) {
      point(h, "2014-01-06", "2014-01-07", 4200, 4300);
      point(h, "2014-01-08", "2014-01-09", 3900, 4000); // 2014-01-07 closed after all
      point(h, "2014-01-09", "2014-01-10", 4100, 4000);
      assertThat(h.extractOutputValues())
          .extracting(TrainingExample::getEventId)
          .containsExactly("1/2014-01-08");
      assertThat(h.numEventTimeTimers()).isEqualTo(1); // only the newest forecast's
    }
  }
}
