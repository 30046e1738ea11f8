package dev.millrace.ops.dashboard;

import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ScoreRecord;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the dashboard knows of one task from its Kafka topics. Written by the {@link TopicFeed}
 * thread, read by HTTP handlers: every method is synchronized and readers get copies.
 */
final class TaskState {

  /** Bins of the score histogram over [0, 1]. */
  static final int SCORE_BINS = 20;

  /**
   * Bins of the value histogram of a regression task: log10(1 + prediction) over [0, 7), a quarter
   * of a decade each (predictions of 10 million and more share the last).
   */
  static final int VALUE_BINS = 28;

  static final double VALUE_BIN_DECADES = 0.25;

  /** Seconds of throughput history kept. */
  static final int THROUGHPUT_SECONDS = 300;

  private static final int DLQ_SAMPLES = 8;
  private static final int DRIFT_EVENTS = 20;

  private long scores;
  private long deadLetters;
  private String latestVersion;
  private Instant latestScoreAt;
  private final Map<String, Long> scoresByVersion = new LinkedHashMap<>();
  private final Map<String, Long> fallbacksByReason = new LinkedHashMap<>();
  private String latestFallbackReason;
  private final Map<String, long[]> histogramByVersion = new LinkedHashMap<>();
  private final Map<String, long[]> valueHistogramByVersion = new LinkedHashMap<>();
  private boolean regression;
  // epoch second -> {scores, dead letters, labels, sum of score visibility delays in ms}
  private final TreeMap<Long, long[]> perSecond = new TreeMap<>();
  private final Map<String, Long> deadLettersByReason = new LinkedHashMap<>();
  private final ArrayDeque<DeadLetterSample> samples = new ArrayDeque<>();
  private final Map<String, AnnouncementView> announcements = new LinkedHashMap<>();
  private final Map<String, Map<String, Object>> quality = new LinkedHashMap<>();
  private final ArrayDeque<Map<String, Object>> drift = new ArrayDeque<>();

  /** One recent dead letter. */
  record DeadLetterSample(
      String reasonCode,
      String reason,
      String stage,
      String sourceTopic,
      Integer sourcePartition,
      Long sourceOffset,
      Instant rejectedAt) {}

  /** One model announcement as read from {@code millrace.models}. */
  record AnnouncementView(
      String version, String status, Map<String, Double> metrics, Instant announcedAt) {}

  /**
   * @param receivedMillis wall-clock time this read_committed consumer got the score: minus the
   *     scoring time, how long a score takes to become visible downstream (freshness)
   */
  synchronized void onScore(ScoreRecord score, long kafkaTimestamp, long receivedMillis) {
    scores++;
    String version = score.getModelVersion();
    Instant at = score.getScoringTime();
    String fallbackReason = score.getFallbackReason();
    if (latestScoreAt == null || !at.isBefore(latestScoreAt)) { // partitions interleave
      latestVersion = version;
      latestScoreAt = at;
      latestFallbackReason = fallbackReason;
    }
    if (fallbackReason != null) {
      fallbacksByReason.merge(fallbackReason, 1L, Long::sum);
    }
    scoresByVersion.merge(version, 1L, Long::sum);
    double p = score.getPrediction();
    if (fallbackReason == null && (p < 0 || p > 1)) {
      regression = true; // no probability: a regression head's value
    }
    int bin = (int) Math.floor(p * SCORE_BINS);
    bin = Math.max(0, Math.min(SCORE_BINS - 1, bin));
    histogramByVersion.computeIfAbsent(version, v -> new long[SCORE_BINS])[bin]++;
    int valueBin = (int) Math.floor(Math.log10(1 + Math.max(0, p)) / VALUE_BIN_DECADES);
    valueBin = Math.max(0, Math.min(VALUE_BINS - 1, valueBin));
    valueHistogramByVersion.computeIfAbsent(version, v -> new long[VALUE_BINS])[valueBin]++;
    long[] bucket = second(kafkaTimestamp);
    bucket[0]++;
    bucket[3] += Math.max(0, receivedMillis - at.toEpochMilli());
  }

