package dev.millrace.scorer.flink;

import dev.millrace.schemas.Task;
import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * How the scoring operator of one task's job behaves: micro-batch size, the longest a buffered
 * event may wait (processing time) and the declared fallback used before any model exists.
 *
 * <pre>{@code
 * ScoringSettings settings = ScoringSettings.defaults(Task.FRAUD).withBatchSize(128);
 * }</pre>
 *
 * @param task the task whose model announcements are applied; others are ignored
 * @param batchSize events per model call (at least 1)
 * @param maxWait longest an event waits in the buffer before the batch is flushed (positive)
 * @param fallback the prediction given while no model has been applied
 */
public record ScoringSettings(Task task, int batchSize, Duration maxWait, Fallback fallback)
    implements Serializable {

  public static final int DEFAULT_BATCH_SIZE = 64;
  public static final Duration DEFAULT_MAX_WAIT = Duration.ofMillis(50);

  public ScoringSettings {
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(maxWait, "maxWait");
    Objects.requireNonNull(fallback, "fallback");
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
    }
    if (maxWait.isNegative() || maxWait.isZero()) {
      throw new IllegalArgumentException("max wait must be positive, got " + maxWait);
    }
  }

  /** Batch size 64, max wait 50 ms, fallback 0.0 labelled {@code fallback}. */
  public static ScoringSettings defaults(Task task) {
    return new ScoringSettings(task, DEFAULT_BATCH_SIZE, DEFAULT_MAX_WAIT, Fallback.DEFAULT);
  }

  public ScoringSettings withBatchSize(int newBatchSize) {
    return new ScoringSettings(task, newBatchSize, maxWait, fallback);
  }

  public ScoringSettings withMaxWait(Duration newMaxWait) {
    return new ScoringSettings(task, batchSize, newMaxWait, fallback);
  }

  public ScoringSettings withFallback(Fallback newFallback) {
    return new ScoringSettings(task, batchSize, maxWait, newFallback);
  }

  /**
   * The declared behaviour before any model exists: a constant prediction, named in each score by
   * {@code version}.
   */
  public record Fallback(double prediction, String version) implements Serializable {

    public static final String DEFAULT_VERSION = "fallback";
    public static final Fallback DEFAULT = new Fallback(0.0, DEFAULT_VERSION);

    public Fallback {
      Objects.requireNonNull(version, "version");
      if (version.isBlank()) {
        throw new IllegalArgumentException("the fallback needs a version label");
      }
      if (!Double.isFinite(prediction)) {
        throw new IllegalArgumentException("the fallback prediction must be finite");
      }
    }

    /** A constant prediction labelled {@code fallback}. */
    public static Fallback constant(double prediction) {
      return new Fallback(prediction, DEFAULT_VERSION);
    }
  }
}
