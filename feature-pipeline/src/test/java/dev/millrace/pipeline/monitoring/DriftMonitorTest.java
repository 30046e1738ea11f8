package dev.millrace.pipeline.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.RetrainRequest;
import dev.millrace.schemas.ScoredFeatures;
import dev.millrace.schemas.Task;
import dev.millrace.scorer.model.DriftReference;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The drift monitor as the job runs it: {@link DriftBinning} (vectors binned per slide) feeding
 * {@link DriftMonitor} (slides added up and measured). Every expected index is worked out by hand
 * in the comments.
 */
class DriftMonitorTest {

  /** Both halves, wired as in the job: counts of a slide go on before the watermark. */
  private static final class Harness implements AutoCloseable {
    final TwoInputStreamOperatorTestHarness<DriftSample, ModelAnnouncement, DriftCounts> binning;
    final KeyedBroadcastOperatorTestHarness<String, DriftCounts, ModelAnnouncement, RetrainRequest>
        monitor;
    final DriftBinning binner;

    Harness(DriftMonitor monitorFunction, MonitoringSettings settings) throws Exception {
      binner = new DriftBinning(Task.FRAUD, FEATURES, settings);
      binning = new TwoInputStreamOperatorTestHarness<>(binner);
      binning.open();
      monitor =
          ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
              monitorFunction,
              c -> "fraud",
              org.apache.flink.api.common.typeinfo.Types.STRING,
              DriftMonitor.REFERENCES);
    }

    void processBroadcastWatermark(long time) throws Exception {
      binning.processWatermark2(new Watermark(time));
      monitor.processBroadcastWatermark(time);
    }

    void processBroadcastElement(ModelAnnouncement a, long time) throws Exception {
      binning.processElement2(a, time);
      monitor.processBroadcastElement(a, time);
    }

    void processElement(ScoredFeatures scored, long time) throws Exception {
      binning.processElement1(DriftSample.of(scored), time);
    }

    void processWatermark(Watermark mark) throws Exception {
      binning.processWatermark1(mark);
      forward();
      monitor.processWatermark(mark);
    }

    private void forward() throws Exception {
      for (Object o : binning.getOutput()) {
        if (o instanceof StreamRecord<?> r) {
          monitor.processElement((DriftCounts) r.getValue(), r.getTimestamp());
        }
      }
      binning.getOutput().clear();
    }

    /** Pending work: the monitor's timers plus the slides still counting in the binning. */
    int numEventTimeTimers() {
      return monitor.numEventTimeTimers() + binner.openSlides();
    }

    List<RetrainRequest> extractOutputValues() {
      return monitor.extractOutputValues();
    }

