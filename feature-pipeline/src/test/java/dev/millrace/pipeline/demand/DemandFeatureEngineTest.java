package dev.millrace.pipeline.demand;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.millrace.schemas.demand.DemandObservation;
import dev.millrace.schemas.demand.NextOpenDay;
import dev.millrace.schemas.demand.StoreDaySales;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The demand features on a tiny hand-made series, checked against values computed by hand. */
class DemandFeatureEngineTest {

  static final String STORES =
      """
      Store,StoreType,Assortment,CompetitionDistance,CompetitionOpenSinceMonth,CompetitionOpenSinceYear,Promo2,Promo2SinceWeek,Promo2SinceYear,PromoInterval
      1,c,a,1270,9,2008,0,,,
      2,a,a,570,11,2007,1,13,2010,"Jan,Apr,Jul,Oct"
      """;

  static StoreTable stores() throws Exception {
    return StoreTable.read(new ByteArrayInputStream(STORES.getBytes(StandardCharsets.UTF_8)));
  }

  static final LocalDate MON = LocalDate.of(2015, 3, 2);

  static DemandObservation row(
      String store, int day, boolean open, double sales, boolean promo, NextOpenDay plan) {
    LocalDate date = MON.plusDays(day);
    return DemandObservation.newBuilder()
        .setSeriesId(store)
        .setEventTime(date.atStartOfDay().toInstant(ZoneOffset.UTC))
        .setObservation(
            StoreDaySales.newBuilder()
                .setStoreId(store)
                .setDayOfWeek(date.getDayOfWeek().getValue())
                .setSales(sales)
                .setCustomers(null)
                .setOpen(open)
                .setPromo(promo)
                .setStateHoliday("0")
                .setSchoolHoliday(false)
                .setNextOpenDay(plan)
                .build())
        .build();
  }

  static NextOpenDay plan(int daysAhead, int dow, boolean promo, String holiday, boolean school) {
    return new NextOpenDay(daysAhead, dow, promo, holiday, school);
  }

  static float l(double sales) {
    return (float) Math.log1p(sales);
  }

  static int at(String name) {
    return DemandFeatures.NAMES.indexOf(name);
  }

  @Test
  void featuresLabelsAndClosedDaysOnAHandMadeSeries() throws Exception {
    DemandFeatureEngine engine = new DemandFeatureEngine(stores());

    // Mon: open, scored for Tue
    DemandFeatureEngine.Step mon =
        engine.onDay(row("1", 0, true, 1000, true, plan(1, 2, true, "0", false)));
    assertThat(mon.scored()).isNotNull();
    assertThat(mon.targetDay()).isEqualTo(MON.plusDays(1).toEpochDay());
    assertThat(mon.labelled()).isNull();
    assertThat(mon.scored()[at("last_log_sales")]).isEqualTo(l(1000));
    assertThat(mon.scored()[at("same_weekday_last_week_log_sales")]).isNaN();
    assertThat(mon.scored()[at("promo_uplift")]).isNaN();

    // Tue: open, labels Monday's forecast with its own sales, scored for Wed
    DemandFeatureEngine.Step tue =
        engine.onDay(row("1", 1, true, 2000, true, plan(1, 3, false, "0", false)));
    assertThat(tue.labelled().sales()).isEqualTo(2000);
    assertThat(tue.labelled().features()).isSameAs(mon.scored());
    assertThat(tue.labelled().scoredDay()).isEqualTo(MON.toEpochDay());
    assertThat(tue.labelled().targetDay()).isEqualTo(MON.plusDays(1).toEpochDay());

    // Wed: open but no sales: not scored, not a label, the forecast for it is dropped
    DemandFeatureEngine.Step wed =
        engine.onDay(row("1", 2, true, 0, false, plan(1, 4, false, "0", false)));
    assertThat(wed.scored()).isNull();
    assertThat(wed.labelled()).isNull();
    assertThat(engine.history("1").pendingFeatures).isNull();
    assertThat(engine.history("1").count).isEqualTo(2);

    // Thu: open, scored for Sat (Fri is closed)
    DemandFeatureEngine.Step thu =
        engine.onDay(row("1", 3, true, 1500, false, plan(2, 6, false, "0", true)));
    assertThat(thu.labelled()).isNull();
    assertThat(thu.targetDay()).isEqualTo(MON.plusDays(5).toEpochDay());

    // Fri: closed: nothing
    DemandFeatureEngine.Step fri = engine.onDay(row("1", 4, false, 0, false, null));
    assertThat(fri.scored()).isNull();
    assertThat(fri.labelled()).isNull();
    assertThat(engine.history("1").pendingDay).isEqualTo(MON.plusDays(5).toEpochDay());

    // Sat: labels Thursday's forecast, scored for Mon 2015-03-09 (a public holiday, promo)
    DemandFeatureEngine.Step sat =
        engine.onDay(row("1", 5, true, 3000, false, plan(2, 1, true, "a", false)));
    assertThat(sat.labelled().sales()).isEqualTo(3000);
    assertThat(sat.labelled().features()).isSameAs(thu.scored());
    float[] f = sat.scored();
    assertThat(f).hasSize(DemandFeatures.NAMES.size());
    assertThat(f[at("store")]).isEqualTo(0f);
    assertThat(f[at("day_of_week")]).isEqualTo(0f); // Monday
    assertThat(f[at("month")]).isEqualTo(2f); // March
    assertThat(f[at("day_of_month")]).isEqualTo(8f); // the 9th
    assertThat(f[at("promo")]).isEqualTo(1f);
    assertThat(f[at("state_holiday")]).isEqualTo(1f); // a
    assertThat(f[at("school_holiday")]).isEqualTo(0f);
    assertThat(f[at("store_type")]).isEqualTo(2f); // c
    assertThat(f[at("assortment")]).isEqualTo(0f); // a
    assertThat(f[at("promo2")]).isEqualTo(0f);
    assertThat(f[at("promo2_active")]).isEqualTo(0f);
    assertThat(f[at("competition_open")]).isEqualTo(1f);
    assertThat(f[at("competition_distance")]).isEqualTo(1270f);
    assertThat(f[at("competition_open_months")]).isEqualTo(78f); // 2008-09 .. 2015-03
    assertThat(f[at("days_ahead")]).isEqualTo(2f);
    assertThat(f[at("last_log_sales")]).isEqualTo(l(3000));
    float mean = (l(1000) + l(2000) + l(1500) + l(3000)) / 4;
    assertThat(f[at("mean_log_sales_7")]).isCloseTo(mean, within(1e-5f));
    assertThat(f[at("mean_log_sales_28")]).isCloseTo(mean, within(1e-5f));
    assertThat(f[at("same_weekday_last_week_log_sales")]).isEqualTo(l(1000)); // Mon 03-02
    float uplift = (l(1000) + l(2000)) / 2 - (l(1500) + l(3000)) / 2;
    assertThat(f[at("promo_uplift")]).isCloseTo(uplift, within(1e-5f));
    assertThat(f[at("open_days_kept")]).isEqualTo(4f);

    // Mon 03-09: labels Saturday's forecast with its sales; no plan: recorded, not scored
    DemandFeatureEngine.Step mon2 = engine.onDay(row("1", 7, true, 4000, true, null));
    assertThat(mon2.labelled().sales()).isEqualTo(4000);
    assertThat(mon2.labelled().features()).isSameAs(f);
    assertThat(mon2.scored()).isNull();
    assertThat(engine.history("1").pendingFeatures).isNull();
    assertThat(engine.history("1").count).isEqualTo(5);
  }

