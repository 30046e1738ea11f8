package dev.millrace.pipeline.task;

import dev.millrace.pipeline.monitoring.MonitoringSettings;
import dev.millrace.scorer.flink.ScoringSettings;
import java.time.Duration;
import java.util.Objects;

/**
 * What the shared job chain needs besides its task, sources and sinks.
 *
 * @param parallelism parallelism of every operator
 * @param outOfOrderness bounded out-of-orderness of event time within a Kafka partition
 * @param idleness a partition without valid events for this long (wall clock) stops holding back
 *     event time
 * @param maxAheadOfStream how far an event may be ahead of its partition's newest accepted event
 *     time before it is dead-lettered; null: no bound
 * @param scoring the scoring operator's settings; their task must be the definition's
 * @param monitoring windows of the prequential quality
 */
public record TaskJobOptions(
    int parallelism,
    Duration outOfOrderness,
    Duration idleness,
    Duration maxAheadOfStream,
    ScoringSettings scoring,
    MonitoringSettings monitoring) {

  public TaskJobOptions {
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be at least 1: " + parallelism);
    }
    Objects.requireNonNull(outOfOrderness, "outOfOrderness");
    Objects.requireNonNull(idleness, "idleness");
    Objects.requireNonNull(scoring, "scoring");
    Objects.requireNonNull(monitoring, "monitoring");
    if (outOfOrderness.isNegative() || idleness.isNegative() || idleness.isZero()) {
      throw new IllegalArgumentException(
          "out-of-orderness must not be negative and idleness must be positive");
    }
  }

  /** With the scoring settings' task defaults: parallelism 1, 5 s out of order, 30 s idleness. */
  public static TaskJobOptions defaults(ScoringSettings scoring) {
    return new TaskJobOptions(
        1,
        Duration.ofSeconds(5),
        Duration.ofSeconds(30),
        null,
        scoring,
        MonitoringSettings.defaults());
  }

  public TaskJobOptions withParallelism(int p) {
    return new TaskJobOptions(p, outOfOrderness, idleness, maxAheadOfStream, scoring, monitoring);
  }

  public TaskJobOptions withMaxAheadOfStream(Duration d) {
    return new TaskJobOptions(parallelism, outOfOrderness, idleness, d, scoring, monitoring);
  }
}
