package dev.millrace.scorer.flink;

import static dev.millrace.scorer.flink.Fixtures.SCHEMA;
import static dev.millrace.scorer.flink.Fixtures.vector;
import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.ScoredFeatures;
import dev.millrace.schemas.Task;
import dev.millrace.scorer.ModelLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scoring operator in Flink's two-input operator test harness, with real (linear) models. */
class ScoringOperatorTest {

  private static final float[] W1 = {1f, 0f, 0f};
  private static final float[] W2 = {0f, 2f, 0f};

  @TempDir Path dir;

  private Fixtures fixtures;
  private final List<TwoInputStreamOperatorTestHarness<?, ?, ?>> open = new ArrayList<>();

  @BeforeEach
  void setUp() {
    fixtures = new Fixtures(dir);
    LinearModelLoader.LOADED.clear();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (TwoInputStreamOperatorTestHarness<?, ?, ?> h : open) {
      h.close();
    }
  }

  private static ScoringSettings settings(int batchSize) {
    return ScoringSettings.defaults(Task.FRAUD)
        .withBatchSize(batchSize)
        .withMaxWait(Duration.ofMillis(50))
        .withFallback(ScoringSettings.Fallback.constant(0.25));
  }

  private TwoInputStreamOperatorTestHarness<FeatureVector, ModelAnnouncement, ScoredFeatures>
      harness(ScoringOperator operator, OperatorSubtaskState restoreFrom) throws Exception {
    TwoInputStreamOperatorTestHarness<FeatureVector, ModelAnnouncement, ScoredFeatures> h =
        new TwoInputStreamOperatorTestHarness<>(operator);
    open.add(h);
    h.setup(new AvroTypeInfo<>(ScoredFeatures.class).createSerializer(new SerializerConfigImpl()));
    if (restoreFrom != null) {
      h.initializeState(restoreFrom);
    }
    h.open();
    return h;
  }

  private TwoInputStreamOperatorTestHarness<FeatureVector, ModelAnnouncement, ScoredFeatures>
      harness(ScoringOperator operator) throws Exception {
    return harness(operator, null);
  }

  private static ScoringOperator operator(int batchSize) {
    return new ScoringOperator(settings(batchSize), new LinearModelLoader(), SCHEMA);
  }

  @SuppressWarnings("unchecked")
  private static List<StreamRecord<ScoredFeatures>> records(
      TwoInputStreamOperatorTestHarness<?, ?, ScoredFeatures> h) {
    List<StreamRecord<ScoredFeatures>> out = new ArrayList<>();
    for (Object o : h.getOutput()) {
      if (o instanceof StreamRecord<?> r) {
        out.add((StreamRecord<ScoredFeatures>) r);
      }
    }
    return out;
  }

  /** The fallbackReason of each output, "-" for a model's score. */
  private static List<String> reasons(TwoInputStreamOperatorTestHarness<?, ?, ScoredFeatures> h) {
    return records(h).stream()
        .map(r -> r.getValue().getFallbackReason())
        .map(r -> r == null ? "-" : r)
        .toList();
  }

  private static List<String> versions(TwoInputStreamOperatorTestHarness<?, ?, ScoredFeatures> h) {
    return records(h).stream().map(r -> r.getValue().getModelVersion()).toList();
  }

  @Test
  void fallbackBeforeAnyModelKeepsEveryEventAndItsTimestamp() throws Exception {
    ScoringOperator op = operator(2);
    var h = harness(op);

    h.processElement1(vector("e1", 100, 1, 2, 3), 100);
    h.processElement1(vector("e2", 200, 4, 5, 6), 200);
    h.processElement1(new StreamRecord<>(vector("e3", 300, 7, 8, 9))); // no timestamp
    h.endInput1();

    List<StreamRecord<ScoredFeatures>> out = records(h);
    assertThat(out).hasSize(3);
    assertThat(out)
        .allSatisfy(r -> assertThat(r.getValue().getModelVersion()).isEqualTo("fallback"));
    assertThat(out).allSatisfy(r -> assertThat(r.getValue().getPrediction()).isEqualTo(0.25));
    assertThat(out.stream().map(r -> r.getValue().getVector().getEventId()))
        .containsExactly("e1", "e2", "e3");
    assertThat(out.get(0).getTimestamp()).isEqualTo(100);
    assertThat(out.get(1).getTimestamp()).isEqualTo(200);
    assertThat(out.get(2).hasTimestamp()).isFalse();
    assertThat(op.fallbackScoredCount()).isEqualTo(3);
    assertThat(reasons(h)).containsExactly("NO_MODEL", "NO_MODEL", "NO_MODEL");
    assertThat(op.fallbackScoredCount(ScoringOperator.NO_MODEL)).isEqualTo(3);
    assertThat(op.scoredCount()).isEqualTo(3);
    assertThat(op.servingVersion()).isEqualTo("fallback");
  }

