package dev.millrace.ingest.fraud;

import dev.millrace.schemas.fraud.FraudTransaction;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Seeded synthetic card transactions in the shape of the Fraud Detection Handbook's simulator (Le
 * Borgne et al., chapter 3.2), as an endless iterator in event-time order.
 *
 * <ul>
 *   <li>Customers have a home location on a 100x100 grid, a mean spend (uniform 5..100, std = mean
 *       / 2) and a mean number of transactions per day (uniform 0..4, Poisson per day).
 *   <li>Terminals have a location; a customer uses the terminals within a radius of home (5 for
 *       10,000 terminals, scaled up for fewer terminals; the nearest one if none is in reach).
 *   <li>Times of day are normal around noon (std 20,000 s), clipped to the day.
 *   <li>Scenario 1: every amount over 220 is fraud. Scenario 2: each day a few random terminals (2
 *       per 10,000) are compromised; all their transactions in the next 28 days are fraud. Scenario
 *       3: each day a few random customers (3 per 5,000) are compromised; over the next 14 days a
 *       third of their transactions have 5x the amount and are fraud.
 *   <li>Drift: from {@link Settings#driftAt()} on, amounts are {@link #DRIFT_AMOUNT_FACTOR} times
 *       larger and terminals are compromised {@link #DRIFT_TERMINAL_COMPROMISE_FACTOR} times as
 *       often.
 * </ul>
 *
 * <p>The fraud rate is about 0.8 %. The same settings always give the same sequence. Transaction
 * ids count from 0; customer and terminal ids are their indexes as strings, as in the handbook
 * data.
 */
public final class FraudGenerator implements Iterator<LabeledTransaction> {

  public static final double DRIFT_AMOUNT_FACTOR = 1.5;
  public static final double DRIFT_TERMINAL_COMPROMISE_FACTOR = 2.0;
  public static final double SCENARIO_1_THRESHOLD = 220.0;
  public static final Duration TERMINAL_COMPROMISE = Duration.ofDays(28);
  public static final Duration CUSTOMER_COMPROMISE = Duration.ofDays(14);

  private static final long DAY_SECONDS = 86_400;

  /**
   * Generator parameters.
   *
   * @param seed random seed; the same seed gives the same transactions
   * @param customers number of customers (cards), at least 1
   * @param terminals number of terminals, at least 1
   * @param start event time of the start of day 0
   * @param driftAt when spending and the fraud mix shift; null for never
   */
  public record Settings(long seed, int customers, int terminals, Instant start, Instant driftAt) {

    public Settings {
      if (customers < 1 || terminals < 1) {
        throw new IllegalArgumentException(
            "need at least one customer and one terminal, got "
                + customers
                + " customers and "
                + terminals
                + " terminals");
      }
      Objects.requireNonNull(start, "start");
    }

    /**
     * The handbook's size: seed 42, 5,000 customers, 10,000 terminals, from 2018-04-01, no drift.
     */
    public static Settings defaults() {
      return new Settings(42, 5_000, 10_000, Instant.parse("2018-04-01T00:00:00Z"), null);
    }

    public Settings withSeed(long newSeed) {
      return new Settings(newSeed, customers, terminals, start, driftAt);
    }

    public Settings withSize(int newCustomers, int newTerminals) {
      return new Settings(seed, newCustomers, newTerminals, start, driftAt);
    }

    public Settings withStart(Instant newStart) {
      return new Settings(seed, customers, terminals, newStart, driftAt);
    }

    public Settings withDriftAt(Instant newDriftAt) {
      return new Settings(seed, customers, terminals, start, newDriftAt);
    }
  }

  private record Customer(double meanAmount, double stdAmount, double txPerDay, int[] terminals) {}

  private record Pending(long second, int customer, int terminal, double amount) {}

  private final Settings settings;
  private final SplittableRandom random;
  private final Customer[] customers;
  private final long[] terminalCompromisedUntil; // epoch seconds, exclusive
  private final long[] customerCompromisedUntil;
  private final Deque<LabeledTransaction> today = new ArrayDeque<>();
  private long day;
  private long nextId;

  public FraudGenerator(Settings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.random = new SplittableRandom(settings.seed());
    int nt = settings.terminals();
    double[] tx = new double[nt];
    double[] ty = new double[nt];
    // customers first, then terminals, as in the handbook
    int nc = settings.customers();
    double[] cx = new double[nc];
    double[] cy = new double[nc];
    double[] mean = new double[nc];
    double[] perDay = new double[nc];
    for (int c = 0; c < nc; c++) {
      cx[c] = random.nextDouble(0, 100);
      cy[c] = random.nextDouble(0, 100);
      mean[c] = random.nextDouble(5, 100);
      perDay[c] = random.nextDouble(0, 4);
    }
    for (int t = 0; t < nt; t++) {
      tx[t] = random.nextDouble(0, 100);
      ty[t] = random.nextDouble(0, 100);
    }
    double radius = Math.min(50, 5 * Math.sqrt(10_000.0 / nt));
    this.customers = new Customer[nc];
    for (int c = 0; c < nc; c++) {
      List<Integer> near = new ArrayList<>();
      int nearest = 0;
      double best = Double.MAX_VALUE;
      for (int t = 0; t < nt; t++) {
        double d = Math.hypot(cx[c] - tx[t], cy[c] - ty[t]);
        if (d < radius) {
          near.add(t);
        }
        if (d < best) {
          best = d;
          nearest = t;
        }
      }
      int[] usable =
          near.isEmpty() ? new int[] {nearest} : near.stream().mapToInt(i -> i).toArray();
      customers[c] = new Customer(mean[c], mean[c] / 2, perDay[c], usable);
    }
    this.terminalCompromisedUntil = new long[nt];
    this.customerCompromisedUntil = new long[nc];
  }

  public Settings settings() {
    return settings;
  }

  /** Always true: the generator never ends (see {@link #take} and {@link #until}). */
  @Override
  public boolean hasNext() {
    return true;
  }

  @Override
  public LabeledTransaction next() {
    while (today.isEmpty()) {
      generateDay();
    }
    return today.poll();
  }

  /** The next {@code count} transactions of this generator. */
  public Iterator<LabeledTransaction> take(long count) {
    return new Iterator<>() {
      long left = count;

      @Override
      public boolean hasNext() {
        return left > 0;
      }

      @Override
      public LabeledTransaction next() {
        if (left <= 0) {
          throw new NoSuchElementException();
        }
        left--;
        return FraudGenerator.this.next();
      }
    };
  }

  /** This generator's transactions with event time before {@code end}. */
  public Iterator<LabeledTransaction> until(Instant end) {
    return new Iterator<>() {
      LabeledTransaction peeked;
      boolean done;

      @Override
      public boolean hasNext() {
        if (peeked == null && !done) {
          LabeledTransaction candidate = FraudGenerator.this.next();
          if (candidate.eventTime().isBefore(end)) {
            peeked = candidate;
          } else {
            done = true;
          }
        }
        return peeked != null;
      }

      @Override
      public LabeledTransaction next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        LabeledTransaction out = peeked;
        peeked = null;
        return out;
      }
    };
  }

  private void generateDay() {
    long dayStart = settings.start().getEpochSecond() + day * DAY_SECONDS;
    boolean drifted = settings.driftAt() != null && dayStart >= settings.driftAt().getEpochSecond();
    // compromise terminals and customers at the start of the day
    double terminalRate =
        settings.terminals() * 2.0 / 10_000 * (drifted ? DRIFT_TERMINAL_COMPROMISE_FACTOR : 1.0);
    int newTerminals = draws(terminalRate);
    for (int i = 0; i < newTerminals; i++) {
      terminalCompromisedUntil[random.nextInt(settings.terminals())] =
          dayStart + TERMINAL_COMPROMISE.toSeconds();
    }
    int newCustomers = draws(settings.customers() * 3.0 / 5_000);
    for (int i = 0; i < newCustomers; i++) {
      customerCompromisedUntil[random.nextInt(settings.customers())] =
          dayStart + CUSTOMER_COMPROMISE.toSeconds();
    }
    List<Pending> pending = new ArrayList<>();
    for (int c = 0; c < customers.length; c++) {
      Customer customer = customers[c];
      int n = poisson(customer.txPerDay());
      for (int k = 0; k < n; k++) {
        double tod = random.nextGaussian(DAY_SECONDS / 2.0, 20_000);
        if (tod <= 0 || tod >= DAY_SECONDS) {
          continue; // as in the handbook: times outside the day are dropped
        }
        double amount = random.nextGaussian(customer.meanAmount(), customer.stdAmount());
        if (amount < 0) {
          amount = random.nextDouble(0, customer.meanAmount() * 2);
        }
        int terminal = customer.terminals()[random.nextInt(customer.terminals().length)];
        pending.add(new Pending(dayStart + (long) tod, c, terminal, amount));
      }
    }
    pending.sort(Comparator.comparingLong(Pending::second).thenComparingInt(Pending::customer));
    Instant driftAt = settings.driftAt();
    for (Pending p : pending) {
      Instant time = Instant.ofEpochSecond(p.second());
      double amount = p.amount();
      if (driftAt != null && !time.isBefore(driftAt)) {
        amount *= DRIFT_AMOUNT_FACTOR;
      }
      amount = round2(amount);
      int scenario = 0;
      if (amount > SCENARIO_1_THRESHOLD) {
        scenario = 1;
      }
      if (p.second() < terminalCompromisedUntil[p.terminal()]) {
        scenario = 2;
      }
      if (p.second() < customerCompromisedUntil[p.customer()] && random.nextInt(3) == 0) {
        amount = round2(amount * 5);
        scenario = 3;
      }
      FraudTransaction tx =
          new FraudTransaction(
              nextId++,
              time,
              Integer.toString(p.customer()),
              Integer.toString(p.terminal()),
              amount);
      today.add(new LabeledTransaction(tx, scenario != 0, scenario));
    }
    day++;
  }

  /** An integer count with expectation {@code rate}: floor plus a Bernoulli draw of the rest. */
  private int draws(double rate) {
    int whole = (int) Math.floor(rate);
    return whole + (random.nextDouble() < rate - whole ? 1 : 0);
  }

  private int poisson(double lambda) {
    double limit = Math.exp(-lambda);
    double product = random.nextDouble();
    int n = 0;
    while (product > limit) {
      product *= random.nextDouble();
      n++;
    }
    return n;
  }

  private static double round2(double value) {
    return Math.round(value * 100) / 100.0;
  }
}
