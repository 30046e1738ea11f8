package dev.millrace.pipeline.demand;

import java.time.LocalDate;
import java.util.Locale;

/**
 * A store's static attributes, one row of Rossmann's {@code store.csv} (reference data joined to
 * each sales row by store id).
 *
 * @param storeId the store id as the events carry it
 * @param storeType a, b, c or d
 * @param assortment a (basic), b (extra) or c (extended)
 * @param competitionDistance metres to the nearest competitor; NaN when unknown
 * @param competitionOpenSinceMonth month the competitor opened (1-12), 0 when unknown
 * @param competitionOpenSinceYear year the competitor opened, 0 when unknown
 * @param promo2 whether the store takes part in the continuing promotion
 * @param promo2SinceWeek ISO week it started, 0 when none
 * @param promo2SinceYear year it started, 0 when none
 * @param promoInterval months in which promo2 restarts, e.g. {@code Jan,Apr,Jul,Oct}; empty when
 *     none
 */
public record StoreInfo(
    String storeId,
    String storeType,
    String assortment,
    double competitionDistance,
    int competitionOpenSinceMonth,
    int competitionOpenSinceYear,
    boolean promo2,
    int promo2SinceWeek,
    int promo2SinceYear,
    String promoInterval) {

  private static final String[] MONTHS = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec"
  };

  /**
   * Months since the competitor opened, at {@code day} (negative before it opened); NaN when the
   * opening date is unknown.
   */
  public double competitionOpenMonths(LocalDate day) {
    if (competitionOpenSinceYear <= 0 || competitionOpenSinceMonth <= 0) {
      return Double.NaN;
    }
    return (day.getYear() - competitionOpenSinceYear) * 12.0
        + (day.getMonthValue() - competitionOpenSinceMonth);
  }

  /**
   * Whether a competitor is open at {@code day}: known distance and an opening date before it (an
   * unknown opening date with a known distance counts as open, the competitor being there when the
   * data starts).
   */
  public boolean competitionOpen(LocalDate day) {
    if (Double.isNaN(competitionDistance)) {
      return false;
    }
    double months = competitionOpenMonths(day);
    return Double.isNaN(months) || months >= 0;
  }

  /** Whether promo2 runs at {@code day} and restarts in its month (Rossmann's PromoInterval). */
  public boolean promo2Active(LocalDate day) {
    if (!promo2 || promoInterval.isEmpty()) {
      return false;
    }
    int week = day.get(java.time.temporal.IsoFields.WEEK_OF_WEEK_BASED_YEAR);
    if (day.getYear() < promo2SinceYear
        || (day.getYear() == promo2SinceYear && week < promo2SinceWeek)) {
      return false;
    }
    String month = MONTHS[day.getMonthValue() - 1].toLowerCase(Locale.ROOT);
    for (String m : promoInterval.split(",")) {
      if (m.trim().toLowerCase(Locale.ROOT).equals(month)) {
        return true;
      }
    }
    return false;
  }
}
