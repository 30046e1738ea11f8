package dev.millrace.pipeline.demand;

import dev.millrace.schemas.demand.DemandObservation;
import dev.millrace.schemas.demand.HourlyCount;
import java.time.DayOfWeek;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bike-sharing demand features outside Flink, with the class the job can keep as keyed state
 * ({@link HourlyCountHistory}): fed a counter's hourly rows in time order, at each row it returns
 * the features of the NEXT hour, and when that hour's row arrives its count becomes the label of
 * the pending vector. An hour that never arrives (gaps in the data) drops its forecast without a
 * label.
 *
 * <p>Inputs: the target hour's calendar (hour of day, weekday, month, year; known in advance), its
 * working-day and holiday flags (those of the current row when the target is the same day; at
 * midnight the next day counts as a working day when it is Monday to Friday and as no holiday,
 * since the row carries only its own day's flags), the current hour's weather, and counts from
 * state: the current hour (lag 1), the target hour a day and a week earlier (lags 24 and 168) and
 * the mean log count of the last 24 hours. Never the target hour's count. Not thread-safe.
 */
public final class BikeFeatureEngine {

  /** Refusal reason: the row's hour is not after the counter's latest row. */
  public static final String NOT_AFTER_PREVIOUS = DemandFeatureEngine.NOT_AFTER_PREVIOUS;

  public static final List<String> CATEGORICAL =
      List.of("hour", "weekday", "month", "working_day", "holiday", "weather");

  public static final List<String> NUMERIC =
      List.of(
          "year",
          "temperature",
          "humidity",
          "wind_speed",
          "count_lag_1",
          "count_lag_24",
          "count_lag_168",
          "mean_log_count_24");

  public static final List<String> NAMES = concat(CATEGORICAL, NUMERIC);

  private static final long HOUR_MS = 3_600_000L;

  private final Map<String, HourlyCountHistory> counters = new HashMap<>();
  private final int firstYear;

  /**
   * @param firstYear the year whose {@code year} feature is 0 (2011 for the UCI data)
   */
  public BikeFeatureEngine(int firstYear) {
    this.firstYear = firstYear;
  }

  /** The vocabularies of the categorical features. */
  public static Map<String, List<String>> vocabularies() {
    Map<String, List<String>> v = new LinkedHashMap<>();
    v.put("hour", range(0, 23));
    v.put("weekday", range(1, 7));
    v.put("month", range(1, 12));
    v.put("working_day", List.of("0", "1"));
    v.put("holiday", List.of("0", "1"));
    v.put("weather", range(1, 4));
    return v;
  }

  /** Processes one hourly row (event time: the start of the hour). */
  public DemandFeatureEngine.Step onHour(DemandObservation observation) {
    if (!(observation.getObservation() instanceof HourlyCount row)) {
      throw new IllegalArgumentException("not an hourly row: " + observation);
    }
    long hour = Math.floorDiv(observation.getEventTime().toEpochMilli(), HOUR_MS);
    HourlyCountHistory h =
        counters.computeIfAbsent(observation.getSeriesId(), id -> new HourlyCountHistory());
    if (hour <= h.lastHour) {
      return DemandFeatureEngine.Step.refused(
          NOT_AFTER_PREVIOUS, "hour " + hour + " is not after " + h.lastHour);
    }
    DemandFeatureEngine.Labelled labelled = null;
    if (h.pendingFeatures != null) {
      if (hour == h.pendingHour) {
        labelled =
            new DemandFeatureEngine.Labelled(
                observation.getSeriesId(),
                h.pendingHour - 1,
                h.pendingHour,
                h.pendingFeatures,
                row.getCount());
      }
      h.pendingFeatures = null;
      h.pendingHour = Long.MIN_VALUE;
    }
    h.add(hour, row.getCount());
    long target = hour + 1;
    float[] f = features(row, hour, target, h);
    h.pendingFeatures = f;
    h.pendingHour = target;
    return new DemandFeatureEngine.Step(f, target, labelled, null, null);
  }

  private float[] features(HourlyCount row, long hour, long target, HourlyCountHistory h) {
    LocalDateTime now = LocalDateTime.ofEpochSecond(hour * 3600, 0, ZoneOffset.UTC);
    LocalDateTime t = LocalDateTime.ofEpochSecond(target * 3600, 0, ZoneOffset.UTC);
    boolean sameDay = t.toLocalDate().equals(now.toLocalDate());
    boolean holiday = sameDay && row.getHoliday();
    boolean working =
        sameDay ? row.getWorkingDay() : t.getDayOfWeek().compareTo(DayOfWeek.FRIDAY) <= 0;
    float[] f = new float[NAMES.size()];
    int i = 0;
    f[i++] = t.getHour();
    f[i++] = t.getDayOfWeek().getValue() - 1;
    f[i++] = t.getMonthValue() - 1;
    f[i++] = working ? 1 : 0;
    f[i++] = holiday ? 1 : 0;
    Integer weather = row.getWeatherSituation();
    f[i++] = weather == null ? -1 : weather - 1;
    f[i++] = t.getYear() - firstYear;
    f[i++] = value(row.getTemperature());
    f[i++] = value(row.getHumidity());
    f[i++] = value(row.getWindSpeed());
    f[i++] = h.count(hour);
    f[i++] = h.count(target - 24);
    f[i++] = h.count(target - 168);
    f[i++] = (float) h.meanLogCount(hour, 24);
    return f;
  }

  private static float value(Double d) {
    return d == null ? Float.NaN : d.floatValue();
  }

  /** The state of a counter, or null before its first row; for tests. */
  public HourlyCountHistory history(String counterId) {
    return counters.get(counterId);
  }

  private static List<String> range(int from, int to) {
    List<String> out = new ArrayList<>();
    for (int v = from; v <= to; v++) {
      out.add(Integer.toString(v));
    }
    return List.copyOf(out);
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return List.copyOf(out);
  }
}