  @Test
  void hotSwapScoresBufferedEventsWithTheOldModelFirst() throws Exception {
    ScoringOperator op = operator(10);
    var h = harness(op);

    h.processElement2(fixtures.model("v1", 0f, W1), 0);
    h.processElement1(vector("a", 1, 3, 5, 7), 1);
    h.processElement1(vector("b", 2, 4, 6, 8), 2);
    assertThat(h.getOutput()).isEmpty(); // still buffered

    h.processElement2(fixtures.model("v2", 1f, W2), 3);
    assertThat(versions(h)).containsExactly("v1", "v1"); // flushed with v1 before the swap

    h.processElement1(vector("c", 4, 3, 5, 7), 4);
    h.endInput1();

    List<StreamRecord<ScoredFeatures>> out = records(h);
    assertThat(versions(h)).containsExactly("v1", "v1", "v2");
    assertThat(out.get(0).getValue().getPrediction()).isEqualTo(3.0); // 1*3
    assertThat(out.get(1).getValue().getPrediction()).isEqualTo(4.0);
    assertThat(out.get(2).getValue().getPrediction()).isEqualTo(11.0); // 1 + 2*5
    assertThat(op.modelsAppliedCount()).isEqualTo(2);

    List<LinearModel> loaded = new ArrayList<>(LinearModelLoader.LOADED);
    assertThat(loaded).extracting(LinearModel::version).containsExactly("v1", "v2");
    assertThat(loaded.get(0).isClosed()).as("v1 released on swap").isTrue();
    assertThat(loaded.get(1).isClosed()).isFalse();
    h.close();
    open.clear();
    assertThat(loaded.get(1).isClosed()).as("v2 released on close").isTrue();
  }

  @Test
  void refusedModelsAreCountedAndThePreviousModelKeepsServing() throws Exception {
    ScoringOperator op = operator(1);
    var h = harness(op);

    // refused before any model: the fallback keeps serving
    ModelAnnouncement badChecksum =
        ModelAnnouncement.newBuilder(fixtures.model("v0", 0f, W1)).setSha256("00ff").build();
    h.processElement2(badChecksum, 0);
    h.processElement1(vector("a", 1, 3, 5, 7), 1);
    assertThat(versions(h)).containsExactly("fallback");
    // not "no model yet": a model was announced and could not be loaded
    assertThat(reasons(h)).containsExactly("MODEL_UNAVAILABLE");
    assertThat(op.modelsRefusedCount()).isEqualTo(1);

    h.processElement2(fixtures.model("v1", 0f, W1), 2);
    assertThat(op.servingVersion()).isEqualTo("v1");

    // artifact bytes changed after the announcement
    ModelAnnouncement tampered = fixtures.model("v2", 0f, W2);
    Files.writeString(Path.of(java.net.URI.create(tampered.getArtifactUri())), "garbage");
    h.processElement2(tampered, 3);
    // the announcement names another feature schema than the job's
    h.processElement2(fixtures.model("v3", List.of("amount", "hour"), 0f, 1f, 1f), 4);
    // the announcement claims the job's schema but the artifact has other features
    ModelAnnouncement lying =
        ModelAnnouncement.newBuilder(fixtures.model("v4", List.of("x", "y", "z"), 0f, W2))
            .setFeatureSchemaFingerprint(SCHEMA.fingerprint())
            .build();
    h.processElement2(lying, 5);
    // the artifact is gone
    ModelAnnouncement missing = fixtures.model("v5", 0f, W2);
    Files.delete(Path.of(java.net.URI.create(missing.getArtifactUri())));
    h.processElement2(missing, 6);

    h.processElement1(vector("b", 7, 3, 5, 7), 7);
    assertThat(versions(h)).containsExactly("fallback", "v1");
    assertThat(reasons(h)).containsExactly("MODEL_UNAVAILABLE", "-");
    assertThat(records(h).get(1).getValue().getPrediction()).isEqualTo(3.0);
    assertThat(op.modelsRefusedCount()).isEqualTo(5);
    assertThat(op.modelsAppliedCount()).isEqualTo(1);
    assertThat(op.servingVersion()).isEqualTo("v1");
  }

