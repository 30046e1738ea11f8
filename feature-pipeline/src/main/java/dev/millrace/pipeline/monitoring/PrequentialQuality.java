package dev.millrace.pipeline.monitoring;

import dev.millrace.schemas.ModelQuality;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.scorer.eval.QualityMetrics;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.annotation.VisibleForTesting;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Prequential evaluation: the rolling quality of the scores each model version actually gave, on
 * the examples whose labels have matured (the output of the label join), keyed by model version.
 *
 * <p>Per version it keeps the last {@link MonitoringSettings#qualityWindow()} (label, score) pairs
 * and every {@link MonitoringSettings#qualityEvery()} examples emits a {@link ModelQuality} (ROC
 * AUC and average precision for classification, RMSE and RMSPE for regression) and updates the
 * gauges of the metric group {@code prequential} with the variable {@code modelVersion} (a label in
 * Prometheus): {@code examples}, {@code positives}, {@code auc}, {@code averagePrecision}, {@code
 * rmse}, {@code rmspe} (NaN while undefined). A version that gets no example for {@link
 * MonitoringSettings#qualityIdleTimeout()} of event time is emitted one last time (when it has new
 * examples) and its state and timer are cleared.
 *
 * <p>State per version, shaped for RocksDB: every example appends one {@link QualityPoint} to list
 * state (no read) and updates a small {@link QualityProgress}; the window of {@code qualityWindow}
 * pairs is read and written only at each emit, when the pending points enter it. The cleanup timer
 * is registered once and, when it fires, moved to the version's latest time plus the timeout if an
 * example came since, so an example costs no timer deletion.
 */
public final class PrequentialQuality
    extends KeyedProcessFunction<String, TrainingExample, ModelQuality> {

  /** Whether scores are probabilities of a binary label or predicted quantities. */
  public enum Kind {
    CLASSIFICATION,
    REGRESSION
  }

  /**
   * The reason (metric group {@code reason}, counter {@code refusedScores}) of an example left out
   * because its score or label is NaN or infinite.
   */
  public static final String NON_FINITE_SCORE = "NON_FINITE_SCORE";

  /** The metric group of the gauges, below the operator's group. */
  public static final String METRIC_GROUP = "prequential";

  /** The metric variable (Prometheus label) naming the model version. */
  public static final String VERSION_VARIABLE = "modelVersion";

  private static final long serialVersionUID = 1L;

  private final Task task;
  private final Kind kind;
  private final int window;
  private final int every;
  private final long idleTimeoutMillis;
  private final Clock clock;

  private transient ValueState<QualityWindow> state;
  private transient ListState<QualityPoint> pending;
  private transient ValueState<QualityProgress> progress;
  private transient Map<String, VersionGauges> gauges;
  private transient Counter refusedScores;

  public PrequentialQuality(Task task, Kind kind, MonitoringSettings settings, Clock clock) {
    this.task = task;
    this.kind = kind;
    this.window = settings.qualityWindow();
    this.every = settings.qualityEvery();
    this.idleTimeoutMillis = settings.qualityIdleTimeout().toMillis();
    this.clock = clock;
  }

  @Override
  public void open(OpenContext openContext) {
    state =
        getRuntimeContext()
            .getState(
                new ValueStateDescriptor<>("quality", TypeInformation.of(QualityWindow.class)));
    pending =
        getRuntimeContext()
            .getListState(
                new ListStateDescriptor<>(
                    "quality-pending", TypeInformation.of(QualityPoint.class)));
    progress =
        getRuntimeContext()
            .getState(
                new ValueStateDescriptor<>(
                    "quality-progress", TypeInformation.of(QualityProgress.class)));
    gauges = new HashMap<>();
    refusedScores =
        getRuntimeContext()
            .getMetricGroup()
            .addGroup("reason", NON_FINITE_SCORE)
            .counter("refusedScores");
  }

  @Override
  public void processElement(TrainingExample example, Context ctx, Collector<ModelQuality> out)
      throws Exception {
    if (!Double.isFinite(example.getScore()) || !Double.isFinite(example.getLabel())) {
      // No model quality can be computed from it (and the metrics refuse NaN): counted, left out.
      refusedScores.inc();
      return;
    }
    pending.add(
        new QualityPoint(
            (float) example.getLabel(),
            (float) example.getScore(),
            example.getEventTime().toEpochMilli()));
    QualityProgress p = progress.value();
    if (p == null) {
      p = new QualityProgress();
    }
    p.sinceEmit++;
    long now = ctx.timestamp() != null ? ctx.timestamp() : example.getLabelTime().toEpochMilli();
    p.lastSeen = Math.max(p.lastSeen, Math.max(now, ctx.timerService().currentWatermark()));
    if (p.timerAt == Long.MIN_VALUE) {
      p.timerAt = p.lastSeen + idleTimeoutMillis;
      ctx.timerService().registerEventTimeTimer(p.timerAt);
    }
    if (p.sinceEmit >= every) {
      out.collect(emit(ctx.getCurrentKey(), window(), p));
    }
    progress.update(p);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<ModelQuality> out)
      throws Exception {
    QualityProgress p = progress.value();
    if (p == null || timestamp != p.timerAt) {
      return;
    }
    long due = p.lastSeen + idleTimeoutMillis;
    if (due > timestamp) {
      // an example came since the timer was set: wait for the version's own timeout
      p.timerAt = due;
      ctx.timerService().registerEventTimeTimer(due);
      progress.update(p);
      return;
    }
    if (p.sinceEmit > 0) {
      out.collect(emit(ctx.getCurrentKey(), window(), p));
    }
    state.clear();
    pending.clear();
    progress.clear();
  }

  /** The version's window with the pending points added; the pending list is cleared. */
  private QualityWindow window() throws Exception {
    QualityWindow w = state.value();
    if (w == null) {
      w = new QualityWindow(window);
    }
    for (QualityPoint point : pending.get()) {
      w.add(point.label, point.score, point.eventTime);
    }
    pending.clear();
    state.update(w);
    return w;
  }

  private ModelQuality emit(String version, QualityWindow w, QualityProgress p) {
    p.sinceEmit = 0;
    float[] labels = w.validLabels();
    float[] scores = w.validScores();
    ModelQuality.Builder q =
        ModelQuality.newBuilder()
            .setTask(task)
            .setModelVersion(version)
            .setWindowEnd(Instant.ofEpochMilli(w.windowEnd))
            .setExamples(labels.length)
            .setPositives(QualityMetrics.positives(labels))
            .setAuc(null)
            .setAveragePrecision(null)
            .setRmse(null)
            .setRmspe(null)
            .setEmittedAt(clock.instant());
    if (kind == Kind.CLASSIFICATION) {
      q.setAuc(finite(QualityMetrics.rocAuc(labels, scores)))
          .setAveragePrecision(finite(QualityMetrics.averagePrecision(labels, scores)));
    } else {
      double[] actual = new double[labels.length];
      double[] predicted = new double[labels.length];
      for (int i = 0; i < labels.length; i++) {
        actual[i] = labels[i];
        predicted[i] = scores[i];
      }
      q.setRmse(finite(QualityMetrics.rmse(actual, predicted)))
          .setRmspe(finite(QualityMetrics.rmspe(actual, predicted)));
    }
    ModelQuality quality = q.build();
    gauges.computeIfAbsent(version, this::register).latest = quality;
    return quality;
  }

  private VersionGauges register(String version) {
    MetricGroup group =
        getRuntimeContext()
            .getMetricGroup()
            .addGroup(METRIC_GROUP)
            .addGroup(VERSION_VARIABLE, version);
    VersionGauges g = new VersionGauges();
    group.gauge("examples", (Gauge<Long>) () -> g.latest.getExamples());
    group.gauge("positives", (Gauge<Long>) () -> g.latest.getPositives());
    group.gauge("auc", (Gauge<Double>) () -> orNaN(g.latest.getAuc()));
    group.gauge("averagePrecision", (Gauge<Double>) () -> orNaN(g.latest.getAveragePrecision()));
    group.gauge("rmse", (Gauge<Double>) () -> orNaN(g.latest.getRmse()));
    group.gauge("rmspe", (Gauge<Double>) () -> orNaN(g.latest.getRmspe()));
    return g;
  }

  /** The latest quality per version this subtask emitted (what the gauges report). */
  Map<String, ModelQuality> latestByVersion() {
    Map<String, ModelQuality> m = new HashMap<>();
    gauges.forEach((v, g) -> m.put(v, g.latest));
    return m;
  }

  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private static double orNaN(Double v) {
    return v == null ? Double.NaN : v;
  }

  private static final class VersionGauges {
    volatile ModelQuality latest;
  }

  @VisibleForTesting
  long refusedScoresCount() {
    return refusedScores.getCount();
  }
}
