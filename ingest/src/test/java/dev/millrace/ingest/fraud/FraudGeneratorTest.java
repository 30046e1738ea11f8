package dev.millrace.ingest.fraud;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.ingest.ValidationRules;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FraudGeneratorTest {

  static final Instant START = Instant.parse("2024-01-01T00:00:00Z");
  static final FraudGenerator.Settings SMALL =
      new FraudGenerator.Settings(7, 500, 1_000, START, null);

  private static List<LabeledTransaction> days(FraudGenerator.Settings s, int days) {
    List<LabeledTransaction> out = new ArrayList<>();
    new FraudGenerator(s).until(s.start().plus(Duration.ofDays(days))).forEachRemaining(out::add);
    return out;
  }

  @Test
  void sameSeedSameSequenceOtherSeedOtherSequence() {
    List<LabeledTransaction> a = new ArrayList<>();
    List<LabeledTransaction> b = new ArrayList<>();
    List<LabeledTransaction> c = new ArrayList<>();
    new FraudGenerator(SMALL).take(3_000).forEachRemaining(a::add);
    new FraudGenerator(SMALL).take(3_000).forEachRemaining(b::add);
    new FraudGenerator(SMALL.withSeed(8)).take(3_000).forEachRemaining(c::add);
    assertThat(a).hasSize(3_000).isEqualTo(b);
    assertThat(a).isNotEqualTo(c);
  }

  @Test
  void eventTimeOrderSequentialIdsAndAllValid() {
    List<LabeledTransaction> all = days(SMALL, 30);
    assertThat(all.size()).isBetween(500 * 30 / 2, 500 * 30 * 3);
    Instant end = START.plus(Duration.ofDays(30));
    for (int i = 0; i < all.size(); i++) {
      LabeledTransaction t = all.get(i);
      assertThat(t.tx().getTransactionId()).isEqualTo(i);
      assertThat(t.eventTime()).isAfterOrEqualTo(START).isBefore(end);
      if (i > 0) {
        assertThat(t.eventTime()).isAfterOrEqualTo(all.get(i - 1).eventTime());
      }
      assertThat(FraudValidation.check(t.tx(), ValidationRules.defaults(), end)).isEmpty();
      assertThat(t.fraud()).isEqualTo(t.scenario() != 0);
      if (t.scenario() == 1) {
        assertThat(t.tx().getAmount()).isGreaterThan(220);
      }
    }
  }

  @Test
  void fraudRateAndScenariosLikeTheHandbook() {
    List<LabeledTransaction> all = days(SMALL, 90);
    long fraud = all.stream().filter(LabeledTransaction::fraud).count();
    double rate = (double) fraud / all.size();
    assertThat(rate).isBetween(0.003, 0.02);
    for (int scenario = 1; scenario <= 3; scenario++) {
      int s = scenario;
      assertThat(all.stream().filter(t -> t.scenario() == s).count())
          .as("scenario %d count", s)
          .isPositive();
    }
  }

  @Test
  void handbookSizeHasAboutTheHandbookFraudRate() {
    FraudGenerator.Settings s = FraudGenerator.Settings.defaults();
    List<LabeledTransaction> all = days(s, 40);
    double rate = all.stream().filter(LabeledTransaction::fraud).count() / (double) all.size();
    assertThat(rate).isBetween(0.004, 0.015);
    assertThat(all.size() / 40.0).isBetween(7_000.0, 12_000.0); // handbook: ~9,700 per day
  }

  @Test
  void driftRaisesAmountsAndTerminalCompromise() {
    Instant driftAt = START.plus(Duration.ofDays(60));
    FraudGenerator.Settings drifting = SMALL.withDriftAt(driftAt);
    List<LabeledTransaction> base = days(SMALL, 120);
    List<LabeledTransaction> drift = days(drifting, 120);
    // identical before the drift point
    List<LabeledTransaction> baseBefore =
        base.stream().filter(t -> t.eventTime().isBefore(driftAt)).toList();
    assertThat(drift.subList(0, baseBefore.size())).isEqualTo(baseBefore);
    double before = meanGenuineAmount(drift, null, driftAt);
    double after = meanGenuineAmount(drift, driftAt, null);
    assertThat(after / before).isBetween(1.35, 1.65);
    double afterBase = meanGenuineAmount(base, driftAt, null);
    assertThat(afterBase / before).isBetween(0.9, 1.1);
    long s2Base = count(base, driftAt, 2);
    long s2Drift = count(drift, driftAt, 2);
    assertThat(s2Drift).isGreaterThan(s2Base);
  }

  private static double meanGenuineAmount(List<LabeledTransaction> all, Instant from, Instant to) {
    return all.stream()
        .filter(t -> !t.fraud())
        .filter(t -> from == null || !t.eventTime().isBefore(from))
        .filter(t -> to == null || t.eventTime().isBefore(to))
        .mapToDouble(t -> t.tx().getAmount())
        .average()
        .orElseThrow();
  }

  private static long count(List<LabeledTransaction> all, Instant from, int scenario) {
    return all.stream()
        .filter(t -> !t.eventTime().isBefore(from) && t.scenario() == scenario)
        .count();
  }
}