  @Test
  void otherTasksNonChampionsAndTheVersionInUseAreIgnored() throws Exception {
    ScoringOperator op = operator(1);
    var h = harness(op);
    ModelAnnouncement v1 = fixtures.model("v1", 0f, W1);
    h.processElement2(v1, 0);
    h.processElement2(ModelAnnouncement.newBuilder(v1).build(), 1); // same version again
    h.processElement2(
        ModelAnnouncement.newBuilder(fixtures.model("v2", 0f, W2)).setTask(Task.CHURN).build(), 2);
    h.processElement2(
        ModelAnnouncement.newBuilder(fixtures.model("v3", 0f, W2))
            .setStatus(ModelStatus.CHALLENGER_REJECTED)
            .build(),
        3);

    h.processElement1(vector("a", 4, 3, 5, 7), 4);
    assertThat(versions(h)).containsExactly("v1");
    assertThat(LinearModelLoader.LOADED).hasSize(1); // loaded once, nothing else attempted
    assertThat(op.modelsAppliedCount()).isEqualTo(1);
    assertThat(op.modelsRefusedCount()).isZero();
  }

  @Test
  void vectorsOfAnotherSchemaGetTheFallbackWhileTheRestOfTheBatchIsScored() throws Exception {
    ScoringOperator op = operator(3);
    var h = harness(op);
    h.processElement2(fixtures.model("v1", 0f, W1), 0);
    h.processElement1(vector("a", 1, 3, 5, 7), 1);
    h.processElement1(vector("short", 2, 3, 5), 2);
    h.processElement1(vector("c", 3, 9, 9, 9), 3);

    List<StreamRecord<ScoredFeatures>> out = records(h);
    assertThat(versions(h)).containsExactly("v1", "fallback", "v1");
    assertThat(reasons(h)).containsExactly("-", "FEATURE_MISMATCH", "-");
    assertThat(out.get(0).getValue().getPrediction()).isEqualTo(3.0);
    assertThat(out.get(1).getValue().getPrediction()).isEqualTo(0.25);
    assertThat(out.get(2).getValue().getPrediction()).isEqualTo(9.0);
    assertThat(LinearModelLoader.LOADED.peek().batches()).isEqualTo(1); // one call for the batch
  }

  @Test
  void aFullBatchIsFlushedAtOnce() throws Exception {
    ScoringOperator op = operator(3);
    var h = harness(op);
    h.processElement2(fixtures.model("v1", 0f, W1), 0);
    h.processElement1(vector("a", 1, 1, 0, 0), 1);
    h.processElement1(vector("b", 2, 2, 0, 0), 2);
    assertThat(h.getOutput()).isEmpty();
    assertThat(op.bufferedCount()).isEqualTo(2);

    h.processElement1(vector("c", 3, 3, 0, 0), 3);
    assertThat(records(h)).hasSize(3);
    assertThat(op.bufferedCount()).isZero();
    assertThat(op.batchCount()).isEqualTo(1);
    assertThat(LinearModelLoader.LOADED.peek().batches()).isEqualTo(1);
    assertThat(h.getProcessingTimeService().getNumActiveTimers())
        .as("flush timer cleared")
        .isZero();
  }

  @Test
  void theProcessingTimeTimerFlushesAfterMaxWait() throws Exception {
    ScoringOperator op = operator(10);
    var h = harness(op);
    h.setProcessingTime(1_000);
    h.processElement1(vector("a", 1, 1, 0, 0), 1);
    h.setProcessingTime(1_020);
    h.processElement1(vector("b", 2, 2, 0, 0), 2);
    assertThat(h.getProcessingTimeService().getNumActiveTimers()).isEqualTo(1);

    h.setProcessingTime(1_049);
    assertThat(h.getOutput()).isEmpty();
    h.setProcessingTime(1_050); // 50 ms after the first buffered event
    assertThat(records(h)).hasSize(2);
    assertThat(records(h).get(0).getValue().getScoringTime().toEpochMilli()).isEqualTo(1_050);
    assertThat(h.getProcessingTimeService().getNumActiveTimers()).isZero();
    assertThat(op.bufferedCount()).isZero();
  }

