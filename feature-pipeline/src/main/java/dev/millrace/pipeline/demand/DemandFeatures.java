package dev.millrace.pipeline.demand;

import dev.millrace.schemas.demand.NextOpenDay;
import dev.millrace.scorer.FeatureSchema;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demand features of a store's next open day, in {@link #NAMES} order. Categorical features
 * (embedded by the net) hold the index of their value in {@link #vocabularies}; an unknown value
 * gets -1, which the model maps to its reserved out-of-vocabulary index. The target day's calendar,
 * promotion and holiday fields come from the plan ({@link NextOpenDay}, known in advance), the
 * store's attributes from {@link StoreTable}, the recent sales from {@link StoreSalesHistory} (open
 * days up to and including the scoring day). The target day's sales and customers are never an
 * input: they are its label.
 */
public final class DemandFeatures {

  /** Categorical features, in order; each has a vocabulary. */
  public static final List<String> CATEGORICAL =
      List.of(
          "store",
          "day_of_week",
          "month",
          "day_of_month",
          "promo",
          "state_holiday",
          "school_holiday",
          "store_type",
          "assortment",
          "promo2",
          "promo2_active",
          "competition_open");

  /** Numeric features, in order, after the categorical ones. */
  public static final List<String> NUMERIC =
      List.of(
          "competition_distance",
          "competition_open_months",
          "days_ahead",
          "last_log_sales",
          "mean_log_sales_7",
          "mean_log_sales_28",
          "same_weekday_last_week_log_sales",
          "promo_uplift",
          "open_days_kept");

  /** Every feature: {@link #CATEGORICAL} then {@link #NUMERIC}. */
  public static final List<String> NAMES = concat(CATEGORICAL, NUMERIC);

  /** The feature schema of the store-day demand task. */
  public static final FeatureSchema SCHEMA = new FeatureSchema(NAMES);

  /** Its fingerprint, as vectors and models carry it. */
  public static final String FINGERPRINT = SCHEMA.fingerprint();

  private static final List<String> BOOL = List.of("0", "1");

  private DemandFeatures() {}

  /** The vocabulary of each categorical feature; the stores' is the table's ids in file order. */
  public static Map<String, List<String>> vocabularies(StoreTable stores) {
    Map<String, List<String>> v = new LinkedHashMap<>();
    v.put("store", stores.storeIds());
    v.put("day_of_week", range(1, 7));
    v.put("month", range(1, 12));
    v.put("day_of_month", range(1, 31));
    v.put("promo", BOOL);
    v.put("state_holiday", List.of("0", "a", "b", "c"));
    v.put("school_holiday", BOOL);
    v.put("store_type", List.of("a", "b", "c", "d"));
    v.put("assortment", List.of("a", "b", "c"));
    v.put("promo2", BOOL);
    v.put("promo2_active", BOOL);
    v.put("competition_open", BOOL);
    return v;
  }

  /**
   * The features of the target day {@code today + plan.daysAhead}.
   *
   * @param storeIndex the store's index in {@link StoreTable#storeIds()}
   * @param history the store's open days up to and including {@code today}
   */
  public static float[] compute(
      int storeIndex,
      StoreInfo store,
      LocalDate today,
      NextOpenDay plan,
      StoreSalesHistory history) {
    LocalDate target = today.plusDays(plan.getDaysAhead());
    float[] f = new float[NAMES.size()];
    int i = 0;
    f[i++] = storeIndex;
    f[i++] = index(plan.getDayOfWeek(), 1, 7);
    f[i++] = target.getMonthValue() - 1;
    f[i++] = target.getDayOfMonth() - 1;
    f[i++] = plan.getPromo() ? 1 : 0;
    f[i++] = stateHoliday(plan.getStateHoliday());
    f[i++] = plan.getSchoolHoliday() ? 1 : 0;
    f[i++] = "abcd".indexOf(single(store.storeType()));
    f[i++] = "abc".indexOf(single(store.assortment()));
    f[i++] = store.promo2() ? 1 : 0;
    f[i++] = store.promo2Active(target) ? 1 : 0;
    f[i++] = store.competitionOpen(target) ? 1 : 0;
    f[i++] = (float) store.competitionDistance();
    f[i++] = (float) store.competitionOpenMonths(target);
    f[i++] = plan.getDaysAhead();
    f[i++] = (float) history.lastLogSales();
    f[i++] = (float) history.meanLogSales(7);
    f[i++] = (float) history.meanLogSales(StoreSalesHistory.CAPACITY);
    f[i++] = (float) history.logSalesOn(target.toEpochDay() - 7);
    f[i++] = (float) history.promoUplift();
    f[i++] = history.count;
    return f;
  }

  /** Index of a state holiday code (0, a, b, c), -1 when unknown; null counts as 0. */
  static int stateHoliday(CharSequence code) {
    String c = code == null ? "0" : code.toString().trim();
    return switch (c) {
      case "0", "" -> 0;
      case "a" -> 1;
      case "b" -> 2;
      case "c" -> 3;
      default -> -1;
    };
  }

  private static char single(String s) {
    return s.length() == 1 ? s.charAt(0) : '?';
  }

  private static int index(int value, int from, int to) {
    return value >= from && value <= to ? value - from : -1;
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