    @Override
    public void close() throws Exception {
      binning.close();
      monitor.close();
    }
  }

  private static final long HOUR = 3_600_000L;
  private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");

  /** Not in alphabetical order: the manifest stores the reference's features sorted by name. */
  private static final List<String> FEATURES = List.of("x", "b");

  @TempDir Path dir;

  /** x: bins {<0.5, >=0.5} at 50/50; b: bins {<1, >=1} at 80/20; score: {<0.5, >=0.5} 50/50. */
  private static DriftReference reference() {
    Map<String, DriftReference.Bins> features = new LinkedHashMap<>();
    features.put("x", new DriftReference.Bins(List.of(0.5), List.of(0.5, 0.5)));
    features.put("b", new DriftReference.Bins(List.of(1.0), List.of(0.8, 0.2)));
    return new DriftReference(features, new DriftReference.Bins(List.of(0.5), List.of(0.5, 0.5)));
  }

  private ModelAnnouncement announce(String version, DriftReference ref) throws Exception {
    return DriftTestModels.announce(dir, version, FEATURES, ref, NOW);
  }

  private int n;

  private void vector(Harness h, String version, long eventTime, float x, float b, double score)
      throws Exception {
    h.processElement(scored(version, eventTime, x, b, score), eventTime);
  }

  private ScoredFeatures scored(String version, long eventTime, float x, float b, double score) {
    n++;
    FeatureVector v =
        FeatureVector.newBuilder()
            .setTask(Task.FRAUD)
            .setEventId("e" + n)
            .setEntityId("c")
            .setEventTime(Instant.ofEpochMilli(eventTime))
            .setFeatureSchemaFingerprint("fp")
            .setFeatures(List.of(x, b))
            .build();
    return ScoredFeatures.newBuilder()
        .setVector(v)
        .setPrediction(score)
        .setModelVersion(version)
        .setScoringTime(NOW)
        .build();
  }

  @Test
  void measuresPsiOverTheSlidingWindowAndRequestsARetrainWithCooldown() throws Exception {
    MonitoringSettings settings =
        MonitoringSettings.defaults()
            .withDrift(Duration.ofHours(2), Duration.ofHours(1), 4, 0.2, Duration.ofHours(3));
    DriftMonitor monitor =
        new DriftMonitor(
            Task.FRAUD, FEATURES, settings, Set.of(), Clock.fixed(NOW, ZoneOffset.UTC));
    var h = new Harness(monitor, settings);
    // as BroadcastWatermarks does in the job: the model stream never holds back event time
    h.processBroadcastWatermark(Long.MAX_VALUE);

    // before any model with a reference: nothing is counted
    vector(h, "fallback", 10, 1, 1, 0.9);
    assertThat(h.numEventTimeTimers()).isZero();

    h.processBroadcastElement(announce("v1", reference()), 0);
    // hour 0: x {0,0,1,1} (50/50: psi 0), b {0,0,0,1} (75/25), scores 50/50 (psi 0)
    vector(h, "v1", 100, 0, 0, 0.1);
    vector(h, "v1", 200, 0, 0, 0.9);
    vector(h, "v1", 300, 1, 0, 0.2);
    vector(h, "v1", 400, 1, 1, 0.8);
    vector(h, "v0", 500, 1, 1, 0.8); // an older model's vector is not counted
    h.processWatermark(new Watermark(HOUR));
    // the window [-1h, 1h) is longer than what v1 has seen: not measured yet
    assertThat(monitor.featurePsi()).isEmpty();
    assertThat(monitor.maxPsi()).isNaN();
    assertThat(h.extractOutputValues()).isEmpty();

    // hour 1: x jumps to 1 on every vector
    for (int i = 0; i < 4; i++) {
      vector(h, "v1", HOUR + i, 1, 0, i % 2 == 0 ? 0.1 : 0.9);
    }
    h.processWatermark(new Watermark(2 * HOUR));
    // window [0h, 2h): x {2, 6} -> (0.25-0.5) ln(0.5) + (0.75-0.5) ln(1.5) = 0.1733 + 0.1014
    double aPsi = 0.25 * Math.log(2) + 0.25 * Math.log(1.5);
    assertThat(monitor.featurePsi().get("x")).isCloseTo(aPsi, within(1e-9));
    // b {7, 1}: 0.075 ln(0.875/0.8) - 0.075 ln(0.125/0.2)
    assertThat(monitor.featurePsi().get("b"))
        .isCloseTo(0.075 * Math.log(0.875 / 0.8) - 0.075 * Math.log(0.125 / 0.2), within(1e-9));
    List<RetrainRequest> requests = h.extractOutputValues();
    assertThat(requests).hasSize(1);
    RetrainRequest r = requests.get(0);
    assertThat(r.getFeature()).isEqualTo("x");
    assertThat(r.getPsi()).isCloseTo(aPsi, within(1e-9));
    assertThat(r.getModelVersion()).isEqualTo("v1");
    assertThat(r.getTask()).isEqualTo(Task.FRAUD);
    assertThat(r.getRequestedAt()).isEqualTo(NOW);
    assertThat(r.getReason()).startsWith("drift: psi(x)=0.275 >= 0.200");

    // hour 2: still drifted, but within the 3 h cooldown: measured, no request
    for (int i = 0; i < 4; i++) {
      vector(h, "v1", 2 * HOUR + i, 1, 0, 0.5);
    }
    h.processWatermark(new Watermark(3 * HOUR));
    // window [1h, 3h): x {0, 8} -> (1e-4 - 0.5) ln(1e-4 / 0.5) + 0.5 ln 2
    double full = (1e-4 - 0.5) * Math.log(1e-4 / 0.5) + 0.5 * Math.log(2);
    assertThat(monitor.featurePsi().get("x")).isCloseTo(full, within(1e-9));
    assertThat(h.extractOutputValues()).hasSize(1);

    // hour 5, past the cooldown: a second request over the window [4h, 6h)
    for (int i = 0; i < 4; i++) {
      vector(h, "v1", 5 * HOUR + i, 1, 0, 0.1);
    }
    h.processWatermark(new Watermark(6 * HOUR));
    requests = h.extractOutputValues();
    assertThat(requests).hasSize(2);
    assertThat(requests.get(1).getPsi()).isCloseTo(full, within(1e-9));
    assertThat(h.numEventTimeTimers()).isZero();

    // a new model starts a new window; one without a reference measures nothing
    h.processBroadcastElement(announce("v2", null), 0);
    for (int i = 0; i < 8; i++) {
      vector(h, "v2", 7 * HOUR + i, 1, 0, 0.1);
    }
    assertThat(h.numEventTimeTimers()).isZero();
    h.close();
  }

  @Test
  void aNonTriggeringFeatureIsReportedButRequestsNothing() throws Exception {
    MonitoringSettings settings =
        MonitoringSettings.defaults()
            .withDrift(Duration.ofHours(1), Duration.ofHours(1), 2, 0.2, Duration.ZERO);
    DriftMonitor monitor =
        new DriftMonitor(
            Task.FRAUD, FEATURES, settings, Set.of("x"), Clock.fixed(NOW, ZoneOffset.UTC));
    var h = new Harness(monitor, settings);
    // as BroadcastWatermarks does in the job: the model stream never holds back event time
    h.processBroadcastWatermark(Long.MAX_VALUE);
    h.processBroadcastElement(announce("v1", reference()), 0);
    // x all 1 (psi 4.6), b {0, 1} (50/50), scores 50/50
    vector(h, "v1", 1, 1, 0, 0.1);
    vector(h, "v1", 2, 1, 1, 0.9);
    h.processWatermark(new Watermark(HOUR));
    assertThat(monitor.featurePsi().get("x")).isGreaterThan(4);
    // b: (0.5-0.8) ln(0.5/0.8) + (0.5-0.2) ln(0.5/0.2) = 0.1410 + 0.2749 = 0.4159 -> requested
    List<RetrainRequest> out = h.extractOutputValues();
    assertThat(out).hasSize(1);
    assertThat(out.get(0).getFeature()).isEqualTo("b");
    assertThat(out.get(0).getPsi()).isCloseTo(0.4159, within(1e-4));
    h.close();
  }

  @Test
  void slidesCountedBySeveralInstancesOneOfThemRestoredGiveTheSameIndexAsOne() throws Exception {
    MonitoringSettings settings =
        MonitoringSettings.defaults()
            .withDrift(Duration.ofHours(1), Duration.ofHours(1), 2, 0.2, Duration.ZERO);
    float[][] rows = {{1, 0}, {1, 1}, {0, 0}, {1, 0}, {1, 1}, {1, 0}};
    double[] scores = {0.1, 0.9, 0.2, 0.8, 0.7, 0.3};
    ModelAnnouncement v1 = announce("v1", reference());

    // one instance
    DriftMonitor single =
        new DriftMonitor(
            Task.FRAUD, FEATURES, settings, Set.of(), Clock.fixed(NOW, ZoneOffset.UTC));
    try (Harness h = new Harness(single, settings)) {
      h.processBroadcastWatermark(Long.MAX_VALUE);
      h.processBroadcastElement(v1, 0);
      for (int i = 0; i < rows.length; i++) {
        vector(h, "v1", 10 + i, rows[i][0], rows[i][1], scores[i]);
      }
      h.processWatermark(new Watermark(HOUR));
    }
    assertThat(single.featurePsi()).containsKeys("x", "b");

    // two instances, vectors alternating; the first is snapshotted mid-slide and restored
    DriftMonitor merged =
        new DriftMonitor(
            Task.FRAUD, FEATURES, settings, Set.of(), Clock.fixed(NOW, ZoneOffset.UTC));
    var monitor =
        ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
            merged,
            c -> "fraud",
            org.apache.flink.api.common.typeinfo.Types.STRING,
            DriftMonitor.REFERENCES);
    monitor.processBroadcastWatermark(Long.MAX_VALUE);
    monitor.processBroadcastElement(v1, 0);
    var a = binning(settings, v1);
    var b = binning(settings, v1);
    for (int i = 0; i < rows.length; i++) {
      var target = i % 2 == 0 ? a : b;
      target.processElement1(
          DriftSample.of(scored("v1", 10 + i, rows[i][0], rows[i][1], scores[i])), 10 + i);
      if (i == 2) {
        var snapshot = a.snapshot(1, 0);
        a.close();
        a =
            new TwoInputStreamOperatorTestHarness<>(
                new DriftBinning(Task.FRAUD, FEATURES, settings));
        a.initializeState(snapshot);
        a.open();
        a.processWatermark2(new Watermark(Long.MAX_VALUE));
      }
    }
    for (var binning : List.of(a, b)) {
      binning.processWatermark1(new Watermark(HOUR));
      for (Object o : binning.getOutput()) {
        if (o instanceof StreamRecord<?> r) {
          monitor.processElement((DriftCounts) r.getValue(), r.getTimestamp());
        }
      }
    }
    monitor.processWatermark(new Watermark(HOUR));
    assertThat(merged.featurePsi()).isEqualTo(single.featurePsi());
    assertThat(merged.scorePsi()).isEqualTo(single.scorePsi());
    assertThat(merged.maxPsi()).isEqualTo(single.maxPsi());
    a.close();
    b.close();
    monitor.close();
  }

  private TwoInputStreamOperatorTestHarness<DriftSample, ModelAnnouncement, DriftCounts> binning(
      MonitoringSettings settings, ModelAnnouncement model) throws Exception {
    var h =
        new TwoInputStreamOperatorTestHarness<>(new DriftBinning(Task.FRAUD, FEATURES, settings));
    h.open();
    h.processWatermark2(new Watermark(Long.MAX_VALUE));
    h.processElement2(model, 0);
    return h;
  }
}
