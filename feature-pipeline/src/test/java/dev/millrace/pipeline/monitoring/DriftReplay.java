package dev.millrace.pipeline.monitoring;

import dev.millrace.ingest.fraud.LabeledTransaction;
import dev.millrace.pipeline.fraud.FraudFeatureEngine;
import dev.millrace.pipeline.fraud.FraudFeatures;
import dev.millrace.pipeline.fraud.FraudPipeline;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.RetrainRequest;
import dev.millrace.schemas.Task;
import dev.millrace.scorer.model.DriftReference;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;

/**
 * A live replay of fraud transactions through the job's drift monitor, at the level of its classes:
 * the real features ({@link FraudFeatureEngine}, labels fed back after the label delay as the job
 * does), the real {@link DriftBinning} and {@link DriftMonitor} in Flink's operator harnesses,
 * wired as in {@link FraudPipeline} (slides' counts forwarded before each hourly watermark), and a
 * stand-in for the trainer's loop: every {@value #RETRAIN_EVERY} matured examples, and at once on a
 * retrain request, a new champion whose reference is computed as the trainer computes it ({@code
 * DriftReferences.of}: the last {@value #WINDOW_ROWS} matured rows, training part / last 20 % as
 * evaluation slice, bins only over the rows past each feature's warm-up from the earliest example
 * seen). Every run is promoted (the worst case for false alarms: the most references). The score is
 * a fixed function of the features standing in for a model (no network is trained here): it reads
 * the 30-day terminal windows, so it ramps up like them.
 *
 * <p>The whole job on a MiniCluster with the trainer would need many trainings over 60+ days of
 * data, minutes on CI's two cores; the monitor's decision depends only on the vectors, their event
 * times and the references, which this replay feeds it exactly as the job does.
 */
final class DriftReplay {

  static final long RETRAIN_EVERY = 50_000;
  static final int WINDOW_ROWS = 200_000;
  static final double EVAL_FRACTION = 0.2;
  static final Duration LABEL_DELAY = Duration.ofDays(7);
  private static final long HOUR = 3_600_000L;

  /** One scored transaction. */
  record Row(long time, float[] features, float score) {}

  /** What the monitor did. */
  record Result(
      List<RetrainRequest> requests,
      List<Instant> requestTimes,
      Map<String, Double> maxPsi,
      int promotions,
      List<Instant> promotionTimes,
      long transactions,
      Instant first,
      Instant last) {}

  private final Path dir;
  private final boolean warmUpRule;
  private final MonitoringSettings settings;
  private final long retrainEvery;
  private final int windowRows;

  /**
   * @param warmUpRule true: the window-full rule (references with their rows' times and the
   *     features' warm-ups); false: as before it (every feature compared from the start)
   */
  DriftReplay(Path dir, boolean warmUpRule, MonitoringSettings settings) {
    this(dir, warmUpRule, settings, RETRAIN_EVERY, WINDOW_ROWS);
  }

  /**
   * @param retrainEvery matured examples between two trainings (the trainer's default: 50,000)
   * @param windowRows the training window (the trainer's default: 200,000 rows)
   */
  DriftReplay(
      Path dir,
      boolean warmUpRule,
      MonitoringSettings settings,
      long retrainEvery,
      int windowRows) {
    this.dir = dir;
    this.warmUpRule = warmUpRule;
    this.settings = settings;
    this.retrainEvery = retrainEvery;
    this.windowRows = windowRows;
  }

  /** The features and stand-in scores of {@code txs}, with labels fed back after their delay. */
  static List<Row> features(Iterator<LabeledTransaction> txs, Instant until) {
    FraudFeatureEngine engine = new FraudFeatureEngine(Duration.ofHours(1));
    ArrayDeque<LabeledTransaction> pending = new ArrayDeque<>();
    List<Row> rows = new ArrayList<>();
    while (txs.hasNext()) {
      LabeledTransaction lt = txs.next();
      Instant t = lt.eventTime();
      if (!t.isBefore(until)) {
        break;
      }
      while (!pending.isEmpty() && !pending.peek().eventTime().plus(LABEL_DELAY).isAfter(t)) {
        LabeledTransaction done = pending.poll();
        engine.onLabel(done.label(done.eventTime().plus(LABEL_DELAY)));
      }
      float[] f = engine.onTransaction(lt.tx());
      rows.add(new Row(t.toEpochMilli(), f, score(f)));
      pending.add(lt);
    }
    return rows;
  }

  /** A fixed function of the features standing in for a trained model. */
  static float score(float[] f) {
    double z =
        -4.0
            + 0.01 * f[0]
            + 3.0 * f[12] // TERMINAL_ID_RISK_7DAY_WINDOW
            + 2.0 * f[14] // TERMINAL_ID_RISK_30DAY_WINDOW
            + 0.02 * f[13] // TERMINAL_ID_NB_TX_30DAY_WINDOW
            + 0.01 * f[7]; // CUSTOMER_ID_NB_TX_30DAY_WINDOW
    return (float) (1 / (1 + Math.exp(-z)));
  }

