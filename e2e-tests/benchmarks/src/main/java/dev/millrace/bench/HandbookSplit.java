package dev.millrace.bench;

import dev.millrace.ingest.fraud.LabeledTransaction;
import dev.millrace.pipeline.fraud.FraudFeatureEngine;
import dev.millrace.schemas.fraud.FraudLabel;
import dev.millrace.trainer.eval.FraudProtocol;
import dev.millrace.trainer.model.Dataset;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;

/**
 * Builds the training and test sets of a {@link FraudProtocol} from a time-ordered stream of
 * transactions, with the features computed by the Flink job's own feature code ({@link
 * FraudFeatureEngine}: the same {@code CustomerHistory}/{@code TerminalHistory} classes).
 *
 * <p>Labels reach the engine as the replay publishes them: the label of each fraudulent transaction
 * is fed (a {@link FraudLabel} with {@code labelTime = txTime + labelDelay}) just before the first
 * transaction whose time is at or after its label time, so terminal risk features use only labels
 * known by then.
 *
 * <p>Test set, as the handbook's {@code get_train_test_set}: from each test day D the customers
 * already known to be compromised are removed, i.e. every customer with a fraudulent transaction on
 * a day in {@code [trainStart, D - delayDays)}: the training period's frauds plus, as the test days
 * advance, the frauds of the delay period whose labels are known by then (for the 7/7/7 split that
 * is days {@code trainStart .. trainStart + 6 + i} for the i-th test day, exactly the handbook's
 * loop). The training set keeps every transaction of the training period.
 */
public final class HandbookSplit {

  /** The two sets and what it took to build them. */
  public record Result(
      Dataset train,
      Dataset test,
      long[] testTransactionIds,
      int testRowsBeforeRemoval,
      Map<LocalDate, Integer> knownCompromisedPerTestDay,
      long transactionsRead,
      long labelsFed,
      Duration featureTime) {

    /** Transactions per second through the feature engine. */
    public double transactionsPerSecond() {
      return transactionsRead / Math.max(1e-9, featureTime.toNanos() / 1e9);
    }
  }

  private record Pending(long labelTime, long order, FraudLabel label) {}

  private record Row(long id, float[] features, boolean fraud, long time, String customer) {}

  private HandbookSplit() {}

  /**
   * Feeds every transaction of {@code source} (time-ordered; rows before {@code historyStart} or at
   * or after the test end are ignored) through a fresh feature engine and splits the rows.
   *
   * @throws IllegalArgumentException when the training or the test period holds no transactions
   */
  public static Result build(Iterator<LabeledTransaction> source, FraudProtocol protocol) {
    long t0 = System.nanoTime();
    FraudFeatureEngine engine = new FraudFeatureEngine(Duration.ZERO);
    PriorityQueue<Pending> pending =
        new PriorityQueue<>(
            Comparator.comparingLong(Pending::labelTime).thenComparingLong(Pending::order));
    long historyFrom = protocol.historyStart().toEpochMilli();
    long trainFrom = protocol.trainFrom().toEpochMilli();
    long trainTo = protocol.trainTo().toEpochMilli();
    long testFrom = protocol.testFrom().toEpochMilli();
    long testTo = protocol.testTo().toEpochMilli();
    long delayMs = protocol.labelDelay().toMillis();
    List<Row> train = new ArrayList<>();
    List<Row> test = new ArrayList<>();
    // customers with a fraud, per day, from the training start on (for the compromised-card rule)
    Map<LocalDate, Set<String>> fraudCustomersByDay = new TreeMap<>();
    long read = 0;
    long labels = 0;
    long order = 0;
    long previous = Long.MIN_VALUE;
    while (source.hasNext()) {
      LabeledTransaction lt = source.next();
      long time = lt.eventTime().toEpochMilli();
      if (time < historyFrom) {
        continue;
      }
      if (time >= testTo) {
        break;
      }
      if (time < previous) {
        throw new IllegalArgumentException(
            "transactions must be in time order: " + lt.tx().getTransactionId() + " goes back");
      }
      previous = time;
      read++;
      while (!pending.isEmpty() && pending.peek().labelTime() <= time) {
        engine.onLabel(pending.poll().label());
        labels++;
      }
      float[] features = engine.onTransaction(lt.tx());
      if (lt.fraud()) {
        long labelTime = time + delayMs;
        pending.add(new Pending(labelTime, order++, lt.label(Instant.ofEpochMilli(labelTime))));
        if (time >= trainFrom) {
          fraudCustomersByDay.computeIfAbsent(day(time), d -> new HashSet<>()).add(lt.customerId());
        }
      }
      Row row = new Row(lt.tx().getTransactionId(), features, lt.fraud(), time, lt.customerId());
      if (time >= trainFrom && time < trainTo) {
        train.add(row);
      } else if (time >= testFrom) {
        test.add(row);
      }
    }
    if (train.isEmpty()) {
      throw new IllegalArgumentException(
          "no transactions in the training period "
              + protocol.trainStart()
              + ".."
              + protocol.trainLast());
    }
    if (test.isEmpty()) {
      throw new IllegalArgumentException(
          "no transactions in the test period "
              + protocol.testStart()
              + ".."
              + protocol.testLast());
    }

    Map<LocalDate, Integer> knownPerDay = new TreeMap<>();
    List<Row> kept = new ArrayList<>();
    LocalDate currentDay = null;
    Set<String> known = null;
    for (Row row : test) {
      LocalDate d = day(row.time());
      if (!d.equals(currentDay)) {
        currentDay = d;
        known = protocol.knownCompromised(fraudCustomersByDay, d);
        knownPerDay.put(d, known.size());
      }
      if (!known.contains(row.customer())) {
        kept.add(row);
      }
    }
    long[] testIds = kept.stream().mapToLong(Row::id).toArray();
    return new Result(
        dataset(train),
        dataset(kept),
        testIds,
        test.size(),
        knownPerDay,
        read,
        labels,
        Duration.ofNanos(System.nanoTime() - t0));
  }

  static LocalDate day(long epochMillis) {
    return LocalDate.ofInstant(Instant.ofEpochMilli(epochMillis), ZoneOffset.UTC);
  }

  private static Dataset dataset(List<Row> rows) {
    int n = rows.size();
    float[][] x = new float[n][];
    float[] y = new float[n];
    long[] t = new long[n];
    String[] c = new String[n];
    for (int i = 0; i < n; i++) {
      Row r = rows.get(i);
      x[i] = r.features();
      y[i] = r.fraud() ? 1f : 0f;
      t[i] = r.time();
      c[i] = r.customer();
    }
    return new Dataset(x, y, t, c);
  }
}