  synchronized void onLabel(long kafkaTimestamp) {
    second(kafkaTimestamp)[2]++;
  }

  synchronized void onDeadLetter(DeadLetter dead, long kafkaTimestamp) {
    deadLetters++;
    deadLettersByReason.merge(dead.getReasonCode(), 1L, Long::sum);
    samples.addFirst(
        new DeadLetterSample(
            dead.getReasonCode(),
            dead.getReason(),
            dead.getStage(),
            dead.getSourceTopic(),
            dead.getSourcePartition(),
            dead.getSourceOffset(),
            dead.getRejectedAt()));
    while (samples.size() > DLQ_SAMPLES) {
      samples.removeLast();
    }
    second(kafkaTimestamp)[1]++;
  }

  synchronized void onAnnouncement(ModelAnnouncement a) {
    if (a.getMetrics().keySet().stream().anyMatch(TaskState::regressionMetric)) {
      regression = true;
    }
    announcements.put(
        a.getVersion(),
        new AnnouncementView(
            a.getVersion(),
            a.getStatus().name(),
            new TreeMap<>(a.getMetrics()),
            a.getAnnouncedAt()));
  }

  synchronized void onQuality(String version, Map<String, Object> record) {
    if (record.get("rmse") != null || record.get("rmspe") != null) {
      regression = true;
    }
    quality.put(version, record);
  }

  synchronized void onDrift(Map<String, Object> record) {
    drift.addFirst(record);
    while (drift.size() > DRIFT_EVENTS) {
      drift.removeLast();
    }
  }

  /** A metric only a regression head has (the trainer's names: rmse, rmspe, rmsle). */
  static boolean regressionMetric(CharSequence name) {
    String n = name.toString().toLowerCase(java.util.Locale.ROOT);
    return n.equals("rmse") || n.equals("rmspe") || n.equals("rmsle");
  }

  private long[] second(long timestampMillis) {
    long sec = Math.floorDiv(timestampMillis, 1000L);
    long[] bucket = perSecond.computeIfAbsent(sec, s -> new long[4]);
    while (!perSecond.isEmpty()
        && perSecond.firstKey() < perSecond.lastKey() - THROUGHPUT_SECONDS) {
      perSecond.pollFirstEntry();
    }
    return bucket;
  }

  /** A consistent copy for one API answer. */
  synchronized Snapshot snapshot(long nowMillis) {
    long nowSec = Math.floorDiv(nowMillis, 1000L);
    List<long[]> series = new ArrayList<>();
    for (var e : perSecond.tailMap(nowSec - THROUGHPUT_SECONDS, true).entrySet()) {
      long[] b = e.getValue();
      series.add(new long[] {e.getKey(), b[0], b[1], b[2], b[3]});
    }
    Map<String, long[]> histograms = new LinkedHashMap<>();
    (regression ? valueHistogramByVersion : histogramByVersion)
        .forEach((v, h) -> histograms.put(v, h.clone()));
    return new Snapshot(
        scores,
        deadLetters,
        latestVersion,
        latestScoreAt,
        latestFallbackReason,
        new LinkedHashMap<>(fallbacksByReason),
        new LinkedHashMap<>(scoresByVersion),
        histograms,
        series,
        new LinkedHashMap<>(deadLettersByReason),
        List.copyOf(samples),
        new ArrayList<>(announcements.values()),
        new LinkedHashMap<>(quality),
        List.copyOf(drift),
        regression);
  }

  record Snapshot(
      long scores,
      long deadLetters,
      String latestVersion,
      Instant latestScoreAt,
      String latestFallbackReason,
      Map<String, Long> fallbacksByReason,
      Map<String, Long> scoresByVersion,
      Map<String, long[]> histogramByVersion,
      List<long[]> perSecond,
      Map<String, Long> deadLettersByReason,
      List<DeadLetterSample> deadLetterSamples,
      List<AnnouncementView> announcements,
      Map<String, Map<String, Object>> quality,
      List<Map<String, Object>> drift,
      boolean regression) {}
}