  @Test
  void aForecastWhoseDayNeverComesIsDroppedWithoutALabel() throws Exception {
    DemandFeatureEngine engine = new DemandFeatureEngine(stores());
    engine.onDay(row("2", 0, true, 500, false, plan(1, 2, false, "0", false)));
    DemandFeatureEngine.Step later = engine.onDay(row("2", 3, true, 700, false, null));
    assertThat(later.labelled()).isNull();
    assertThat(engine.history("2").pendingFeatures).isNull();
  }

  @Test
  void unknownStoresDuplicatesAndBadPlansAreRefusedWithoutState() throws Exception {
    DemandFeatureEngine engine = new DemandFeatureEngine(stores());
    DemandFeatureEngine.Step unknown =
        engine.onDay(row("99", 0, true, 500, false, plan(1, 2, false, "0", false)));
    assertThat(unknown.refusal()).isEqualTo(DemandFeatureEngine.UNKNOWN_STORE);
    assertThat(unknown.detail()).contains("99");
    assertThat(engine.history("99")).isNull();

    engine.onDay(row("2", 1, true, 500, false, plan(1, 3, false, "0", false)));
    DemandFeatureEngine.Step again =
        engine.onDay(row("2", 1, true, 900, false, plan(1, 3, false, "0", false)));
    assertThat(again.refusal()).isEqualTo(DemandFeatureEngine.NOT_AFTER_PREVIOUS);
    assertThat(engine.history("2").count).isEqualTo(1);
    assertThat(engine.history("2").logSales[0]).isEqualTo(l(500));

    DemandFeatureEngine.Step bad =
        engine.onDay(row("2", 2, true, 900, false, plan(0, 3, false, "0", false)));
    assertThat(bad.refusal()).isEqualTo(DemandFeatureEngine.BAD_PLAN);
    assertThat(engine.history("2").count).isEqualTo(1);
  }

  @Test
  void theHistoryKeepsTheLast28OpenDaysAndPromo2FollowsItsInterval() throws Exception {
    StoreSalesHistory h = new StoreSalesHistory();
    for (int d = 0; d < 40; d++) {
      h.addOpenDay(d, d + 1, d % 2 == 0);
    }
    assertThat(h.count).isEqualTo(StoreSalesHistory.CAPACITY);
    assertThat(h.days[0]).isEqualTo(12);
    assertThat(h.meanLogSales(7))
        .isCloseTo(
            java.util.stream.IntStream.rangeClosed(34, 40)
                .mapToDouble(Math::log1p)
                .average()
                .getAsDouble(),
            within(1e-5));
    StoreInfo s2 = stores().get("2");
    assertThat(s2.promo2Active(LocalDate.of(2015, 4, 10))).isTrue();
    assertThat(s2.promo2Active(LocalDate.of(2015, 5, 10))).isFalse();
    assertThat(s2.promo2Active(LocalDate.of(2010, 1, 10))).isFalse(); // before week 13 of 2010
    assertThat(DemandFeatures.vocabularies(stores()).get("store")).isEqualTo(List.of("1", "2"));
  }
}