  Result run(List<Row> rows) throws Exception {
    List<String> names = FraudFeatures.NAMES;
    MonitoringSettings s = settings;
    DriftBinning binner = new DriftBinning(Task.FRAUD, names, s);
    DriftMonitor monitor =
        new DriftMonitor(
            Task.FRAUD,
            names,
            s,
            FraudPipeline.DRIFT_NOT_TRIGGERING,
            warmUpRule ? WarmUps.of(FraudFeatures.WARM_UP) : WarmUps.NONE,
            Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));
    TreeMap<String, Double> maxPsi = new TreeMap<>();
    List<Instant> requestTimes = new ArrayList<>();
    List<Instant> promotionTimes = new ArrayList<>();
    int promotions = 0;
    try (var binning = new TwoInputStreamOperatorTestHarness<>(binner);
        KeyedBroadcastOperatorTestHarness<String, DriftCounts, ModelAnnouncement, RetrainRequest>
            keyed =
                ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                    monitor, c -> "fraud", Types.STRING, DriftMonitor.REFERENCES)) {
      binning.open();
      binning.processWatermark2(new Watermark(Long.MAX_VALUE));
      keyed.processBroadcastWatermark(Long.MAX_VALUE);
      String champion = "fallback";
      int matured = 0; // rows[0, matured) have their labels
      int lastRun = 0;
      long nextWatermark = Math.floorDiv(rows.get(0).time(), HOUR) * HOUR + HOUR;
      int seenRequests = 0;
      for (Row row : rows) {
        while (row.time() >= nextWatermark) {
          binning.processWatermark1(new Watermark(nextWatermark));
          for (Object o : binning.getOutput()) {
            if (o instanceof StreamRecord<?> r) {
              keyed.processElement((DriftCounts) r.getValue(), r.getTimestamp());
            }
          }
          binning.getOutput().clear();
          keyed.processWatermark(new Watermark(nextWatermark));
          monitor.featurePsi().forEach((f, v) -> maxPsi.merge(f, v, DriftReplay::maxFinite));
          maxPsi.merge(DriftMonitor.SCORE, monitor.scorePsi(), DriftReplay::maxFinite);
          boolean requested = keyed.extractOutputValues().size() > seenRequests;
          seenRequests = keyed.extractOutputValues().size();
          while (matured < rows.size()
              && rows.get(matured).time() + LABEL_DELAY.toMillis() <= nextWatermark) {
            matured++;
          }
          if (requested) {
            requestTimes.add(Instant.ofEpochMilli(nextWatermark));
          }
          if ((requested || matured - lastRun >= retrainEvery) && matured >= retrainEvery / 5) {
            lastRun = matured;
            champion = "m" + ++promotions;
            promotionTimes.add(Instant.ofEpochMilli(nextWatermark));
            ModelAnnouncement a = announce(champion, reference(rows, matured));
            binning.processElement2(a, nextWatermark);
            keyed.processBroadcastElement(a, nextWatermark);
          }
          nextWatermark += HOUR;
        }
        binning.processElement1(new DriftSample(champion, row.features(), row.score()), row.time());
      }
      return new Result(
          keyed.extractOutputValues(),
          requestTimes,
          maxPsi,
          promotions,
          promotionTimes,
          rows.size(),
          Instant.ofEpochMilli(rows.get(0).time()),
          Instant.ofEpochMilli(rows.get(rows.size() - 1).time()));
    }
  }

  private static Double maxFinite(Double a, Double b) {
    if (!Double.isFinite(a)) {
      return b;
    }
    if (!Double.isFinite(b)) {
      return a;
    }
    return Math.max(a, b);
  }

  /** The reference the trainer would compute from the matured rows {@code [0, matured)}. */
  private DriftReference reference(List<Row> rows, int matured) {
    int from = Math.max(0, matured - windowRows);
    int n = matured - from;
    int cut = from + (int) Math.round(n * (1 - EVAL_FRACTION));
    float[][] train = new float[cut - from][];
    long[] trainTimes = new long[cut - from];
    for (int i = from; i < cut; i++) {
      train[i - from] = rows.get(i).features();
      trainTimes[i - from] = rows.get(i).time();
    }
    float[] scores = new float[matured - cut];
    long[] scoreTimes = new long[matured - cut];
    for (int i = cut; i < matured; i++) {
      scores[i - cut] = rows.get(i).score();
      scoreTimes[i - cut] = rows.get(i).time();
    }
    if (!warmUpRule) {
      return DriftReference.compute(
          FraudFeatures.NAMES, train, scores, DriftReference.DEFAULT_BINS);
    }
    return DriftReference.compute(
        FraudFeatures.SCHEMA,
        train,
        trainTimes,
        scores,
        scoreTimes,
        rows.get(0).time(),
        DriftReference.DEFAULT_BINS,
        Math.min(1_000, windowRows / 20));
  }

  private ModelAnnouncement announce(String version, DriftReference ref) throws Exception {
    return DriftTestModels.announce(
        dir, version, FraudFeatures.NAMES, ref, Instant.parse("2026-11-30T00:00:00Z"));
  }
}
