package dev.millrace.ops;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Parses durations as people type them: {@code 7d}, {@code 12h}, {@code 30m}, {@code 45s}, {@code
 * 250ms}, or ISO-8601 such as {@code PT1H30M}.
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

  private static final Pattern SHORT = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

  @Override
  public Duration convert(String value) {
    try {
      return parse(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }

  /** Parses a duration; throws {@link IllegalArgumentException} with a one-line message. */
  public static Duration parse(String value) {
    String v = value == null ? "" : value.trim();
    if (v.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = SHORT.matcher(v);
    if (m.matches()) {
      long n;
      try {
        n = Long.parseLong(m.group(1));
      } catch (NumberFormatException e) {
        throw bad(value);
      }
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    }
    if (v.toUpperCase().startsWith("P")) {
      try {
        Duration d = Duration.parse(v.toUpperCase());
        if (!d.isNegative()) {
          return d;
        }
      } catch (DateTimeParseException e) {
        throw bad(value);
      }
    }
    throw bad(value);
  }

  private static IllegalArgumentException bad(String value) {
    return new IllegalArgumentException(
        "'" + value + "' is not a duration: use e.g. 7d, 12h, 30m, 45s, 250ms or PT1H30M");
  }
}
