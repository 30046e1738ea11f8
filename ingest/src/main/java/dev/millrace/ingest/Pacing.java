package dev.millrace.ingest;

import java.util.Locale;

/**
 * How fast a publisher sends: as fast as possible, at an event-time speed-up factor (3600 = one
 * hour of event time per wall-clock second), or at a fixed rate in events per second.
 */
public record Pacing(Mode mode, double value) {

  public enum Mode {
    MAX,
    SPEED,
    RATE
  }

  public Pacing {
    if (mode == null) {
      throw new IllegalArgumentException("pacing mode is required");
    }
    if (mode != Mode.MAX && !(value > 0 && Double.isFinite(value))) {
      throw new IllegalArgumentException(
          mode.name().toLowerCase(Locale.ROOT) + " must be a positive number, got " + value);
    }
  }

  public static Pacing max() {
    return new Pacing(Mode.MAX, 0);
  }

  /** Event time runs {@code factor} times faster than the wall clock. */
  public static Pacing speed(double factor) {
    return new Pacing(Mode.SPEED, factor);
  }

  /** A fixed number of events per wall-clock second. */
  public static Pacing rate(double eventsPerSecond) {
    return new Pacing(Mode.RATE, eventsPerSecond);
  }

  /** Parses {@code max} or a positive speed factor such as {@code 3600}. */
  public static Pacing parseSpeed(String text) {
    String t = text == null ? "" : text.trim();
    if (t.equalsIgnoreCase("max")) {
      return max();
    }
    try {
      return speed(Double.parseDouble(t));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "speed must be 'max' or a positive factor such as 3600, got '" + text + "'");
    }
  }

  @Override
  public String toString() {
    return switch (mode) {
      case MAX -> "max";
      case SPEED -> "speed x" + value;
      case RATE -> value + " events/s";
    };
  }
}
