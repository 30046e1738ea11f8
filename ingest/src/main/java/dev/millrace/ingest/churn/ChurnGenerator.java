package dev.millrace.ingest.churn;

import dev.millrace.schemas.churn.ChurnActivity;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Seeded synthetic purchase lines of a shop's customers, as an endless iterator in event-time order
 * (the demo's churn events).
 *
 * <ul>
 *   <li>Each customer buys with a mean gap between invoices of 3 to 30 days (exponential gaps), 1
 *       to 4 lines per invoice, quantities 1 to 12 at prices of 0.5 to 20, from one of five
 *       countries.
 *   <li>Each customer stops buying for good after an exponential lifetime (mean {@link
 *       Settings#meanLifetime()}): churn, which the job's label rule finds (no purchase within its
 *       horizon). A new customer joins in their place, so the shop keeps its size.
 *   <li>Before stopping, a customer's gaps grow (the last fifth of their lifetime, gaps twice as
 *       long): the signal a churn model can learn from recency and frequency.
 *   <li>About 3 % of invoices are returns: invoice id {@code C...}, negative quantities.
 * </ul>
 *
 * <p>The same settings always give the same sequence. Customer ids are {@code c<n>}.
 */
public final class ChurnGenerator implements Iterator<ChurnActivity> {

  static final List<String> COUNTRIES =
      List.of("United Kingdom", "Germany", "France", "EIRE", "Spain");

  /**
   * Generator parameters.
   *
   * @param seed random seed
   * @param customers customers at any time (each churned one is replaced), at least 1
   * @param start event time the shop opens
   * @param meanLifetime mean time from a customer's first purchase to their last
   */
  public record Settings(long seed, int customers, Instant start, Duration meanLifetime) {

    public Settings {
      if (customers < 1) {
        throw new IllegalArgumentException("need at least one customer, got " + customers);
      }
      Objects.requireNonNull(start, "start");
      if (meanLifetime == null || meanLifetime.isNegative() || meanLifetime.isZero()) {
        throw new IllegalArgumentException("the mean lifetime must be positive: " + meanLifetime);
      }
    }

    /** Seed 42, 1,000 customers from 2011-01-01, a mean lifetime of 240 days. */
    public static Settings defaults() {
      return new Settings(42, 1_000, Instant.parse("2011-01-01T00:00:00Z"), Duration.ofDays(240));
    }

    public Settings withSeed(long newSeed) {
      return new Settings(newSeed, customers, start, meanLifetime);
    }

    public Settings withCustomers(int newCustomers) {
      return new Settings(seed, newCustomers, start, meanLifetime);
    }
  }

  /** A customer's next invoice. */
  private record Due(double day, int customer) {}

  private final SplittableRandom random;
  private final Settings settings;
  private final PriorityQueue<Due> due =
      new PriorityQueue<>(Comparator.comparingDouble(Due::day).thenComparingInt(Due::customer));
  private final ArrayDeque<ChurnActivity> lines = new ArrayDeque<>();
  // per customer id: mean gap (days), first and last purchase day
  private double[] meanGap = new double[0];
  private double[] lastDay = new double[0];
  private double[] born = new double[0];
  private int nextCustomer;
  private long invoices;

  public ChurnGenerator(Settings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.random = new SplittableRandom(settings.seed());
    for (int i = 0; i < settings.customers(); i++) {
      join(random.nextDouble() * 30);
    }
  }

  private void join(double day) {
    int c = nextCustomer++;
    if (c >= meanGap.length) {
      int n = Math.max(16, meanGap.length * 2);
      meanGap = java.util.Arrays.copyOf(meanGap, n);
      lastDay = java.util.Arrays.copyOf(lastDay, n);
      born = java.util.Arrays.copyOf(born, n);
    }
    meanGap[c] = 3 + random.nextDouble() * 27;
    born[c] = day;
    double lifetimeDays = settings.meanLifetime().toSeconds() / 86_400.0;
    lastDay[c] = day + exponential(lifetimeDays);
    due.add(new Due(day, c));
  }

  private double exponential(double mean) {
    return -mean * Math.log(1 - random.nextDouble());
  }

  @Override
  public boolean hasNext() {
    return true;
  }

  @Override
  public ChurnActivity next() {
    while (lines.isEmpty()) {
      invoice();
    }
    return lines.poll();
  }

  private void invoice() {
    Due d = due.poll();
    int c = d.customer();
    String customer = "c" + c;
    String country = COUNTRIES.get(Math.floorMod(c * 31, COUNTRIES.size()));
    boolean isReturn = random.nextDouble() < 0.03;
    String invoice = (isReturn ? "C" : "") + (100_000 + invoices++);
    int n = 1 + random.nextInt(4);
    Instant at = settings.start().plusSeconds(Math.round(d.day() * 86_400));
    for (int i = 0; i < n; i++) {
      int quantity = 1 + random.nextInt(12);
      lines.add(
          ChurnActivity.newBuilder()
              .setCustomerId(customer)
              .setInvoiceId(invoice)
              .setItemId("item-" + random.nextInt(500))
              .setQuantity(isReturn ? -quantity : quantity)
              .setUnitPrice(Math.round((0.5 + random.nextDouble() * 19.5) * 100) / 100.0)
              .setCountry(country)
              .setEventTime(at)
              .build());
    }
    double lifetime = lastDay[c] - born[c];
    double gap = exponential(meanGap[c]);
    if (d.day() > born[c] + 0.8 * lifetime) {
      gap *= 2; // slowing down before leaving
    }
    double next = d.day() + gap;
    if (next <= lastDay[c]) {
      due.add(new Due(next, c));
    } else {
      join(d.day() + exponential(meanGap[c])); // churned: someone new joins
    }
  }
}