  @Test
  void nothingIsBufferedAcrossACheckpoint() throws Exception {
    ScoringOperator op = operator(10);
    var h = harness(op);
    h.processElement1(vector("a", 1, 1, 0, 0), 1);
    h.processElement1(vector("b", 2, 2, 0, 0), 2);
    assertThat(h.getOutput()).isEmpty();

    h.prepareSnapshotPreBarrier(1);
    assertThat(records(h)).hasSize(2);
    assertThat(op.bufferedCount()).isZero();
    h.snapshot(1, 10);
    assertThat(records(h)).hasSize(2);
    assertThat(h.getProcessingTimeService().getNumActiveTimers()).isZero();
  }

  @Test
  void aWatermarkOfTheEventsIsForwardedOnlyAfterTheBufferedRecords() throws Exception {
    var h = harness(operator(10));
    h.processElement1(vector("a", 10, 1, 0, 0), 10);
    h.processElement1(vector("b", 20, 2, 0, 0), 20);
    h.processWatermark1(new Watermark(20));

    List<Object> out = new ArrayList<>(h.getOutput());
    assertThat(out).hasSize(3);
    assertThat(out.get(0)).isInstanceOf(StreamRecord.class);
    assertThat(out.get(1)).isInstanceOf(StreamRecord.class);
    assertThat(out.get(2)).isEqualTo(new Watermark(20));
  }

  @Test
  void theModelStreamNeitherHoldsBackNorAdvancesEventTime() throws Exception {
    var h = harness(operator(10));
    // the model stream is idle / far ahead: neither reaches the output
    h.processWatermarkStatus2(WatermarkStatus.IDLE);
    h.processWatermark2(new Watermark(5_000));
    assertThat(h.getOutput()).isEmpty();

    // events advance event time on their own, although the model stream never sent a watermark
    h.processWatermark1(new Watermark(100));
    h.processWatermark2(new Watermark(10_000));
    h.processWatermark1(new Watermark(200));
    assertThat(new ArrayList<>(h.getOutput()))
        .containsExactly(new Watermark(100), new Watermark(200));

    // idleness of the events is forwarded, that of the models is not
    h.processWatermarkStatus2(WatermarkStatus.ACTIVE);
    h.processWatermarkStatus1(WatermarkStatus.IDLE);
    assertThat(new ArrayList<>(h.getOutput()))
        .containsExactly(new Watermark(100), new Watermark(200), WatermarkStatus.IDLE);
  }

  @Test
  void restoreReloadsTheModelInUseBeforeTheNextRecord() throws Exception {
    ScoringOperator first = operator(10);
    var h1 = harness(first);
    h1.processElement2(fixtures.model("v1", 0f, W1), 0);
    h1.processElement2(fixtures.model("v2", 1f, W2), 1);
    h1.processElement1(vector("a", 2, 3, 5, 7), 2);
    h1.prepareSnapshotPreBarrier(7);
    OperatorSubtaskState snapshot = h1.snapshot(7, 100);
    assertThat(versions(h1)).containsExactly("v2");

    ScoringOperator second = operator(1);
    var h2 = harness(second, snapshot);
    assertThat(second.servingVersion()).isEqualTo("v2");
    h2.processElement1(vector("b", 3, 3, 5, 7), 3);
    assertThat(versions(h2)).containsExactly("v2");
    assertThat(records(h2).get(0).getValue().getPrediction()).isEqualTo(11.0);
    assertThat(second.modelsAppliedCount()).isEqualTo(1);
    // the restored model is its own instance (one BatchModel per subtask)
    assertThat(LinearModelLoader.LOADED).extracting(LinearModel::version).endsWith("v2", "v2");

    // an announcement of the restored version (replayed by the source) is a no-op
    h2.processElement2(fixtures.model("v2", 1f, W2), 4);
    assertThat(second.modelsAppliedCount()).isEqualTo(1);
  }

