package dev.millrace.pipeline;

import java.time.Duration;
import java.util.Objects;

/** Checks of duration settings, with the setting's name in the message. */
public final class DurationChecks {

  private DurationChecks() {}

  /** Throws unless {@code d} is set and longer than zero. */
  public static void positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
  }

  /** Throws unless {@code d} is set and not negative. */
  public static void notNegative(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative, got " + d);
    }
  }
}
