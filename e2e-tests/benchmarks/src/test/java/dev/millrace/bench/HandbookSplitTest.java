package dev.millrace.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.ingest.fraud.FraudGenerator;
import dev.millrace.ingest.fraud.LabeledTransaction;
import dev.millrace.pipeline.fraud.FraudFeatures;
import dev.millrace.trainer.eval.FraudProtocol;
import dev.millrace.trainer.eval.Metrics;
import dev.millrace.trainer.model.Dataset;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The chapter 3 split on a small synthetic data set from the handbook-shaped generator. */
class HandbookSplitTest {

  static final Instant START = Instant.parse("2018-04-01T00:00:00Z");
  static final FraudProtocol PROTOCOL =
      new FraudProtocol(START, LocalDate.parse("2018-04-15"), 7, 7, 7, Duration.ofDays(7));

  static List<LabeledTransaction> all;
  static HandbookSplit.Result split;

  @BeforeAll
  static void generate() {
    FraudGenerator generator =
        new FraudGenerator(FraudGenerator.Settings.defaults().withSeed(7).withSize(400, 800));
    all = new ArrayList<>();
    Iterator<LabeledTransaction> it = generator.until(Instant.parse("2018-05-10T00:00:00Z"));
    it.forEachRemaining(all::add);
    split = HandbookSplit.build(all.iterator(), PROTOCOL);
  }

  @Test
  void trainAndTestRowsLieInTheirPeriods() {
    assertThat(PROTOCOL.testStart()).isEqualTo(LocalDate.parse("2018-04-29"));
    assertThat(PROTOCOL.testLast()).isEqualTo(LocalDate.parse("2018-05-05"));
    long trainFrom = Instant.parse("2018-04-15T00:00:00Z").toEpochMilli();
    long trainTo = Instant.parse("2018-04-22T00:00:00Z").toEpochMilli();
    long testFrom = Instant.parse("2018-04-29T00:00:00Z").toEpochMilli();
    long testTo = Instant.parse("2018-05-06T00:00:00Z").toEpochMilli();
    assertThat(Arrays.stream(split.train().eventTimeMillis()))
        .allMatch(t -> t >= trainFrom && t < trainTo);
    assertThat(Arrays.stream(split.test().eventTimeMillis()))
        .allMatch(t -> t >= testFrom && t < testTo);
    long inTrain =
        all.stream()
            .mapToLong(tx -> tx.eventTime().toEpochMilli())
            .filter(t -> t >= trainFrom && t < trainTo)
            .count();
    assertThat(split.train().size()).isEqualTo(inTrain);
    assertThat(split.train().positives()).isPositive();
    assertThat(split.test().positives()).isPositive();
    assertThat(split.train().features()[0]).hasSize(FraudFeatures.SIZE);
    // nothing after the test period is read
    assertThat(split.transactionsRead())
        .isEqualTo(all.stream().filter(tx -> tx.eventTime().toEpochMilli() < testTo).count());
  }

  @Test
  void testDaysExcludeCardsKnownToBeCompromised() {
    long testTo = PROTOCOL.testTo().toEpochMilli();
    int expectedKept = 0;
    int removed = 0;
    for (LabeledTransaction tx : all) {
      long t = tx.eventTime().toEpochMilli();
      if (t < PROTOCOL.testFrom().toEpochMilli() || t >= testTo) {
        continue;
      }
      LocalDate day = HandbookSplit.day(t);
      // frauds from the training start up to (test day - delay), by brute force
      Set<String> known = new HashSet<>();
      for (LabeledTransaction f : all) {
        LocalDate fd = HandbookSplit.day(f.eventTime().toEpochMilli());
        if (f.fraud() && !fd.isBefore(PROTOCOL.trainStart()) && fd.isBefore(day.minusDays(7))) {
          known.add(f.customerId());
        }
      }
      if (known.contains(tx.customerId())) {
        removed++;
      } else {
        expectedKept++;
      }
    }
    assertThat(removed).as("the generator compromises cards; some must be removed").isPositive();
    assertThat(split.test().size()).isEqualTo(expectedKept);
    assertThat(split.testRowsBeforeRemoval() - split.test().size()).isEqualTo(removed);
    // the first test day knows the training week's frauds and the first delay... nothing later
    assertThat(split.knownCompromisedPerTestDay()).hasSize(7);
    List<Integer> known = new ArrayList<>(split.knownCompromisedPerTestDay().values());
    for (int i = 1; i < known.size(); i++) {
      assertThat(known.get(i)).isGreaterThanOrEqualTo(known.get(i - 1));
    }
    Set<String> trainFraudCards = new HashSet<>();
    Dataset train = split.train();
    for (int i = 0; i < train.size(); i++) {
      if (train.labels()[i] == 1f) {
        trainFraudCards.add(train.entityIds()[i]);
      }
    }
    assertThat(split.test().entityIds()).doesNotContainAnyElementsOf(trainFraudCards);
  }

  @Test
  void fraudLabelsReachTheFeatureEngineAfterTheirDelay() {
    long last =
        all.stream()
            .mapToLong(tx -> tx.eventTime().toEpochMilli())
            .filter(t -> t < PROTOCOL.testTo().toEpochMilli())
            .max()
            .orElseThrow();
    long due =
        all.stream()
            .filter(LabeledTransaction::fraud)
            .filter(tx -> tx.eventTime().plus(Duration.ofDays(7)).toEpochMilli() <= last)
            .count();
    assertThat(split.labelsFed()).isEqualTo(due);
    // terminal risk is a share of frauds: within [0, 1], and some terminal is risky
    int risk7 = FraudFeatures.NAMES.indexOf("TERMINAL_ID_RISK_7DAY_WINDOW");
    assertThat(Arrays.stream(split.test().features()))
        .allMatch(f -> f[risk7] >= 0 && f[risk7] <= 1);
    assertThat(Arrays.stream(split.test().features())).anyMatch(f -> f[risk7] > 0);
  }

  @Test
  void xgboostOnTheSplitRanksFraudsAboveChance() {
    XgboostBaseline.Result xgb =
        XgboostBaseline.trainAndPredict(
            split.train(), split.test(), XgboostBaseline.Settings.handbook(1));
    assertThat(xgb.predictions()).hasSize(split.test().size());
    assertThat(Metrics.rocAuc(split.test().labels(), xgb.predictions())).isGreaterThan(0.7);
  }
}
