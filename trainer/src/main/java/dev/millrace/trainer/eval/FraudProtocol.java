package dev.millrace.trainer.eval;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The Fraud Detection Handbook's chapter 3 "baseline" split ({@code get_train_test_set(...,
 * delta_train=7, delta_delay=7, delta_test=7)}): features for every transaction from {@code
 * historyStart} in time order, a training week from {@code trainStart}, a delay period in which
 * labels are not known yet, then a test week. Days are UTC calendar days.
 *
 * @param historyStart first transaction fed to the feature engine (the 30-day windows need history
 *     before the training week)
 * @param trainStart first training day
 * @param trainDays length of the training period in days
 * @param delayDays length of the delay period between training and test in days
 * @param testDays length of the test period in days
 * @param labelDelay time from a fraudulent transaction until its label is known to the feature
 *     engine (terminal risk features use only labels known by then)
 */
public record FraudProtocol(
    Instant historyStart,
    LocalDate trainStart,
    int trainDays,
    int delayDays,
    int testDays,
    Duration labelDelay) {

  public FraudProtocol {
    Objects.requireNonNull(historyStart, "historyStart");
    Objects.requireNonNull(trainStart, "trainStart");
    Objects.requireNonNull(labelDelay, "labelDelay");
    if (trainDays < 1 || testDays < 1 || delayDays < 0) {
      throw new IllegalArgumentException(
          "need trainDays >= 1, testDays >= 1, delayDays >= 0; got "
              + trainDays
              + ", "
              + testDays
              + ", "
              + delayDays);
    }
    if (labelDelay.isNegative()) {
      throw new IllegalArgumentException("labelDelay must not be negative: " + labelDelay);
    }
    if (historyStart.isAfter(start(trainStart))) {
      throw new IllegalArgumentException(
          "historyStart " + historyStart + " is after the training start " + trainStart);
    }
  }

  /** The handbook's chapter 3: 2018-04-01 history, train 07-25..07-31, test 08-08..08-14. */
  public static FraudProtocol handbookChapter3() {
    return new FraudProtocol(
        Instant.parse("2018-04-01T00:00:00Z"),
        LocalDate.parse("2018-07-25"),
        7,
        7,
        7,
        Duration.ofDays(7));
  }

  public FraudProtocol withTrainStart(LocalDate day) {
    return new FraudProtocol(historyStart, day, trainDays, delayDays, testDays, labelDelay);
  }

  public FraudProtocol withHistoryStart(Instant start) {
    return new FraudProtocol(start, trainStart, trainDays, delayDays, testDays, labelDelay);
  }

  /** First day of the test period. */
  public LocalDate testStart() {
    return trainStart.plusDays(trainDays + delayDays);
  }

  /** Last day of the training period (inclusive). */
  public LocalDate trainLast() {
    return trainStart.plusDays(trainDays - 1);
  }

  /** Last day of the test period (inclusive). */
  public LocalDate testLast() {
    return testStart().plusDays(testDays - 1);
  }

  /** Start of the training period. */
  public Instant trainFrom() {
    return start(trainStart);
  }

  /** End (exclusive) of the training period. */
  public Instant trainTo() {
    return start(trainStart.plusDays(trainDays));
  }

  /** Start of the test period. */
  public Instant testFrom() {
    return start(testStart());
  }

  /** End (exclusive) of the test period; nothing later is read. */
  public Instant testTo() {
    return start(testStart().plusDays(testDays));
  }

  /**
   * The handbook's cards known to be compromised on test day {@code testDay}: the customers with a
   * fraud on a day in {@code [trainStart, testDay - delayDays)}, i.e. the training period's frauds
   * plus those of the delay period whose labels are known by then. The test set of that day leaves
   * them out.
   *
   * @param fraudCustomersByDay customers with at least one fraud, per UTC day
   */
  public Set<String> knownCompromised(
      Map<LocalDate, Set<String>> fraudCustomersByDay, LocalDate testDay) {
    LocalDate until = testDay.minusDays(delayDays); // exclusive
    Set<String> known = new HashSet<>();
    for (Map.Entry<LocalDate, Set<String>> e : fraudCustomersByDay.entrySet()) {
      if (!e.getKey().isBefore(trainStart) && e.getKey().isBefore(until)) {
        known.addAll(e.getValue());
      }
    }
    return known;
  }

  /** Start (UTC midnight) of a day. */
  public static Instant start(LocalDate day) {
    return day.atStartOfDay(ZoneOffset.UTC).toInstant();
  }
}
