package dev.millrace.scorer.flink;

import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.ScoredFeatures;
import dev.millrace.scorer.BatchModel;
import dev.millrace.scorer.FeatureSchema;
import dev.millrace.scorer.ModelLoader;
import dev.millrace.scorer.ModelRefusedException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.annotation.VisibleForTesting;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.event.WatermarkEvent;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedMultiInput;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores feature vectors (input 1) in micro-batches with the latest verified model announced on
 * input 2 (the model stream, broadcast to every subtask). Wire it with {@link Scoring#score}.
 *
 * <ul>
 *   <li>A model is applied only once {@link ModelLoader#load} has verified it; announcements of
 *       another task, with a status other than CHAMPION, or of the version in use are ignored. A
 *       refused model is logged and counted ({@code modelsRefused}); the previous one keeps
 *       serving. Before any model: the declared {@link ScoringSettings.Fallback}.
 *   <li>The buffer is flushed when full, after {@code maxWait} of processing time, before a
 *       watermark of input 1 is forwarded, before a checkpoint barrier ({@link
 *       #prepareSnapshotPreBarrier}), before a model swap and at end of input, so nothing is ever
 *       buffered across a checkpoint and no buffer state is needed.
 *   <li>Event time follows input 1 only: watermarks and idleness of the model stream are ignored.
 *   <li>The announcement in use is kept in union operator state and reloaded on restore.
 *   <li>Each subtask owns one {@link BatchModel} and closes it on swap and in {@link #close()}.
 * </ul>
 *
 * <p>A score not made by a model says so: it carries the fallback's prediction and version and a
 * {@code fallbackReason} ({@link #NO_MODEL}, {@link #MODEL_UNAVAILABLE}, {@link #MODEL_ERROR},
 * {@link #FEATURE_MISMATCH}, {@link #NON_FINITE_SCORE}); a model's score has none.
 *
 * <p>Metrics (operator metric group): counters {@code scored} (every output), {@code
 * fallbackScored} (also per reason, in the group {@code fallbackReason=<reason>}), {@code
 * modelsApplied} (also as {@code modelVersionsApplied}), {@code modelsRefused}, {@code
 * vectorsMismatched}, {@code scoringErrors}; histograms {@code batchSize} and {@code
 * scoringLatencyMs}; gauges {@code modelVersion} (string) and {@code modelVersionNumber} (trailing
 * digits of the version, 0 for the fallback, -1 when not numeric).
 */
public final class ScoringOperator extends AbstractStreamOperator<ScoredFeatures>
    implements TwoInputStreamOperator<FeatureVector, ModelAnnouncement, ScoredFeatures>,
        BoundedMultiInput {

  private static final long serialVersionUID = 1L;
  private static final Logger log = LoggerFactory.getLogger(ScoringOperator.class);

  /** {@code fallbackReason} of a score made before any model was announced. */
  public static final String NO_MODEL = "NO_MODEL";

  /**
   * {@code fallbackReason} when a model was announced or restored but could not be loaded (an
   * unreadable store, a refused artifact) and no earlier model serves.
   */
  public static final String MODEL_UNAVAILABLE = "MODEL_UNAVAILABLE";

  /** {@code fallbackReason} when the model failed on the batch (an exception, a wrong count). */
  public static final String MODEL_ERROR = "MODEL_ERROR";

  /** {@code fallbackReason} when the vector does not follow the job's feature schema. */
  public static final String FEATURE_MISMATCH = "FEATURE_MISMATCH";

  /** {@code fallbackReason} when the model answered NaN or an infinity for this vector. */
  public static final String NON_FINITE_SCORE = "NON_FINITE_SCORE";

  /** Name of the union list state holding the announcement in use. */
  static final String MODEL_STATE = "model-in-use";

  private static final int HISTOGRAM_WINDOW = 1024;
  private static final Pattern TRAILING_DIGITS = Pattern.compile("(\\d{1,18})$");

  private final ScoringSettings settings;
  private final ModelLoader loader;
  private final ArrayList<String> featureNames;

  private transient FeatureSchema schema;
  private transient String fingerprint;

  private transient FeatureVector[] bufferValues;
  private transient long[] bufferTimestamps;
  private transient boolean[] bufferHasTimestamp;
  private transient int buffered;
  private transient ScheduledFuture<?> flushTimer;
  private transient long timerGeneration;
  private transient StreamRecord<ScoredFeatures> reuse;

  private transient BatchModel model;
  private transient ModelAnnouncement inUse;
  private transient ModelAnnouncement restored;
  private transient String noModelReason;
  private transient ListState<ModelAnnouncement> modelState;

  private transient Counter scored;
  private transient Counter fallbackScored;
  private transient java.util.Map<String, Counter> fallbackByReason;
  private transient Counter modelsApplied;
  private transient Counter modelsRefused;
  private transient Counter vectorsMismatched;
  private transient Counter scoringErrors;
  private transient Histogram batchSizes;
  private transient Histogram scoringLatencyMs;

  public ScoringOperator(ScoringSettings settings, ModelLoader loader, FeatureSchema schema) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.loader = Objects.requireNonNull(loader, "loader");
    this.featureNames = new ArrayList<>(Objects.requireNonNull(schema, "schema").names());
  }

  // ---------------------------------------------------------------- lifecycle

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    modelState =
        context
            .getOperatorStateStore()
            .getUnionListState(
                new ListStateDescriptor<>(
                    MODEL_STATE, new AvroTypeInfo<>(ModelAnnouncement.class)));
    if (context.isRestored()) {
      List<ModelAnnouncement> candidates = new ArrayList<>();
      for (ModelAnnouncement a : modelState.get()) {
        if (a.getTask() == settings.task()) {
          candidates.add(a);
        }
      }
      // Union state: every subtask sees the announcements of all; normally all name the same
      // model. Take the newest, deterministically.
      restored =
          candidates.stream()
              .max(
                  Comparator.comparing(ModelAnnouncement::getAnnouncedAt)
                      .thenComparing(a -> a.getVersion().toString()))
              .orElse(null);
    }
  }

  @Override
  public void open() throws Exception {
    super.open();
    loader.checkReady(); // e.g. --device gpu without a GPU: fail now, with its reason
    schema = new FeatureSchema(featureNames);
    fingerprint = schema.fingerprint();
    int size = settings.batchSize();
    bufferValues = new FeatureVector[size];
    bufferTimestamps = new long[size];
    bufferHasTimestamp = new boolean[size];
    buffered = 0;
    reuse = new StreamRecord<>(null);
    noModelReason = NO_MODEL;
    registerMetrics(getMetricGroup());
    if (restored != null) {
      ModelAnnouncement toRestore = restored;
      restored = null;
      if (!apply(toRestore, "restore")) {
        log.warn(
            "Scoring task {} could not restore model {}; serving the fallback ({}) until the next"
                + " model is announced",
            settings.task(),
            toRestore.getVersion(),
            settings.fallback().version());
      }
    }
  }

  private void registerMetrics(MetricGroup group) {
    scored = group.counter("scored");
    fallbackScored = group.counter("fallbackScored");
    fallbackByReason = new java.util.HashMap<>();
    for (String reason :
        List.of(NO_MODEL, MODEL_UNAVAILABLE, MODEL_ERROR, FEATURE_MISMATCH, NON_FINITE_SCORE)) {
      fallbackByReason.put(
          reason, group.addGroup("fallbackReason", reason).counter("fallbackScored"));
    }
    modelsApplied = group.counter("modelsApplied");
    group.counter("modelVersionsApplied", modelsApplied);
    modelsRefused = group.counter("modelsRefused");
    vectorsMismatched = group.counter("vectorsMismatched");
    scoringErrors = group.counter("scoringErrors");
    batchSizes = group.histogram("batchSize", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
    scoringLatencyMs =
        group.histogram("scoringLatencyMs", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
    group.gauge("modelVersion", (Gauge<String>) this::currentVersion);
    group.gauge("modelVersionNumber", (Gauge<Long>) () -> versionNumber(model));
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    flush();
    super.prepareSnapshotPreBarrier(checkpointId);
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    modelState.update(inUse == null ? List.of() : List.of(inUse));
  }

  @Override
  public void endInput(int inputId) throws Exception {
    if (inputId == 1) {
      flush();
    }
  }

  @Override
  public void finish() throws Exception {
    flush();
    super.finish();
  }

  @Override
  public void close() throws Exception {
    try {
      cancelTimer();
      closeQuietly(model);
      model = null;
    } finally {
      super.close();
    }
  }

  // ---------------------------------------------------------------- input 1: feature vectors

  @Override
  public void processElement1(StreamRecord<FeatureVector> element) throws Exception {
    // Kept in the buffer without a copy, object reuse or not: a two-input operator is never chained
    // to the operator before it, so its records always arrive through the network stack, which
    // deserialises each into a fresh object (Flink's NonReusingDeserializationDelegate).
    FeatureVector value = element.getValue();
    bufferValues[buffered] = value;
    bufferHasTimestamp[buffered] = element.hasTimestamp();
    bufferTimestamps[buffered] = element.hasTimestamp() ? element.getTimestamp() : 0L;
    buffered++;
    if (buffered >= bufferValues.length) {
      flush();
    } else if (buffered == 1) {
      startTimer();
    }
  }

  /** Buffered records go out before the watermark, so they are never late downstream. */
  @Override
  public void processWatermark1(Watermark mark) throws Exception {
    flush();
    super.processWatermark(mark);
  }

  /** The model stream does not take part in event time. */
  @Override
  public void processWatermark2(Watermark mark) {}

  @Override
  public void processWatermark2(WatermarkEvent watermark) {}

  /** Idleness of input 1 is forwarded as is; that of the model stream is ignored. */
  @Override
  protected void processWatermarkStatus(WatermarkStatus status, int index) throws Exception {
    if (index == 0) {
      output.emitWatermarkStatus(status);
    }
  }

  // ---------------------------------------------------------------- input 2: models

  @Override
  public void processElement2(StreamRecord<ModelAnnouncement> element) throws Exception {
    ModelAnnouncement announcement = element.getValue();
    if (announcement.getTask() != settings.task()) {
      log.debug("Ignoring model announcement for task {}", announcement.getTask());
      return;
    }
    if (announcement.getStatus() != ModelStatus.CHAMPION) {
      log.info(
          "Ignoring model {} of task {}: status {}",
          announcement.getVersion(),
          announcement.getTask(),
          announcement.getStatus());
      return;
    }
    if (inUse != null
        && inUse.getVersion().toString().equals(announcement.getVersion().toString())) {
      return;
    }
    apply(ModelAnnouncement.newBuilder(announcement).build(), "announcement");
  }

  /**
   * Loads and verifies the announced model; on success swaps it in (after flushing the buffer with
   * the old model) and closes the old one. Returns false when the model was refused.
   */
  private boolean apply(ModelAnnouncement announcement, String cause) throws Exception {
    String version = announcement.getVersion().toString();
    String announced = announcement.getFeatureSchemaFingerprint().toString();
    if (!announced.equals(fingerprint)) {
      refuse(
          version,
          ModelRefusedException.Reason.FEATURE_SCHEMA_MISMATCH,
          "announced feature schema " + announced + " differs from the job's " + fingerprint);
      return false;
    }
    BatchModel next;
    try {
      next = loader.load(announcement, schema);
    } catch (ModelRefusedException e) {
      refuse(version, e.reason(), e.getMessage());
      return false;
    } catch (RuntimeException e) {
      refuse(version, ModelRefusedException.Reason.UNREADABLE, String.valueOf(e));
      return false;
    }
    if (next == null) {
      refuse(version, ModelRefusedException.Reason.UNREADABLE, "the loader returned no model");
      return false;
    }
    if (!fingerprint.equals(next.featureSchema().fingerprint())) {
      closeQuietly(next);
      refuse(
          version,
          ModelRefusedException.Reason.FEATURE_SCHEMA_MISMATCH,
          "loaded model expects features " + next.featureSchema().names());
      return false;
    }
    flush();
    BatchModel previous = model;
    String previousVersion = currentVersion();
    model = next;
    inUse = announcement;
    closeQuietly(previous);
    modelsApplied.inc();
    log.info(
        "Scoring task {} (subtask {}) now serves model {} (was {}, via {})",
        settings.task(),
        getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
        next.version(),
        previousVersion,
        cause);
    return true;
  }

  private void refuse(String version, ModelRefusedException.Reason reason, String why) {
    modelsRefused.inc();
    if (model == null) {
      noModelReason = MODEL_UNAVAILABLE; // scores say so until a model loads
    }
    log.warn(
        "Refused model {} of task {}: {} {}; still serving {}",
        version,
        settings.task(),
        reason,
        why,
        currentVersion());
  }

  // ---------------------------------------------------------------- batching

  private void startTimer() {
    long generation = ++timerGeneration;
    long now = getProcessingTimeService().getCurrentProcessingTime();
    flushTimer =
        getProcessingTimeService()
            .registerTimer(now + settings.maxWait().toMillis(), time -> onFlushTimer(generation));
  }

  private void onFlushTimer(long generation) throws Exception {
    if (generation == timerGeneration) {
      flushTimer = null;
      flush();
    }
  }

  private void cancelTimer() {
    timerGeneration++;
    if (flushTimer != null) {
      flushTimer.cancel(false);
      flushTimer = null;
    }
  }

  /** Scores and emits everything buffered, in arrival order, with the event timestamps. */
  private void flush() {
    int n = buffered;
    if (n == 0) {
      return;
    }
    cancelTimer();
    double[] predictions = new double[n];
    String[] versions = new String[n];
    String[] fallbackReasons = new String[n];
    predict(n, predictions, versions, fallbackReasons);
    Instant scoringTime =
        Instant.ofEpochMilli(getProcessingTimeService().getCurrentProcessingTime());
    for (int i = 0; i < n; i++) {
      ScoredFeatures out =
          ScoredFeatures.newBuilder()
              .setVector(bufferValues[i])
              .setPrediction(predictions[i])
              .setModelVersion(versions[i])
              .setFallbackReason(fallbackReasons[i])
              .setScoringTime(scoringTime)
              .build();
      if (bufferHasTimestamp[i]) {
        reuse.replace(out, bufferTimestamps[i]);
      } else {
        reuse.replace(out);
        reuse.eraseTimestamp();
      }
      output.collect(reuse);
      bufferValues[i] = null;
    }
    buffered = 0;
    scored.inc(n);
    batchSizes.update(n);
  }

  /**
   * Fills in each buffered vector's prediction and version: the model's, or the declared fallback
   * with the reason in {@code fallbackReasons} (null for a model's score), counted per reason.
   */
  private void predict(int n, double[] predictions, String[] versions, String[] fallbackReasons) {
    ScoringSettings.Fallback fallback = settings.fallback();
    int[] rowOf = new int[n];
    int rows = 0;
    if (model != null) {
      for (int i = 0; i < n; i++) {
        rowOf[i] = fits(bufferValues[i]) ? rows++ : -1;
      }
    }
    float[] scores = null;
    String version = null;
    String noScore = model == null ? noModelReason : MODEL_ERROR;
    if (rows > 0) {
      float[][] matrix = new float[rows][];
      for (int i = 0; i < n; i++) {
        if (rowOf[i] >= 0) {
          matrix[rowOf[i]] = toArray(bufferValues[i].getFeatures());
        }
      }
      long start = System.nanoTime();
      try {
        scores = model.predict(matrix);
        if (scores == null || scores.length != rows) {
          throw new IllegalStateException(
              "model returned "
                  + (scores == null ? "no" : String.valueOf(scores.length))
                  + " predictions for "
                  + rows
                  + " rows");
        }
        version = model.version();
      } catch (RuntimeException e) {
        scoringErrors.inc();
        log.warn(
            "Model {} of task {} failed on a batch of {}; scoring it with the fallback: {}",
            model.version(),
            settings.task(),
            rows,
            e.toString());
        scores = null;
      }
      scoringLatencyMs.update(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }
    int fallbacks = 0;
    for (int i = 0; i < n; i++) {
      String reason;
      if (model != null && rowOf[i] < 0) {
        reason = FEATURE_MISMATCH;
      } else if (scores == null) {
        reason = noScore;
      } else if (!Float.isFinite(scores[rowOf[i]])) {
        reason = NON_FINITE_SCORE;
      } else {
        reason = null;
      }
      if (reason == null) {
        predictions[i] = scores[rowOf[i]];
        versions[i] = version;
      } else {
        predictions[i] = fallback.prediction();
        versions[i] = fallback.version();
        fallbackReasons[i] = reason;
        fallbackByReason.get(reason).inc();
        fallbacks++;
      }
    }
    fallbackScored.inc(fallbacks);
  }

  /**
   * Whether a vector follows the job's feature schema; a vector that does not gets the fallback.
   */
  private boolean fits(FeatureVector vector) {
    boolean fits =
        vector.getFeatures().size() == schema.size()
            && fingerprint.equals(vector.getFeatureSchemaFingerprint().toString());
    if (!fits) {
      vectorsMismatched.inc();
      if (vectorsMismatched.getCount() == 1 || vectorsMismatched.getCount() % 10_000 == 0) {
        log.warn(
            "Event {} of task {} has {} features with schema {}, the job expects {} ({}); scored"
                + " with the fallback ({} such events so far)",
            vector.getEventId(),
            settings.task(),
            vector.getFeatures().size(),
            vector.getFeatureSchemaFingerprint(),
            schema.size(),
            fingerprint,
            vectorsMismatched.getCount());
      }
    }
    return fits;
  }

  private static float[] toArray(List<Float> features) {
    float[] row = new float[features.size()];
    for (int i = 0; i < row.length; i++) {
      Float value = features.get(i);
      row[i] = value == null ? Float.NaN : value;
    }
    return row;
  }

  // ---------------------------------------------------------------- helpers

  private String currentVersion() {
    return model == null ? settings.fallback().version() : model.version();
  }

  static long versionNumber(BatchModel model) {
    if (model == null) {
      return 0L;
    }
    Matcher m = TRAILING_DIGITS.matcher(model.version());
    return m.find() ? Long.parseLong(m.group(1)) : -1L;
  }

  private static void closeQuietly(BatchModel model) {
    if (model == null) {
      return;
    }
    try {
      model.close();
    } catch (RuntimeException e) {
      log.warn("Closing model {} failed: {}", model.version(), e.toString());
    }
  }

  // ---------------------------------------------------------------- for tests

  @VisibleForTesting
  String servingVersion() {
    return currentVersion();
  }

  @VisibleForTesting
  int bufferedCount() {
    return buffered;
  }

  @VisibleForTesting
  long modelsRefusedCount() {
    return modelsRefused.getCount();
  }

  @VisibleForTesting
  long modelsAppliedCount() {
    return modelsApplied.getCount();
  }

  @VisibleForTesting
  long fallbackScoredCount() {
    return fallbackScored.getCount();
  }

  @VisibleForTesting
  long fallbackScoredCount(String reason) {
    return fallbackByReason.get(reason).getCount();
  }

  @VisibleForTesting
  long scoredCount() {
    return scored.getCount();
  }

  @VisibleForTesting
  long scoringErrorsCount() {
    return scoringErrors.getCount();
  }

  @VisibleForTesting
  long batchCount() {
    return batchSizes.getCount();
  }
}
