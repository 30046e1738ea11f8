package dev.millrace.ingest.demand;

import dev.millrace.schemas.demand.DemandObservation;
import dev.millrace.schemas.demand.NextOpenDay;
import dev.millrace.schemas.demand.StoreDaySales;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.IsoFields;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Seeded synthetic store-day sales in Rossmann's shape, as an endless iterator in event-time order
 * (the demo's demand events): every day one row per store, stores in id order.
 *
 * <ul>
 *   <li>A store's sales are its base (3,000 to 12,000, larger for store type b), times a weekday
 *       pattern (Monday high, Saturday low), times 1.25 on promotion days (Monday to Friday of odd
 *       ISO weeks), times a slow yearly wave, times noise (±8 %).
 *   <li>Sundays are closed (sales 0, not scored); school holidays in July and August lift sales by
 *       5 %.
 *   <li>Each row carries the plan of the store's next open day (days ahead, weekday, promotion,
 *       holidays), as {@code replay demand} does for Rossmann.
 * </ul>
 *
 * <p>{@link #storeCsv()} is the matching reference data in Rossmann's {@code store.csv} columns,
 * for the demand job ({@code --stores}) and the trainer's store vocabulary.
 */
public final class DemandGenerator implements Iterator<DemandObservation> {

  /**
   * Generator parameters.
   *
   * @param seed random seed
   * @param stores number of stores, 1 to 1,000
   * @param start the first day
   */
  public record Settings(long seed, int stores, LocalDate start) {

    public Settings {
      if (stores < 1 || stores > 1_000) {
        throw new IllegalArgumentException("need 1 to 1,000 stores, got " + stores);
      }
      Objects.requireNonNull(start, "start");
    }

    /** Seed 42, 50 stores from 2014-01-01. */
    public static Settings defaults() {
      return new Settings(42, 50, LocalDate.parse("2014-01-01"));
    }

    public Settings withSeed(long newSeed) {
      return new Settings(newSeed, stores, start);
    }

    public Settings withStores(int newStores) {
      return new Settings(seed, newStores, start);
    }
  }

  private final Settings settings;
  private final SplittableRandom random;
  private final double[] base;
  private final ArrayDeque<DemandObservation> today = new ArrayDeque<>();
  private LocalDate day;

  public DemandGenerator(Settings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.random = new SplittableRandom(settings.seed());
    this.base = new double[settings.stores() + 1];
    for (int s = 1; s <= settings.stores(); s++) {
      base[s] = (3_000 + random.nextDouble() * 9_000) * (storeType(s).equals("b") ? 1.6 : 1.0);
    }
    this.day = settings.start();
  }

  private static String storeType(int store) {
    return switch (store % 4) {
      case 0 -> "a";
      case 1 -> "b";
      case 2 -> "c";
      default -> "d";
    };
  }

  /** Rossmann's {@code store.csv} for the generated stores. */
  public String storeCsv() {
    StringBuilder b =
        new StringBuilder(
            "Store,StoreType,Assortment,CompetitionDistance,CompetitionOpenSinceMonth,"
                + "CompetitionOpenSinceYear,Promo2,Promo2SinceWeek,Promo2SinceYear,PromoInterval\n");
    for (int s = 1; s <= settings.stores(); s++) {
      b.append(s)
          .append(',')
          .append(storeType(s))
          .append(',')
          .append(s % 3 == 0 ? "c" : "a")
          .append(',')
          .append(100 + (s * 379) % 20_000)
          .append(",9,2008,0,,,\n");
    }
    return b.toString();
  }

  static boolean open(LocalDate d) {
    return d.getDayOfWeek() != DayOfWeek.SUNDAY;
  }

  static boolean promo(LocalDate d) {
    return open(d)
        && d.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR) % 2 == 1
        && d.getDayOfWeek().getValue() <= 5;
  }

  static boolean schoolHoliday(LocalDate d) {
    return d.getMonthValue() == 7 || d.getMonthValue() == 8;
  }

  private double sales(int store, LocalDate d) {
    double weekday = 1.15 - 0.05 * (d.getDayOfWeek().getValue() - 1);
    double season = 1 + 0.1 * Math.sin(2 * Math.PI * d.getDayOfYear() / 365.0);
    double value =
        base[store]
            * weekday
            * (promo(d) ? 1.25 : 1.0)
            * (schoolHoliday(d) ? 1.05 : 1.0)
            * season
            * (0.92 + 0.16 * random.nextDouble());
    return Math.rint(value);
  }

  @Override
  public boolean hasNext() {
    return true;
  }

  @Override
  public DemandObservation next() {
    if (today.isEmpty()) {
      for (int s = 1; s <= settings.stores(); s++) {
        today.add(row(s, day));
      }
      day = day.plusDays(1);
    }
    return today.poll();
  }

  private DemandObservation row(int store, LocalDate d) {
    boolean isOpen = open(d);
    LocalDate next = d.plusDays(1);
    while (!open(next)) {
      next = next.plusDays(1);
    }
    return DemandObservation.newBuilder()
        .setSeriesId(Integer.toString(store))
        .setEventTime(d.atStartOfDay().toInstant(ZoneOffset.UTC))
        .setObservation(
            StoreDaySales.newBuilder()
                .setStoreId(Integer.toString(store))
                .setDayOfWeek(d.getDayOfWeek().getValue())
                .setSales(isOpen ? sales(store, d) : 0.0)
                .setCustomers(null)
                .setOpen(isOpen)
                .setPromo(promo(d))
                .setStateHoliday("0")
                .setSchoolHoliday(schoolHoliday(d))
                .setNextOpenDay(
                    NextOpenDay.newBuilder()
                        .setDaysAhead((int) (next.toEpochDay() - d.toEpochDay()))
                        .setDayOfWeek(next.getDayOfWeek().getValue())
                        .setPromo(promo(next))
                        .setStateHoliday("0")
                        .setSchoolHoliday(schoolHoliday(next))
                        .build())
                .build())
        .build();
  }
}
