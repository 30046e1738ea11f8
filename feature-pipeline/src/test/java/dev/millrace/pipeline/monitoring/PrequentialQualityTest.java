package dev.millrace.pipeline.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.millrace.schemas.ModelQuality;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TrainingExample;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** Every expected value is worked out by hand in the comments. */
class PrequentialQualityTest {

  private static final Instant T0 = Instant.parse("2026-03-01T00:00:00Z");
  private static final Instant EMITTED = Instant.parse("2026-11-25T10:00:00Z");
  private static final Duration IDLE = Duration.ofDays(2);
  private static final long HOUR = 3_600_000L;

  private PrequentialQuality function;

  private KeyedOneInputStreamOperatorTestHarness<String, TrainingExample, ModelQuality> harness(
      PrequentialQuality.Kind kind, int window, int every) throws Exception {
    MonitoringSettings settings = MonitoringSettings.defaults().withQuality(window, every, IDLE);
    function =
        new PrequentialQuality(Task.FRAUD, kind, settings, Clock.fixed(EMITTED, ZoneOffset.UTC));
    KeyedOneInputStreamOperatorTestHarness<String, TrainingExample, ModelQuality> h =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(function), TrainingExample::getModelVersion, Types.STRING);
    h.open();
    return h;
  }

  /** Examples of this test so far; the i-th has event time T0 + i hours. */
  private int n;

  private void example(
      KeyedOneInputStreamOperatorTestHarness<String, TrainingExample, ModelQuality> h,
      String version,
      double label,
      double score)
      throws Exception {
    n++;
    Instant eventTime = T0.plusMillis(n * HOUR);
    Instant labelTime = eventTime.plus(Duration.ofDays(7));
    TrainingExample e =
        TrainingExample.newBuilder()
            .setTask(Task.FRAUD)
            .setEventId("e" + n)
            .setEntityId("c" + n)
            .setFeatureSchemaFingerprint("fp")
            .setFeatures(List.of(1f, 2f))
            .setLabel(label)
            .setEventTime(eventTime)
            .setLabelTime(labelTime)
            .setModelVersion(version)
            .setScore(score)
            .build();
    h.processElement(new StreamRecord<>(e, labelTime.toEpochMilli()));
  }

  @Test
  void aNaNOrInfiniteScoreIsCountedAndLeftOutInsteadOfFailingTheMonitor() throws Exception {
    var h = harness(PrequentialQuality.Kind.CLASSIFICATION, 4, 2);
    example(h, "v1", 1, 0.9);
    example(h, "v1", 0, Double.NaN);
    example(h, "v1", 1, Double.POSITIVE_INFINITY);
    example(h, "v1", 0, 0.8);
    // refused: the NaN and the infinity; v1 {(1,.9),(0,.8)} after two accepted -> AUC 1, AP 1
    List<ModelQuality> out = h.extractOutputValues();
    assertThat(out).hasSize(1);
    assertThat(out.get(0).getExamples()).isEqualTo(2);
    assertThat(out.get(0).getPositives()).isEqualTo(1);
    assertThat(out.get(0).getAuc()).isEqualTo(1.0);
    assertThat(out.get(0).getAveragePrecision()).isEqualTo(1.0);
    assertThat(function.refusedScoresCount()).isEqualTo(2);
  }

  @Test
  void rollingAucAndApPerVersionOverTheLastExamples() throws Exception {
    var h = harness(PrequentialQuality.Kind.CLASSIFICATION, 4, 2);
    example(h, "v1", 1, 0.9);
    example(h, "v2", 0, 0.2);
    example(h, "v1", 0, 0.8);
    // v1 {(1,.9),(0,.8)}: perfect ranking -> AUC 1, AP 1
    example(h, "v2", 0, 0.4);
    // v2 {(0,.2),(0,.4)}: no positive -> both undefined (null)
    example(h, "v1", 1, 0.8);
    example(h, "v1", 0, 0.3);
    // v1 {(1,.9),(0,.8),(1,.8),(0,.3)}: pairs .9>.8, .9>.3, .8=.8 (1/2), .8>.3 -> 3.5/4
    // AP: .9 -> P=1 R=1/2; .8 (two rows) -> P=2/3 R=1 -> 1/2 + 1/2*2/3 = 5/6
    example(h, "v1", 0, 0.95);
    example(h, "v1", 1, 0.3);
    // window of 4 drops the first two: {(1,.8),(0,.3),(0,.95),(1,.3)}
    // pairs .8>.3, .8<.95, .3=.3 (1/2), .3<.95 -> 1.5/4; AP: .95 neg -> P=0 R=0;
    // .8 -> P=1/2 R=1/2; .3 (two rows) -> P=2/4 R=1 -> 1/2*1/2 + 1/2*1/2 = 1/2
    List<ModelQuality> out = h.extractOutputValues();
    assertThat(out).hasSize(4);

    ModelQuality first = out.get(0);
    assertThat(first.getModelVersion()).isEqualTo("v1");
    assertThat(first.getExamples()).isEqualTo(2);
    assertThat(first.getPositives()).isEqualTo(1);
    assertThat(first.getAuc()).isEqualTo(1.0);
    assertThat(first.getAveragePrecision()).isEqualTo(1.0);
    assertThat(first.getTask()).isEqualTo(Task.FRAUD);
    assertThat(first.getEmittedAt()).isEqualTo(EMITTED);
    assertThat(first.getRmse()).isNull();

    ModelQuality v2 = out.get(1);
    assertThat(v2.getModelVersion()).isEqualTo("v2");
    assertThat(v2.getExamples()).isEqualTo(2);
    assertThat(v2.getPositives()).isZero();
    assertThat(v2.getAuc()).isNull();
    assertThat(v2.getAveragePrecision()).isNull();

    ModelQuality second = out.get(2);
    assertThat(second.getExamples()).isEqualTo(4);
    assertThat(second.getPositives()).isEqualTo(2);
    assertThat(second.getAuc()).isCloseTo(0.875, within(1e-9));
    assertThat(second.getAveragePrecision()).isCloseTo(5.0 / 6.0, within(1e-9));
    assertThat(second.getWindowEnd()).isEqualTo(T0.plusMillis(6 * HOUR));

    ModelQuality third = out.get(3);
    assertThat(third.getExamples()).isEqualTo(4);
    assertThat(third.getPositives()).isEqualTo(2);
    assertThat(third.getAuc()).isCloseTo(0.375, within(1e-9));
    assertThat(third.getAveragePrecision()).isCloseTo(0.5, within(1e-9));

    // the gauges report the latest record of each version
    assertThat(function.latestByVersion()).containsEntry("v1", third).containsEntry("v2", v2);
    h.close();
  }

  @Test
  void aVersionIdleForTheTimeoutIsFlushedAndItsStateAndTimerCleared() throws Exception {
    var h = harness(PrequentialQuality.Kind.CLASSIFICATION, 10, 5);
    example(h, "v1", 1, 0.7);
    example(h, "v1", 0, 0.6);
    example(h, "v1", 0, 0.9);
    assertThat(h.extractOutputValues()).isEmpty();
    // the pending pairs and the progress; the window is made at the first emit
    assertThat(h.numKeyedStateEntries()).isEqualTo(2);
    assertThat(h.numEventTimeTimers()).isEqualTo(1);

    long lastLabelTime = T0.plusMillis(n * HOUR).plus(Duration.ofDays(7)).toEpochMilli();
    h.processWatermark(new Watermark(lastLabelTime + IDLE.toMillis() - 1));
    assertThat(h.extractOutputValues()).isEmpty();
    assertThat(h.numKeyedStateEntries()).isEqualTo(2);

    h.processWatermark(new Watermark(lastLabelTime + IDLE.toMillis()));
    List<ModelQuality> out = h.extractOutputValues();
    // {(1,.7),(0,.6),(0,.9)}: the positive beats .6 only -> AUC 1/2;
    // AP: .9 neg -> P=0 R=0; .7 -> P=1/2 R=1 -> 1/2
    assertThat(out).hasSize(1);
    assertThat(out.get(0).getExamples()).isEqualTo(3);
    assertThat(out.get(0).getAuc()).isCloseTo(0.5, within(1e-9));
    assertThat(out.get(0).getAveragePrecision()).isCloseTo(0.5, within(1e-9));
    assertThat(h.numKeyedStateEntries()).isZero();
    assertThat(h.numEventTimeTimers()).isZero();
    h.close();
  }

  @Test
  void regressionGivesRmseAndRmspe() throws Exception {
    var h = harness(PrequentialQuality.Kind.REGRESSION, 10, 2);
    example(h, "d1", 2, 1);
    example(h, "d1", 4, 6);
    // errors 1, -2 -> sqrt((1 + 4) / 2); relative 1/2, -1/2 -> sqrt((1/4 + 1/4) / 2) = 1/2
    List<ModelQuality> out = h.extractOutputValues();
    assertThat(out).hasSize(1);
    assertThat(out.get(0).getRmse()).isCloseTo(Math.sqrt(2.5), within(1e-9));
    assertThat(out.get(0).getRmspe()).isCloseTo(0.5, within(1e-9));
    assertThat(out.get(0).getAuc()).isNull();
    h.close();
  }
}