  @Test
  void restoreFallsBackWhenTheModelInUseCannotBeLoaded() throws Exception {
    var h1 = harness(operator(1));
    ModelAnnouncement v1 = fixtures.model("v1", 0f, W1);
    h1.processElement2(v1, 0);
    OperatorSubtaskState snapshot = h1.snapshot(1, 100);
    Files.delete(Path.of(java.net.URI.create(v1.getArtifactUri())));

    ScoringOperator second = operator(1);
    var h2 = harness(second, snapshot);
    h2.processElement1(vector("a", 1, 3, 5, 7), 1);
    assertThat(versions(h2)).containsExactly("fallback");
    assertThat(second.modelsRefusedCount()).isEqualTo(1);
  }

  @Test
  void aSnapshotWithoutModelRestoresTheFallback() throws Exception {
    var h1 = harness(operator(1));
    OperatorSubtaskState snapshot = h1.snapshot(1, 100);

    ScoringOperator second = operator(1);
    var h2 = harness(second, snapshot);
    h2.processElement1(vector("a", 1, 3, 5, 7), 1);
    assertThat(versions(h2)).containsExactly("fallback");
    assertThat(second.modelsRefusedCount()).isZero();
  }

  @Test
  void aModelThatFailsOnABatchYieldsFallbackScoresInsteadOfFailingTheJob() throws Exception {
    ModelLoader broken =
        (announcement, expected) ->
            new LinearModel(announcement.getVersion(), expected, 0f, W1) {
              @Override
              public float[] predict(float[][] rows) {
                throw new IllegalStateException("native error");
              }
            };
    ScoringOperator op = new ScoringOperator(settings(2), broken, SCHEMA);
    var h = harness(op);
    h.processElement2(fixtures.model("v1", 0f, W1), 0);
    h.processElement1(vector("a", 1, 3, 5, 7), 1);
    h.processElement1(vector("b", 2, 3, 5, 7), 2);

    assertThat(versions(h)).containsExactly("fallback", "fallback");
    assertThat(reasons(h)).containsExactly("MODEL_ERROR", "MODEL_ERROR");
    assertThat(op.scoredCount()).isEqualTo(2);
    assertThat(op.fallbackScoredCount()).isEqualTo(2);
    assertThat(op.fallbackScoredCount(ScoringOperator.MODEL_ERROR)).isEqualTo(2);
    assertThat(op.scoringErrorsCount()).isEqualTo(1);
    assertThat(op.servingVersion()).isEqualTo("v1");
  }

  @Test
  void aLoaderThatCannotRunWhereAskedFailsTheOperatorAtOpen() {
    // --device gpu on a machine without a GPU: the job fails at once with the reason, instead of
    // scoring with the fallback and refusing every model later
    ScoringOperator operator =
        new ScoringOperator(
            settings(4),
            new dev.millrace.scorer.model.DjlModelLoader(dev.millrace.scorer.DeviceChoice.GPU),
            SCHEMA);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> harness(operator))
        .hasMessageContaining("--device gpu: no GPU visible to PyTorch");
  }

  @Test
  void aNaNOrInfiniteScoreIsReplacedByTheFallbackAndSaysSo() throws Exception {
    ScoringOperator op = operator(3);
    var h = harness(op);
    h.processElement2(fixtures.model("v1", 0f, W1), 0);
    h.processElement1(vector("a", 1, 3, 5, 7), 1);
    h.processElement1(vector("nan", 2, Float.NaN, 5, 7), 2); // the linear model answers NaN
    h.processElement1(vector("inf", 3, Float.POSITIVE_INFINITY, 5, 7), 3);

    List<StreamRecord<ScoredFeatures>> out = records(h);
    assertThat(versions(h)).containsExactly("v1", "fallback", "fallback");
    assertThat(reasons(h)).containsExactly("-", "NON_FINITE_SCORE", "NON_FINITE_SCORE");
    assertThat(out.get(0).getValue().getPrediction()).isEqualTo(3.0);
    assertThat(out.get(1).getValue().getPrediction()).isEqualTo(0.25);
    assertThat(out.get(2).getValue().getPrediction()).isEqualTo(0.25);
    assertThat(op.fallbackScoredCount(ScoringOperator.NON_FINITE_SCORE)).isEqualTo(2);
  }
}
