package dev.millrace.trainer;

import java.time.Duration;
import java.time.Instant;

/**
 * A snapshot of the trainer service for status lines and the dashboard.
 *
 * @param task lower-case task name
 * @param state what the service is doing
 * @param examplesConsumed training examples read and accepted into the window
 * @param examplesRejected examples refused (wrong feature schema, bad values, unreadable)
 * @param windowRows rows in the training window now
 * @param windowPositives positive rows in the window
 * @param newExamples examples since the last run started
 * @param runsStarted runs started since the service started
 * @param runsCompleted runs finished (any decision)
 * @param training whether a run is in progress
 * @param championVersion the current champion's version, or null
 * @param lastRun the last finished run, or null
 * @param lastError the last error of the consuming loop, or null
 * @param regression whether the task's model is a regression (its window has targets, not
 *     positives, and the line does not count positives)
 */
public record TrainerStatus(
    String task,
    State state,
    long examplesConsumed,
    long examplesRejected,
    int windowRows,
    long windowPositives,
    long newExamples,
    long runsStarted,
    long runsCompleted,
    boolean training,
    String championVersion,
    TrainingRecord lastRun,
    String lastError,
    boolean regression) {

  /** The status of a binary task's trainer. */
  public TrainerStatus(
      String task,
      State state,
      long examplesConsumed,
      long examplesRejected,
      int windowRows,
      long windowPositives,
      long newExamples,
      long runsStarted,
      long runsCompleted,
      boolean training,
      String championVersion,
      TrainingRecord lastRun,
      String lastError) {
    this(
        task,
        state,
        examplesConsumed,
        examplesRejected,
        windowRows,
        windowPositives,
        newExamples,
        runsStarted,
        runsCompleted,
        training,
        championVersion,
        lastRun,
        lastError,
        false);
  }

  /** Life cycle of the service. */
  public enum State {
    STARTING,
    RUNNING,
    STOPPED,
    FAILED
  }

  /** One line for a terminal status display. */
  public String line(Instant now) {
    StringBuilder s = new StringBuilder();
    s.append("trainer ")
        .append(task)
        .append(": ")
        .append(state == State.RUNNING ? (training ? "training" : "waiting") : state)
        .append(", window ")
        .append(windowRows)
        .append(regression ? " rows, " : " rows / " + windowPositives + " positives, ")
        .append(examplesConsumed)
        .append(" examples read");
    if (examplesRejected > 0) {
      s.append(" (").append(examplesRejected).append(" rejected)");
    }
    s.append(", champion ").append(championVersion == null ? "none" : championVersion);
    if (lastRun != null) {
      s.append(", last run ").append(lastRun.decision());
      Double metric =
          lastRun.challengerMetrics() == null
              ? null
              : lastRun.challengerMetrics().get(lastRun.promotionMetric());
      if (metric != null) {
        s.append(String.format(" %s=%.3f", lastRun.promotionMetric(), metric));
      }
      if (lastRun.promotionInterval() != null) {
        s.append(" ").append(lastRun.intervalText());
      }
      if (lastRun.finishedAt() != null) {
        s.append(" ")
            .append(Duration.between(lastRun.finishedAt(), now).toSeconds())
            .append(" s ago");
      }
    }
    if (lastError != null) {
      s.append(", error: ").append(lastError);
    }
    return s.toString();
  }
}
