package dev.millrace.trainer;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.millrace.trainer.eval.PairedBootstrap;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One line of the training history: what one run saw, measured and decided. Fields that do not
 * apply to a run (metrics of a skipped run, the champion of the first run) are null.
 *
 * @param runId unique id of the run
 * @param task lower-case task name
 * @param version the challenger's version name (also for runs that produced no model)
 * @param trigger why the run started (retrain policy)
 * @param windowStart event time of the oldest example of the window
 * @param windowEnd event time of the newest example
 * @param evalStart event time at which the evaluation slice starts
 * @param challengerMetrics the challenger on the evaluation slice
 * @param championVersion the champion it was compared with
 * @param championMetrics the champion on the same slice
 * @param baseline the no-skill value of the promotion metric on the slice
 * @param decision the outcome; {@code reason} says why in one sentence
 * @param artifactUri where the bundle was stored (promoted runs)
 * @param sha256 SHA-256 of the stored bundle
 * @param evalGapMillis the gap between the training part and the evaluation slice: training rows
 *     are earlier than {@code evalStart - evalGap}
 * @param gapRows rows of the window inside the gap, in neither part
 * @param knownPositiveRowsRemoved evaluation rows removed because their entity was known positive
 *     before {@code evalStart}
 * @param promotionInterval the bootstrap interval of the promotion metric's difference, challenger
 *     minus champion (or minus the no-skill baseline for a first model)
 * @param seedCheckInterval the same interval for the challenger's training repeated with another
 *     seed, when the first interval cleared the bar against a champion
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record TrainingRecord(
    String runId,
    String task,
    String version,
    String trigger,
    Instant startedAt,
    Instant finishedAt,
    long durationMillis,
    Instant windowStart,
    Instant windowEnd,
    Instant evalStart,
    int trainRows,
    long trainPositives,
    int evalRows,
    long evalPositives,
    Map<String, Double> challengerMetrics,
    String championVersion,
    Map<String, Double> championMetrics,
    String promotionMetric,
    double promotionMargin,
    Double baseline,
    RunDecision decision,
    String reason,
    String device,
    List<Double> epochLosses,
    Long trainingMillis,
    String artifactUri,
    String sha256,
    Long evalGapMillis,
    Integer gapRows,
    Integer knownPositiveRowsRemoved,
    PairedBootstrap.Interval promotionInterval,
    PairedBootstrap.Interval seedCheckInterval) {

  /**
   * {@code Δ +0.0140 [90% CI -0.0060, +0.0330]} (and the seed check's, when there was one), or null
   * when the run computed no interval.
   */
  public String intervalText() {
    if (promotionInterval == null) {
      return null;
    }
    return seedCheckInterval == null
        ? promotionInterval.text()
        : promotionInterval.text() + ", seed check " + seedCheckInterval.text();
  }
}
