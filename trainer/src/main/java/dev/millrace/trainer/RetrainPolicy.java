package dev.millrace.trainer;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * When to retrain: after every {@code everyExamples} new examples, or when {@code every} of
 * wall-clock time has passed since the last run and at least one new example arrived, whichever
 * comes first; or at once when someone asks for an early retrain (e.g. a drift detector). Thread-
 * safe.
 */
public final class RetrainPolicy {

  private final long everyExamples;
  private final Duration every;
  private final Clock clock;

  private long newExamples;
  private Instant lastRun;
  private String earlyReason;

  /**
   * @param everyExamples retrain after this many new examples (must be >= 1)
   * @param every retrain after this much wall-clock time (must be positive)
   * @param clock wall clock; tests pass a controllable one
   */
  public RetrainPolicy(long everyExamples, Duration every, Clock clock) {
    if (everyExamples < 1) {
      throw new IllegalArgumentException(
          "retrain-every-examples must be >= 1, not " + everyExamples);
    }
    if (every.isNegative() || every.isZero()) {
      throw new IllegalArgumentException("the retrain interval must be positive, not " + every);
    }
    this.everyExamples = everyExamples;
    this.every = every;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.lastRun = clock.instant();
  }

  public RetrainPolicy(long everyExamples, Duration every) {
    this(everyExamples, every, Clock.systemUTC());
  }

  /** Counts newly arrived examples. */
  public synchronized void recordExamples(long count) {
    newExamples += count;
  }

  /** Asks for a retrain at the next check, regardless of counts and time (e.g. on drift). */
  public synchronized void requestEarlyRetrain(String reason) {
    earlyReason = reason == null || reason.isBlank() ? "early retrain requested" : reason;
  }

  public synchronized long newExamples() {
    return newExamples;
  }

  /** The reason to retrain now, or empty when it is not yet time. */
  public synchronized Optional<String> due() {
    if (earlyReason != null) {
      return Optional.of("early: " + earlyReason);
    }
    if (newExamples >= everyExamples) {
      return Optional.of(newExamples + " new examples (every " + everyExamples + ")");
    }
    Duration since = Duration.between(lastRun, clock.instant());
    if (newExamples > 0 && since.compareTo(every) >= 0) {
      return Optional.of(
          since.toSeconds() + " s since the last run (every " + every.toSeconds() + " s)");
    }
    return Optional.empty();
  }

  /** A run starts: counting begins afresh and the early request is consumed. */
  public synchronized void runStarted() {
    newExamples = 0;
    earlyReason = null;
    lastRun = clock.instant();
  }
}
