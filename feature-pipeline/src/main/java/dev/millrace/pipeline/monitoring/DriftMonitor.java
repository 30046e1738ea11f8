package dev.millrace.pipeline.monitoring;

import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.RetrainRequest;
import dev.millrace.schemas.Task;
import dev.millrace.scorer.eval.Psi;
import dev.millrace.scorer.model.DriftReference;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Input drift against the reference distributions in the bundle of the model in use: the population
 * stability index ({@link Psi}) of every feature and of the score over a sliding event-time window
 * ({@link MonitoringSettings#driftWindow()}, sliding by {@link MonitoringSettings#driftSlide()}),
 * and an early-retrain request when the largest index reaches {@link
 * MonitoringSettings#driftThreshold()} (at most one per {@link MonitoringSettings#driftCooldown()}
 * of event time).
 *
 * <p>Bins are laid out in the job's feature order and found in the reference by feature name (the
 * manifest stores them sorted by name).
 *
 * <p>Two halves. {@link DriftBinning}, in every parallel instance and not keyed, bins each vector
 * against the reference and sends the counts of each slide once the watermark has passed it; this
 * operator, keyed by task (one key), adds up those counts per slide and measures when a slide ends.
 * So every vector is binned where it was scored and only a few records per slide and instance meet
 * here, instead of every vector of the job. Model announcements arrive at both as a broadcast
 * stream; for each champion they read the reference from the announced bundle (after checking its
 * SHA-256) and keep it in broadcast state as JSON. Only vectors scored by the latest announced
 * model are counted; a new model starts a new window, measured once it is full (a part of a day
 * would not compare with a reference of whole days). Bundles without a reference (made before
 * references existed) and the fallback scorer measure nothing.
 *
 * <p>Like with like ({@link WarmUps}): a feature whose window needs a warm-up (a 30-day count ramps
 * up over the first 30 days of a stream) joins the check only once its window is full both in the
 * measured window and in the reference's rows ({@link DriftReference.Bins#from()}), counted from
 * the stream's start (the earliest event time scored, from {@link DriftCounts#streamStart}, kept in
 * state); the score, which reads every feature, once the longest warm-up has passed. Until then its
 * gauge reads NaN and it requests nothing.
 *
 * <p>State per key: counts per bin per slide bucket (bounded by window / slide buckets; older ones
 * are dropped when their timer fires), the model version they were counted for, since when, and the
 * event time of the last request. Gauges, in the metric group {@code drift}: {@code maxPsi}, {@code
 * scorePsi}, {@code windowExamples}, and per feature {@code drift.feature.<name>.psi} (variable
 * {@code feature}); NaN until measured.
 */
