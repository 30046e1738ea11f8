package dev.millrace.ops;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import picocli.CommandLine;

/**
 * Parses points in time, all in UTC: a date ({@code 2018-07-25} = its midnight), a date and time
 * ({@code 2018-07-25T12:00} or {@code 2018-07-25 12:00:00}) or an instant ({@code
 * 2018-07-25T12:00:00Z}, {@code 2018-07-25T14:00:00+02:00}).
 */
public final class TimeConverter implements CommandLine.ITypeConverter<Instant> {

  @Override
  public Instant convert(String value) {
    try {
      return parse(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }

  public static Instant parse(String value) {
    String v = value == null ? "" : value.trim().replace(' ', 'T');
    try {
      return Instant.parse(v);
    } catch (DateTimeParseException notInstant) {
      // try the local forms below
    }
    try {
      return LocalDateTime.parse(v).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException notDateTime) {
      // try a date
    }
    try {
      return LocalDate.parse(v).atStartOfDay().toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "'"
              + value
              + "' is not a time: use e.g. 2018-07-25, 2018-07-25T12:00 or 2018-07-25T12:00:00Z"
              + " (UTC)");
    }
  }
}
