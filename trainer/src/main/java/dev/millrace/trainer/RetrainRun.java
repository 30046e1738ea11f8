package dev.millrace.trainer;

import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.scorer.BatchModel;
import dev.millrace.scorer.FeatureSchema;
import dev.millrace.scorer.ModelLoader;
import dev.millrace.scorer.ModelRefusedException;
import dev.millrace.scorer.model.ModelBundle;
import dev.millrace.scorer.model.ModelStore;
import dev.millrace.trainer.eval.DriftReferences;
import dev.millrace.trainer.eval.Metrics;
import dev.millrace.trainer.eval.PairedBootstrap;
import dev.millrace.trainer.eval.PromotionGate;
import dev.millrace.trainer.eval.RegressionMetric;
import dev.millrace.trainer.eval.Slice;
import dev.millrace.trainer.eval.TimeSliceSplit;
import dev.millrace.trainer.model.Dataset;
import dev.millrace.trainer.model.TabularTrainer;
import dev.millrace.trainer.model.TrainedModel;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One retraining run over a snapshot of the window: split by event time, train the challenger on
 * the older part, score challenger and champion on the later slice, apply the promotion gate, and
 * for a promoted model store the bundle first (with its signature, when the settings hold a signing
 * key) and announce it second. Every run yields a {@link TrainingRecord}; failures are caught and
 * recorded as {@link RunDecision#FAILED}.
 *
 * <p>The task's {@link TaskModel} says which net is trained (head, entity embeddings) and how it is
 * judged: a binary head on its ranking metrics and {@link TrainerSettings#promotionMetric()}, with
 * known-positive entities out of the evaluation slice; a regression head on RMSE, RMSPE and RMSLE
 * with the regression gate on its {@link TaskModel#regressionError()}, every entity kept and no
 * positive-class checks.
 */
public final class RetrainRun {

  private static final Logger LOG = LoggerFactory.getLogger(RetrainRun.class);

  /** The champion to beat: its announcement. */
  public record Champion(ModelAnnouncement announcement) {}

  private final TrainerSettings settings;
  private final ModelStore store;
  private final ModelLoader loader;
  private final Consumer<ModelAnnouncement> announcer;
  private final Clock clock;

  /**
   * @param announcer publishes a promoted model's announcement and throws if that fails
   */
  public RetrainRun(
      TrainerSettings settings,
      ModelStore store,
      ModelLoader loader,
      Consumer<ModelAnnouncement> announcer,
      Clock clock) {
    this.settings = settings;
    this.store = store;
    this.loader = loader;
    this.announcer = announcer;
    this.clock = clock;
  }

  /** The outcome: the history record and, when promoted, the new champion's announcement. */
  public record Outcome(TrainingRecord record, ModelAnnouncement promoted) {}

  /**
   * Runs once. Never throws for a failed run: the failure is in the record.
   *
   * @param window the training window in event-time order
   * @param version the challenger's version name
   * @param trigger why the run started
   * @param champion the current champion, or null
   */
  public Outcome run(Slice window, String version, String trigger, ModelAnnouncement champion) {
    return run(window, null, version, trigger, champion);
  }

  /**
   * Runs once, as {@link #run(Slice, String, String, ModelAnnouncement)}, knowing the earliest
   * event time of the data (which the drift reference needs: a 30-day window is complete 30 days
   * after it); null: the window's first row.
   */
  public Outcome run(
      Slice window, Instant dataStart, String version, String trigger, ModelAnnouncement champion) {
    Instant started = clock.instant();
    Builder b = new Builder(version, trigger, started, champion);
    b.windowStart = window.start();
    b.windowEnd = window.end();
    String task = settings.taskName();
    TaskModel taskModel = settings.model();
    // A regression target (sales) has no positive class: the positive checks are a classifier's.
    boolean binary = !taskModel.isRegression();
    Slice all = window;
    if (taskModel.settledOnly()) {
      window = window.settled();
      b.unsettledRows = all.size() - window.size();
    }
    try {
      if (binary && window.positives() == 0) {
        return b.finish(
            RunDecision.SKIPPED_NO_POSITIVES,
            "no positive example among the " + window.size() + " rows of the window");
      }
      TimeSliceSplit.Split split =
          (taskModel.dropsKnownPositives()
                  ? new TimeSliceSplit(settings.evalFraction(), settings.evaluation().gap())
                  : TimeSliceSplit.keepingEveryEntity(
                      settings.evalFraction(), settings.evaluation().gap()))
              .split(window);
      Slice train = split.train();
      Slice eval = split.eval();
      b.evalStart = split.cutoff();
      b.evalGapMillis = split.gap().toMillis();
      b.gapRows = split.gapRows();
      b.knownPositiveRowsRemoved = split.knownPositiveRows();
      b.trainRows = train.size();
      b.trainPositives = train.positives();
      b.evalRows = eval.size();
      b.evalPositives = eval.positives();
      if (train.size() == 0 && window.size() > 0) {
        return b.finish(
            RunDecision.SKIPPED_TOO_FEW_ROWS,
            String.format(
                "window spans %s (%s to %s), less than the evaluation gap %s plus a training part"
                    + " and an evaluation slice (from %s): skipped",
                human(Duration.between(window.start(), window.end())),
                window.start(),
                window.end(),
                human(split.gap()),
                split.cutoff()));
      }
      if (train.size() < settings.minTrainRows() || eval.size() == 0) {
        return b.finish(
            RunDecision.SKIPPED_TOO_FEW_ROWS,
            train.size()
                + " training rows (before "
                + split.cutoff().minus(split.gap())
                + ", the evaluation start less the gap "
                + human(split.gap())
                + ") and "
                + eval.size()
                + " evaluation rows ("
                + split.knownPositiveRows()
                + " of known-positive entities removed); need at least "
                + settings.minTrainRows()
                + " and 1");
      }
      if (binary && b.trainPositives == 0) {
        return b.finish(
            RunDecision.SKIPPED_NO_POSITIVES, "no positive example in the training part");
      }
      if (binary && b.evalPositives == 0) {
        return b.finish(
            RunDecision.SKIPPED_NO_POSITIVES,
            "no positive example in the evaluation slice (from " + split.cutoff() + ")");
      }

      FeatureSchema schema = settings.featureSchema();
      TabularTrainer trainer = new TabularTrainer(settings.trainSettings(), settings.device());
      try (TrainedModel model =
          trainer.train(
              task,
              version,
              schema,
              dataset(train),
              null,
              taskModel.head(),
              taskModel.vocabularies())) {
        b.device = model.device();
        b.epochLosses = List.copyOf(model.epochLosses());
        b.trainingMillis = model.trainingTime().toMillis();
        float[] challengerScores = model.predict(eval.features());
        b.challengerMetrics =
            Metrics.evaluate(
                taskModel.isRegression(), eval, challengerScores, settings.cardPrecisionK());
        b.baseline =
            finiteOrNull(
                binary
                    ? Metrics.noSkill(settings.promotionMetric(), eval, settings.cardPrecisionK())
                    : taskModel.regressionError().noSkill(eval));

        float[] championScores = champion == null ? null : scoreChampion(champion, schema, eval);
        Map<String, Double> championMetrics = null;
        if (championScores != null) {
          championMetrics =
              Metrics.evaluate(
                  taskModel.isRegression(), eval, championScores, settings.cardPrecisionK());
          b.championMetrics = championMetrics;
        }
        PromotionGate gate =
            binary
                ? new PromotionGate(
                    settings.promotionMetric(),
                    settings.promotionMargin(),
                    settings.evaluation().bootstrap())
                : new PromotionGate(
                    taskModel.regressionError(),
                    settings.promotionMargin(),
                    settings.evaluation().bootstrap());
        PromotionGate.Verdict verdict =
            gate.decide(
                eval,
                challengerScores,
                b.challengerMetrics,
                championScores,
                championMetrics,
                b.baseline == null ? Double.NaN : b.baseline,
                settings.cardPrecisionK());
        if (verdict.promote() && championScores != null && settings.evaluation().seedCheck()) {
          long twinSeed = settings.trainSettings().seed() + 1;
          TabularTrainer twinTrainer =
              new TabularTrainer(settings.trainSettings().withSeed(twinSeed), settings.device());
          try (TrainedModel twin =
              twinTrainer.train(
                  task,
                  version + "-seed-check",
                  schema,
                  dataset(train),
                  null,
                  taskModel.head(),
                  taskModel.vocabularies())) {
            float[] twinScores = twin.predict(eval.features());
            verdict =
                gate.confirm(
                    verdict, eval, twinScores, twinSeed, championScores, settings.cardPrecisionK());
          }
        }
        b.interval = verdict.interval();
        b.twinInterval = verdict.twinInterval();
        if (!verdict.promote()) {
          return b.finish(RunDecision.REJECTED, verdict.reason());
        }

        ModelBundle bundle =
            DriftReferences.withReference(
                model.toBundle(b.challengerMetrics, train.start(), train.end()),
                DriftReferences.of(schema, train, eval, challengerScores, dataStart));
        // Signed (when the settings hold a key) before the bundle is in place and announced.
        URI uri = store.put(bundle, settings.signingKey());
        String sha = store.sha256(uri);
        b.artifactUri = uri.toString();
        b.sha256 = sha;
        ModelAnnouncement announcement =
            ModelAnnouncement.newBuilder()
                .setTask(settings.task())
                .setVersion(version)
                .setArtifactUri(uri.toString())
                .setSha256(sha)
                .setFeatureSchemaFingerprint(schema.fingerprint())
                .setMetrics(b.challengerMetrics)
                .setStatus(ModelStatus.CHAMPION)
                .setAnnouncedAt(clock.instant())
                .setTrainingWindowStart(train.start())
                .setTrainingWindowEnd(train.end())
                .build();
        announcer.accept(announcement);
        b.promoted = announcement;
        return b.finish(RunDecision.PROMOTED, verdict.reason());
      }
    } catch (Exception | LinkageError e) {
      LOG.error("{}: training run {} failed", task, version, e);
      return b.finish(RunDecision.FAILED, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  /** The champion's scores on the slice; null when it cannot be loaded. */
  private float[] scoreChampion(ModelAnnouncement champion, FeatureSchema schema, Slice eval) {
    try (BatchModel model = loader.load(champion, schema)) {
      return model.predict(eval.features());
    } catch (ModelRefusedException e) {
      LOG.warn(
          "{}: champion {} cannot be loaded ({}: {}); comparing the challenger with the no-skill"
              + " baseline",
          settings.taskName(),
          champion.getVersion(),
          e.reason(),
          e.getMessage());
      return null;
    }
  }

  static Dataset dataset(Slice s) {
    return new Dataset(s.features(), s.labels(), s.eventTimeMillis(), s.entityIds());
  }

  private static Double finiteOrNull(double v) {
    return Double.isFinite(v) ? v : null;
  }

  /** Collects a run's facts and turns them into its record. */
  private final class Builder {
    final String version;
    final String trigger;
    final Instant started;
    final ModelAnnouncement champion;
    final String runId = UUID.randomUUID().toString();
    Instant windowStart;
    Instant windowEnd;
    Instant evalStart;
    int trainRows;
    long trainPositives;
    int evalRows;
    long evalPositives;
    Map<String, Double> challengerMetrics;
    Map<String, Double> championMetrics;
    Double baseline;
    String device;
    List<Double> epochLosses;
    Long trainingMillis;
    String artifactUri;
    String sha256;
    Long evalGapMillis;

    /** Rows of the window left out as not settled ({@link TaskModel#settledOnly()}). */
    int unsettledRows;

    Integer gapRows;
    Integer knownPositiveRowsRemoved;
    PairedBootstrap.Interval interval;
    PairedBootstrap.Interval twinInterval;
    ModelAnnouncement promoted;

    Builder(String version, String trigger, Instant started, ModelAnnouncement champion) {
      this.version = version;
      this.trigger = trigger;
      this.started = started;
      this.champion = champion;
    }

    Outcome finish(RunDecision decision, String reason) {
      if (unsettledRows > 0) {
        reason +=
            " ("
                + unsettledRows
                + " newest rows of the window left out: not every label of their time was known"
                + " yet)";
      }
      Instant finished = clock.instant();
      TrainingRecord record =
          new TrainingRecord(
              runId,
              settings.taskName(),
              version,
              trigger,
              started,
              finished,
              Duration.between(started, finished).toMillis(),
              windowStart,
              windowEnd,
              evalStart,
              trainRows,
              trainPositives,
              evalRows,
              evalPositives,
              challengerMetrics,
              champion == null ? null : champion.getVersion(),
              championMetrics,
              settings.promotionKey(),
              settings.promotionMargin(),
              baseline,
              decision,
              reason,
              device,
              epochLosses,
              trainingMillis,
              artifactUri,
              sha256,
              evalGapMillis,
              gapRows,
              knownPositiveRowsRemoved,
              interval,
              twinInterval);
      String metric = settings.promotionKey();
      switch (decision) {
        case PROMOTED ->
            LOG.info(
                "{}: PROMOTED {} ({}; {}) -> {}",
                settings.taskName(),
                version,
                headline(challengerMetrics, metric),
                reason,
                artifactUri);
        case REJECTED ->
            LOG.info(
                "{}: REJECTED {} ({}); champion {} stays",
                settings.taskName(),
                version,
                reason,
                champion == null ? "(none)" : champion.getVersion());
        case FAILED -> LOG.warn("{}: run {} FAILED: {}", settings.taskName(), version, reason);
        default ->
            LOG.info(
                "{}: {}: {}; no model trained, champion {} stays",
                settings.taskName(),
                decision,
                reason,
                champion == null ? "(none)" : champion.getVersion());
      }
      return new Outcome(record, decision == RunDecision.PROMOTED ? promoted : null);
    }
  }

  /** {@code 7d 1h}, {@code 3h 20m}, {@code 45s}. */
  static String human(Duration d) {
    long s = d.toSeconds();
    long days = s / 86_400;
    long hours = s % 86_400 / 3_600;
    long minutes = s % 3_600 / 60;
    StringBuilder out = new StringBuilder();
    if (days > 0) {
      out.append(days).append("d");
    }
    if (hours > 0) {
      out.append(out.isEmpty() ? "" : " ").append(hours).append("h");
    }
    if (minutes > 0 && days == 0) {
      out.append(out.isEmpty() ? "" : " ").append(minutes).append("m");
    }
    if (out.isEmpty()) {
      out.append(s % 60).append("s");
    }
    return out.toString();
  }

  /**
   * {@code average_precision 0.7012} for a binary head; for a regression head every error, the
   * promotion key first: {@code rmspe 0.1523, rmse 912.4000, rmsle 0.1712}.
   */
  private String headline(Map<String, Double> metrics, String key) {
    StringBuilder s = new StringBuilder(key).append(' ').append(fmt(metrics, key));
    if (settings.model().isRegression()) {
      for (RegressionMetric m : RegressionMetric.values()) {
        if (!m.key().equals(key)) {
          s.append(", ").append(m.key()).append(' ').append(fmt(metrics, m.key()));
        }
      }
    }
    return s.toString();
  }

  private static String fmt(Map<String, Double> metrics, String key) {
    Double v = metrics == null ? null : metrics.get(key);
    return v == null ? "n/a" : String.format("%.4f", v);
  }

  /**
   * Version names {@code <task>-<yyyyMMdd-HHmmss>-<n>} in UTC, {@code n} counting up per process.
   */
  static String versionName(String task, Instant now, long n) {
    String stamp =
        java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
            .withZone(java.time.ZoneOffset.UTC)
            .format(now);
    return task + "-" + stamp + "-" + n;
  }
}
