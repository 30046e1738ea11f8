package dev.millrace.pipeline.demand;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.millrace.schemas.demand.DemandObservation;
import dev.millrace.schemas.demand.HourlyCount;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The bike-sharing next-hour features on a hand-made series. */
class BikeFeatureEngineTest {

  static final LocalDateTime START = LocalDateTime.of(2012, 3, 5, 0, 0); // a Monday

  static DemandObservation hour(int h, int count, boolean holiday, boolean working) {
    return DemandObservation.newBuilder()
        .setSeriesId("system")
        .setEventTime(START.plusHours(h).toInstant(ZoneOffset.UTC))
        .setObservation(
            HourlyCount.newBuilder()
                .setCounterId("system")
                .setHour(START.plusHours(h).getHour())
                .setCount(count)
                .setHoliday(holiday)
                .setWorkingDay(working)
                .setWeatherSituation(2)
                .setTemperature(0.3)
                .setHumidity(0.5)
                .setWindSpeed(0.1)
                .build())
        .build();
  }

  static float at(float[] f, String name) {
    return f[BikeFeatureEngine.NAMES.indexOf(name)];
  }

  @Test
  void lagsLabelsAndGaps() {
    BikeFeatureEngine engine = new BikeFeatureEngine(2011);
    DemandFeatureEngine.Step first = null;
    DemandFeatureEngine.Step step = null;
    // a week and a day of hours with count = 10 + hour index, hour 170 missing
    for (int h = 0; h <= 175; h++) {
      if (h == 170) {
        continue;
      }
      DemandFeatureEngine.Step s = engine.onHour(hour(h, 10 + h, false, true));
      if (h == 0) {
        first = s;
        assertThat(s.labelled()).isNull();
      } else if (h == 171) {
        // the forecast for hour 170 was dropped, the one for 171 (scored at 170) never made
        assertThat(s.labelled()).isNull();
      } else {
        assertThat(s.labelled().sales()).isEqualTo(10 + h);
        assertThat(s.labelled().targetDay()).isEqualTo(s.targetDay() - 1);
      }
      step = s;
    }
    assertThat(at(first.scored(), "count_lag_1")).isEqualTo(10f);
    assertThat(at(first.scored(), "count_lag_24")).isNaN();

    // scored at hour 175 (Monday 2012-03-12 07:00) for 08:00
    float[] f = step.scored();
    assertThat(at(f, "hour")).isEqualTo(8f);
    assertThat(at(f, "weekday")).isEqualTo(0f); // Monday
    assertThat(at(f, "month")).isEqualTo(2f); // March
    assertThat(at(f, "year")).isEqualTo(1f);
    assertThat(at(f, "weather")).isEqualTo(1f);
    assertThat(at(f, "working_day")).isEqualTo(1f);
    assertThat(at(f, "count_lag_1")).isEqualTo(185f);
    assertThat(at(f, "count_lag_24")).isEqualTo(10f + 176 - 24);
    assertThat(at(f, "count_lag_168")).isEqualTo(10f + 176 - 168);
    double mean = 0;
    int n = 0;
    for (int h = 152; h <= 175; h++) {
      if (h != 170) {
        mean += Math.log1p(10 + h);
        n++;
      }
    }
    assertThat((double) at(f, "mean_log_count_24")).isCloseTo(mean / n, within(1e-5));
    assertThat(engine.onHour(hour(175, 1, false, true)).refusal())
        .isEqualTo(BikeFeatureEngine.NOT_AFTER_PREVIOUS);
  }

  @Test
  void atMidnightTheNextDaysFlagsComeFromItsWeekday() {
    BikeFeatureEngine engine = new BikeFeatureEngine(2011);
    // Friday 2012-03-09 23:00 is a holiday; Saturday 00:00 is not a working day
    float[] fri = engine.onHour(hour(4 * 24 + 23, 50, true, false)).scored();
    assertThat(at(fri, "hour")).isEqualTo(0f);
    assertThat(at(fri, "weekday")).isEqualTo(5f);
    assertThat(at(fri, "working_day")).isEqualTo(0f);
    assertThat(at(fri, "holiday")).isEqualTo(0f);
    // the same day: the row's own flags
    float[] sat = engine.onHour(hour(5 * 24, 40, true, false)).scored();
    assertThat(at(sat, "holiday")).isEqualTo(1f);
  }
}
