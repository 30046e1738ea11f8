package dev.millrace.ops.dashboard;

import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.trainer.RunDecision;
import dev.millrace.trainer.TrainingRecord;
import dev.millrace.trainer.eval.PairedBootstrap;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON answer of {@code /api/tasks/<task>/summary}: everything the page of one task shows.
 *
 * @param modelInUse the model version of the newest committed score ({@code fallback} before any)
 * @param modelInUseFallbackReason why the newest committed score is the fallback, not a model's
 *     answer (e.g. MODEL_ERROR, MODEL_UNAVAILABLE); null when a model made it
 * @param fallbackScoresByReason committed scores that no model made, by reason
 * @param champion the newest promoted version of the training history (or of the announcements)
 * @param scoresPerSecond committed scores per second over the last 10 seconds
 * @param throughput scores and dead letters per second over the last two minutes
 * @param runs every training run, oldest first, with its decision and loss curve
 * @param models the announcements read from {@code millrace.models}
 * @param kind {@code classification} (scores are probabilities) or {@code regression} (values), as
 *     the task's scores, quality records and announced metrics show
 * @param quality prequential metrics per version ({@code available=false} when absent)
 * @param drift drift-triggered retrain requests ({@code available=false} when absent)
 */
public record DashboardSummary(
    String task,
    String kind,
    Instant generatedAt,
    String modelInUse,
    String modelInUseFallbackReason,
    Map<String, Long> fallbackScoresByReason,
    Instant latestScoreAt,
    String champion,
    long scores,
    double scoresPerSecond,
    long deadLetters,
    Map<String, Long> scoresByVersion,
    Throughput throughput,
    ScoreHistogram scoreHistogram,
    Map<String, Long> deadLettersByReason,
    List<TaskState.DeadLetterSample> deadLetterSamples,
    List<Run> runs,
    List<TaskState.AnnouncementView> models,
    Quality quality,
    Drift drift) {

  private static final int THROUGHPUT_WINDOW = 120;
  private static final int HISTOGRAM_VERSIONS = 4;

  /**
   * Per-second series; {@code secondsAgo[i]} is negative. {@code visibleAfterMs}: mean time from
   * scoring to the score being readable (read_committed) downstream, null in seconds without
   * scores.
   */
  public record Throughput(
      List<Integer> secondsAgo,
      List<Long> scores,
      List<Long> deadLetters,
      List<Long> labels,
      List<Double> visibleAfterMs) {}

  /**
   * Score distribution of the newest versions; {@code bins} are the lower bin edges: of
   * probabilities in [0, 1] ({@code scale=linear}), or of predicted values on a log scale ({@code
   * scale=log}, a regression task).
   */
  public record ScoreHistogram(
      String scale, List<Double> bins, Map<String, List<Double>> fractionsByVersion) {}

  /**
   * One training run; {@code interval} is the promotion gate's interval as text ({@code Δ +0.0140
   * [90% CI -0.0060, +0.0330]}), {@code evalGapMillis} the gap before the evaluation slice.
   */
  public record Run(
      String runId,
      String version,
      RunDecision decision,
      String reason,
      String trigger,
      Instant finishedAt,
      long durationMillis,
      String device,
      int trainRows,
      long trainPositives,
      int evalRows,
      String promotionMetric,
      Map<String, Double> challengerMetrics,
      String championVersion,
      Map<String, Double> championMetrics,
      Double baseline,
      List<Double> epochLosses,
      Long evalGapMillis,
      Integer gapRows,
      Integer knownPositiveRowsRemoved,
      PairedBootstrap.Interval promotionInterval,
      PairedBootstrap.Interval seedCheckInterval,
      String interval) {}

  /** Prequential metrics, latest record per model version. */
  public record Quality(
      boolean available, String note, Map<String, Map<String, Object>> byVersion) {}

  /** Drift signals: the newest retrain requests first. */
  public record Drift(boolean available, String note, List<Map<String, Object>> requests) {}

  static DashboardSummary of(
      Task task, TaskState.Snapshot s, List<TrainingRecord> history, long nowMillis) {
    List<Run> runs = new ArrayList<>();
    String champion = null;
    for (TrainingRecord r : history) {
      runs.add(
          new Run(
              r.runId(),
              r.version(),
              r.decision(),
              r.reason(),
              r.trigger(),
              r.finishedAt(),
              r.durationMillis(),
              r.device(),
              r.trainRows(),
              r.trainPositives(),
              r.evalRows(),
              r.promotionMetric(),
              r.challengerMetrics(),
              r.championVersion(),
              r.championMetrics(),
              r.baseline(),
              r.epochLosses() == null ? List.of() : r.epochLosses(),
              r.evalGapMillis(),
              r.gapRows(),
              r.knownPositiveRowsRemoved(),
              r.promotionInterval(),
              r.seedCheckInterval(),
              r.intervalText()));
      if (r.decision() == RunDecision.PROMOTED) {
        champion = r.version();
      }
    }
    if (champion == null) {
      for (TaskState.AnnouncementView a : s.announcements()) {
        if ("CHAMPION".equals(a.status())) {
          champion = a.version();
        }
      }
    }
    Quality quality =
        !s.quality().isEmpty()
            ? new Quality(true, null, s.quality())
            : new Quality(
                false,
                "no prequential metrics on " + TopicRegistry.taskName(task) + ".quality yet",
                Map.of());
    Drift drift =
        s.drift().isEmpty()
            ? new Drift(false, "no drift signal so far", List.of())
            : new Drift(true, null, s.drift());
    return new DashboardSummary(
        TopicRegistry.taskName(task),
        s.regression() ? "regression" : "classification",
        Instant.ofEpochMilli(nowMillis),
        s.latestVersion(),
        s.latestFallbackReason(),
        s.fallbacksByReason(),
        s.latestScoreAt(),
        champion,
        s.scores(),
        recentRate(s.perSecond(), nowMillis),
        s.deadLetters(),
        s.scoresByVersion(),
        throughput(s.perSecond(), nowMillis),
        histogram(s.histogramByVersion(), s.regression()),
        s.deadLettersByReason(),
        s.deadLetterSamples(),
        runs,
        s.announcements(),
        quality,
        drift);
  }

  private static double recentRate(List<long[]> perSecond, long nowMillis) {
    long nowSec = Math.floorDiv(nowMillis, 1000L);
    long sum = 0;
    for (long[] b : perSecond) {
      if (b[0] >= nowSec - 12 && b[0] < nowSec - 2) { // commits trail by a checkpoint
        sum += b[1];
      }
    }
    return sum / 10.0;
  }

  private static Throughput throughput(List<long[]> perSecond, long nowMillis) {
    long nowSec = Math.floorDiv(nowMillis, 1000L);
    Map<Long, long[]> bySecond = new LinkedHashMap<>();
    perSecond.forEach(b -> bySecond.put(b[0], b));
    List<Integer> ago = new ArrayList<>();
    List<Long> scores = new ArrayList<>();
    List<Long> dead = new ArrayList<>();
    List<Long> labels = new ArrayList<>();
    List<Double> delay = new ArrayList<>();
    for (long sec = nowSec - THROUGHPUT_WINDOW; sec < nowSec; sec++) {
      long[] b = bySecond.get(sec);
      ago.add((int) (sec - nowSec));
      scores.add(b == null ? 0 : b[1]);
      dead.add(b == null ? 0 : b[2]);
      labels.add(b == null ? 0 : b[3]);
      delay.add(b == null || b[1] == 0 ? null : b[4] / (double) b[1]);
    }
    return new Throughput(ago, scores, dead, labels, delay);
  }

  private static ScoreHistogram histogram(Map<String, long[]> byVersion, boolean regression) {
    List<Double> bins = new ArrayList<>();
    if (regression) {
      for (int i = 0; i < TaskState.VALUE_BINS; i++) {
        bins.add(Math.pow(10, i * TaskState.VALUE_BIN_DECADES) - 1);
      }
    } else {
      for (int i = 0; i < TaskState.SCORE_BINS; i++) {
        bins.add(i / (double) TaskState.SCORE_BINS);
      }
    }
    List<String> versions = new ArrayList<>(byVersion.keySet());
    Map<String, List<Double>> fractions = new LinkedHashMap<>();
    for (String v :
        versions.subList(Math.max(0, versions.size() - HISTOGRAM_VERSIONS), versions.size())) {
      long[] counts = byVersion.get(v);
      long total = 0;
      for (long c : counts) {
        total += c;
      }
      List<Double> f = new ArrayList<>();
      for (long c : counts) {
        f.add(total == 0 ? 0.0 : c / (double) total);
      }
      fractions.put(v, f);
    }
    return new ScoreHistogram(regression ? "log" : "linear", bins, fractions);
  }
}
