package dev.millrace.ingest;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The time bounds every event must fall in: not before {@code earliest} and not more than {@code
 * maxAheadOfWallClock} after the validating machine's clock.
 */
public record ValidationRules(Instant earliest, Duration maxAheadOfWallClock) {

  /** 2000-01-01T00:00:00Z. */
  public static final Instant DEFAULT_EARLIEST = Instant.parse("2000-01-01T00:00:00Z");

  /** One day. */
  public static final Duration DEFAULT_MAX_AHEAD = Duration.ofDays(1);

  public ValidationRules {
    Objects.requireNonNull(earliest, "earliest");
    Objects.requireNonNull(maxAheadOfWallClock, "maxAheadOfWallClock");
    if (maxAheadOfWallClock.isNegative()) {
      throw new IllegalArgumentException(
          "maxAheadOfWallClock must not be negative: " + maxAheadOfWallClock);
    }
  }

  /** Earliest 2000-01-01T00:00:00Z, at most one day ahead of the wall clock. */
  public static ValidationRules defaults() {
    return new ValidationRules(DEFAULT_EARLIEST, DEFAULT_MAX_AHEAD);
  }

  /** The latest event time accepted when the wall clock reads {@code wallClockNow}. */
  public Instant latest(Instant wallClockNow) {
    return wallClockNow.plus(maxAheadOfWallClock);
  }
}