public final class DriftMonitor
    extends KeyedBroadcastProcessFunction<String, DriftCounts, ModelAnnouncement, RetrainRequest> {

  /** Broadcast state of the references: model version to reference JSON, plus the latest. */
  public static final MapStateDescriptor<String, String> REFERENCES =
      new MapStateDescriptor<>("drift-references", Types.STRING, Types.STRING);

  /** The metric group of the gauges. */
  public static final String METRIC_GROUP = "drift";

  /** What {@link RetrainRequest#getFeature()} says when the score drifted most. */
  public static final String SCORE = "score";

  static final String LATEST = "\u0000latest";
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(DriftMonitor.class);

  private final Task task;
  private final List<String> featureNames;
  private final long windowMillis;
  private final long slideMillis;
  private final int minExamples;
  private final double threshold;
  private final long cooldownMillis;
  private final Set<String> notTriggering;
  private final WarmUps warmUps;
  private final Clock clock;

  private transient MapState<Long, long[]> buckets;
  private transient ValueState<String> countedVersion;
  private transient ValueState<Long> lastRequest;
  private transient ValueState<Long> countingSince;
  private transient ValueState<Long> streamStart;
  private transient Map<String, DriftReference> parsed;
  private transient Map<String, Double> featurePsi; // read by gauges on the reporter thread
  private transient MetricGroup featureGroup;
  private transient volatile double maxPsi;
  private transient volatile double scorePsi;
  private transient volatile long windowExamples;

  /**
   * @param featureNames the job's features, in the order of the vectors' values
   * @param notTriggering features whose index is measured and reported but never requests a retrain
   *     (e.g. a weekend flag, whose one-day distribution differs from any multi-day reference)
   */
  public DriftMonitor(
      Task task,
      List<String> featureNames,
      MonitoringSettings settings,
      Set<String> notTriggering,
      Clock clock) {
    this(task, featureNames, settings, notTriggering, WarmUps.NONE, clock);
  }

  /**
   * @param warmUps how long each feature's window needs to fill (see {@link WarmUps})
   */
  public DriftMonitor(
      Task task,
      List<String> featureNames,
      MonitoringSettings settings,
      Set<String> notTriggering,
      WarmUps warmUps,
      Clock clock) {
    this.warmUps = warmUps;
    this.task = task;
    this.featureNames = List.copyOf(featureNames);
    this.windowMillis = settings.driftWindow().toMillis();
    this.slideMillis = settings.driftSlide().toMillis();
    this.minExamples = settings.driftMinExamples();
    this.threshold = settings.driftThreshold();
    this.cooldownMillis = settings.driftCooldown().toMillis();
    this.notTriggering = Set.copyOf(notTriggering);
    this.clock = clock;
  }

  @Override
  public void open(OpenContext openContext) {
    buckets =
        getRuntimeContext()
            .getMapState(
                new MapStateDescriptor<>(
                    "drift-buckets",
                    Types.LONG,
                    PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO));
    countedVersion =
        getRuntimeContext().getState(new ValueStateDescriptor<>("drift-version", Types.STRING));
    lastRequest =
        getRuntimeContext().getState(new ValueStateDescriptor<>("drift-last-request", Types.LONG));
    countingSince =
        getRuntimeContext().getState(new ValueStateDescriptor<>("drift-since", Types.LONG));
    streamStart =
        getRuntimeContext().getState(new ValueStateDescriptor<>("drift-stream-start", Types.LONG));
    parsed = new HashMap<>();
    featurePsi = new java.util.concurrent.ConcurrentHashMap<>();
    maxPsi = Double.NaN;
    scorePsi = Double.NaN;
    MetricGroup group = getRuntimeContext().getMetricGroup().addGroup(METRIC_GROUP);
    group.gauge("maxPsi", (Gauge<Double>) () -> maxPsi);
    group.gauge("scorePsi", (Gauge<Double>) () -> scorePsi);
    group.gauge("windowExamples", (Gauge<Long>) () -> windowExamples);
    featureGroup = group;
  }

  @Override
  public void processBroadcastElement(
      ModelAnnouncement announcement, Context ctx, Collector<RetrainRequest> out) throws Exception {
    applyAnnouncement(ctx.getBroadcastState(REFERENCES), announcement, task);
  }

  /**
   * Keeps the reference of a champion of {@code task} (read from its bundle) as the latest, and
   * forgets older ones: vectors of older models are not counted.
   */
  static void applyAnnouncement(
      BroadcastState<String, String> refs, ModelAnnouncement announcement, Task task)
      throws Exception {
    if (announcement.getStatus() != ModelStatus.CHAMPION || announcement.getTask() != task) {
      return;
    }
    String version = announcement.getVersion();
    Optional<DriftReference> reference;
    try {
      reference = DriftReference.of(announcement);
    } catch (IOException | RuntimeException e) {
      LOG.warn("drift: no reference for model {}: {}", version, e.getMessage());
      reference = Optional.empty();
    }
    List<String> old = new ArrayList<>();
    for (Map.Entry<String, String> e : refs.entries()) {
      old.add(e.getKey());
    }
    for (String key : old) {
      refs.remove(key);
    }
    refs.put(LATEST, version);
    if (reference.isPresent()) {
      refs.put(version, reference.get().toJson());
    }
  }

  @Override
  public void processElement(DriftCounts slide, ReadOnlyContext ctx, Collector<RetrainRequest> out)
      throws Exception {
    ReadOnlyBroadcastState<String, String> refs = ctx.getBroadcastState(REFERENCES);
    Long start = streamStart.value();
    if (slide.streamStart != null && (start == null || slide.streamStart < start)) {
      streamStart.update(slide.streamStart);
    }
    String version = slide.modelVersion;
    if (version == null || !version.equals(refs.get(LATEST))) {
      return;
    }
    DriftReference ref = reference(version, refs.get(version));
    if (ref == null || slide.counts == null || slide.counts.length != totalBins(ref)) {
      return;
    }
    long bucket = slide.bucket;
    if (!version.equals(countedVersion.value())) {
      buckets.clear();
      countedVersion.update(version);
      countingSince.update(bucket);
    }
    long[] counts = buckets.get(bucket);
    if (counts == null) {
      counts = new long[slide.counts.length];
      ctx.timerService().registerEventTimeTimer(bucket + slideMillis);
    }
    for (int i = 0; i < counts.length; i++) {
      counts[i] += slide.counts[i];
    }
    buckets.put(bucket, counts);
  }

  /** Adds one vector to {@code counts}: a bin per feature (job order), then the score's bin. */
  static void count(
      DriftReference ref,
      List<String> featureNames,
      float[] features,
      double score,
      long[] counts) {
    int offset = 0;
    for (int f = 0; f < featureNames.size(); f++) {
      DriftReference.Bins bins = ref.features().get(featureNames.get(f));
      counts[offset + bins.bin(features[f])]++;
      offset += bins.size();
    }
    counts[offset + ref.score().bin(score)]++;
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<RetrainRequest> out)
      throws Exception {
    String version = countedVersion.value();
    ReadOnlyBroadcastState<String, String> refs = ctx.getBroadcastState(REFERENCES);
    DriftReference ref = version == null ? null : reference(version, refs.get(version));
    if (ref == null) {
      buckets.clear();
      return;
    }
    long[] sum = new long[totalBins(ref)];
    long windowStart = timestamp - windowMillis;
    Iterator<Map.Entry<Long, long[]>> it = buckets.iterator();
    while (it.hasNext()) {
      Map.Entry<Long, long[]> e = it.next();
      long start = e.getKey();
      if (start >= windowStart && start < timestamp) {
        long[] c = e.getValue();
        for (int i = 0; i < sum.length; i++) {
          sum[i] += c[i];
        }
      }
      if (start + windowMillis < timestamp + slideMillis) {
        it.remove(); // not part of the next window
      }
    }
    long examples = 0;
    int scoreOffset = sum.length - ref.score().size();
    for (int i = scoreOffset; i < sum.length; i++) {
      examples += sum[i];
    }
    Long since = countingSince.value();
    if (examples < minExamples || since == null || since > windowStart) {
      return; // too few vectors, or the model has not yet seen a whole window
    }
    Measurement m = measure(ref, sum, streamStart.value(), windowStart);
    windowExamples = examples;
    scorePsi = m.scorePsi;
    maxPsi = m.maxPsi;
    m.featurePsi.forEach(this::reportFeature);
    Long last = lastRequest.value();
    if (Double.isFinite(m.maxPsi)
        && m.maxPsi >= threshold
        && (last == null || timestamp - last >= cooldownMillis)) {
      lastRequest.update(timestamp);
      String reason =
          String.format(
              Locale.ROOT,
              "drift: psi(%s)=%.3f >= %.3f over the last %s of event time (model %s, %d vectors)",
              m.maxFeature,
              m.maxPsi,
              threshold,
              Duration.ofMillis(windowMillis).toString().substring(2).toLowerCase(Locale.ROOT),
              version,
              examples);
      LOG.info(reason);
      out.collect(
          RetrainRequest.newBuilder()
              .setTask(task)
              .setReason(reason)
              .setPsi(m.maxPsi)
              .setFeature(m.maxFeature)
              .setModelVersion(version)
              .setRequestedAt(clock.instant())
              .build());
    }
  }

  /**
   * PSI per feature and of the score, NaN for those whose window is not yet full (see {@link
   * WarmUps}); the largest among the triggering ones.
   *
   * @param streamStart the stream's start (epoch ms), null when unknown
   * @param windowStart the start of the measured window
   */
  Measurement measure(DriftReference ref, long[] sum, Long streamStart, long windowStart) {
    Measurement m = new Measurement();
    int offset = 0;
    for (String name : featureNames) {
      DriftReference.Bins bins = ref.features().get(name);
      double psi =
          WarmUps.comparable(warmUps.feature(name), streamStart, windowStart, bins.from())
              ? Psi.of(
                  bins.fractions(), java.util.Arrays.copyOfRange(sum, offset, offset + bins.size()))
              : Double.NaN;
      offset += bins.size();
      m.featurePsi.put(name, psi);
      if (!notTriggering.contains(name)) {
        m.consider(name, psi);
      }
    }
    m.scorePsi =
        WarmUps.comparable(warmUps.score(), streamStart, windowStart, ref.score().from())
            ? Psi.of(ref.score().fractions(), java.util.Arrays.copyOfRange(sum, offset, sum.length))
            : Double.NaN;
    m.consider(SCORE, m.scorePsi);
    return m;
  }

  /** The latest measured PSI per feature on this subtask (what the gauges report). */
  Map<String, Double> featurePsi() {
    return Map.copyOf(featurePsi);
  }

  double maxPsi() {
    return maxPsi;
  }

  double scorePsi() {
    return scorePsi;
  }

  private void reportFeature(String feature, double psi) {
    if (featurePsi.put(feature, psi) == null) {
      featureGroup
          .addGroup("feature", feature)
          .gauge("psi", (Gauge<Double>) () -> featurePsi.getOrDefault(feature, Double.NaN));
    }
  }

  private DriftReference reference(String version, String json) throws IOException {
    if (json == null) {
      return null;
    }
    DriftReference ref = parsed.get(version);
    if (ref == null) {
      parsed.clear();
      ref = parseReference(json, featureNames);
      if (ref == null) {
        return null;
      }
      parsed.put(version, ref);
    }
    return ref;
  }

  /** The reference in {@code json}; null when it lacks one of the job's features. */
  static DriftReference parseReference(String json, List<String> featureNames) throws IOException {
    if (json == null) {
      return null;
    }
    DriftReference ref = DriftReference.fromJson(json);
    if (!ref.features().keySet().containsAll(featureNames)) {
      return null; // not the job's features: nothing to compare with
    }
    return ref;
  }

  private int totalBins(DriftReference ref) {
    return totalBins(ref, featureNames);
  }

  /** Bins of all features and of the score. */
  static int totalBins(DriftReference ref, List<String> featureNames) {
    int n = ref.score().size();
    for (String name : featureNames) {
      n += ref.features().get(name).size();
    }
    return n;
  }

  static final class Measurement {
    final Map<String, Double> featurePsi = new HashMap<>();
    double scorePsi = Double.NaN;
    double maxPsi = Double.NaN;
    String maxFeature = SCORE;

    void consider(String name, double psi) {
      if (Double.isFinite(psi) && !(psi <= maxPsi)) {
        maxPsi = psi;
        maxFeature = name;
      }
    }
  }
}
