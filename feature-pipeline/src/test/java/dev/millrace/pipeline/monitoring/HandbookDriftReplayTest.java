package dev.millrace.pipeline.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.ingest.fraud.FraudCsvReader;
import dev.millrace.ingest.fraud.FraudDrift;
import dev.millrace.ingest.fraud.LabeledTransaction;
import dev.millrace.testkit.SharedDatasets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11 part 5 on real data: 70 days of the Fraud Detection Handbook's (stationary) transactions
 * replayed through the drift monitor ({@link DriftReplay}: the real features, the real monitor
 * operators, a retrain every 50,000 matured examples and on every request). With the window-full
 * rule no retrain is requested; without it the ramps of the 30-day windows request several; drift
 * injected as {@code --drift-at} does (amounts x1.5) is requested within a day of event time. Skips
 * when the data set is absent.
 */
class HandbookDriftReplayTest {

  static final Instant START = Instant.parse("2018-04-01T00:00:00Z");
  static final Instant UNTIL = START.plus(Duration.ofDays(70));

  /** No model is promoted in the day after it: the first full day of drift is measured. */
  static final Instant DRIFT_AT = Instant.parse("2018-05-22T00:00:00Z");

  /**
   * A model is promoted 5 h after it (its reference from matured, undrifted rows): the monitor
   * measures a new model only once it has a whole window (a day), so the request waits for that.
   */
  static final Instant DRIFT_BEFORE_PROMOTION = Instant.parse("2018-05-25T00:00:00Z");

  static List<LabeledTransaction> transactions;
  static List<DriftReplay.Row> stationary;

  @TempDir Path dir;

  @BeforeAll
  static void load() {
    Path file = SharedDatasets.find(SharedDatasets.FRAUD_FDH).orElse(null);
    Assumptions.assumeTrue(file != null, "no shared datasets: " + SharedDatasets.FRAUD_FDH);
    try (FraudCsvReader reader = FraudCsvReader.open(file, null, UNTIL)) {
      transactions = new ArrayList<>();
      reader.forEachRemaining(transactions::add);
    }
    stationary = DriftReplay.features(transactions.iterator(), UNTIL);
  }

  @Test
  void stationaryReplayRequestsNoRetrain() throws Exception {
    DriftReplay.Result r =
        new DriftReplay(dir, true, MonitoringSettings.defaults()).run(stationary);
    print("window-full rule, stationary", r);
    assertThat(Duration.between(r.first(), r.last())).isGreaterThan(Duration.ofDays(60));
    assertThat(r.promotions()).isGreaterThanOrEqualTo(8);
    assertThat(r.requests()).isEmpty();
    // the 30-day windows did join the check once full (NaN = never compared)
    assertThat(r.maxPsi().get("TERMINAL_ID_NB_TX_30DAY_WINDOW")).isFinite().isLessThan(0.2);
    assertThat(r.maxPsi().get("CUSTOMER_ID_NB_TX_30DAY_WINDOW")).isFinite().isLessThan(0.2);
    assertThat(r.maxPsi().get(DriftMonitor.SCORE)).isFinite().isLessThan(0.2);
  }

  @Test
  void withoutTheRuleTheRampsRequestRetrains() throws Exception {
    DriftReplay.Result r =
        new DriftReplay(dir, false, MonitoringSettings.defaults()).run(stationary);
    print("no rule (before), stationary", r);
    assertThat(r.requests()).isNotEmpty();
  }

  @Test
  void injectedDriftIsRequestedWithinADay() throws Exception {
    DriftReplay.Result r = drifted(DRIFT_AT);
    Instant first = r.requestTimes().get(0);
    assertThat(first).isAfter(DRIFT_AT).isBeforeOrEqualTo(DRIFT_AT.plus(Duration.ofDays(1)));
  }

  @Test
  void driftFollowedByAPromotionIsRequestedOnceTheNewModelHasAWholeWindow() throws Exception {
    DriftReplay.Result r = drifted(DRIFT_BEFORE_PROMOTION);
    Instant promoted =
        r.promotionTimes().stream().filter(DRIFT_BEFORE_PROMOTION::isBefore).findFirst().get();
    assertThat(promoted).isBefore(DRIFT_BEFORE_PROMOTION.plus(Duration.ofDays(1)));
    Instant first = r.requestTimes().get(0);
    assertThat(first)
        .isAfter(DRIFT_BEFORE_PROMOTION)
        .isBeforeOrEqualTo(promoted.plus(Duration.ofDays(1)).plus(Duration.ofHours(1)));
  }

  private DriftReplay.Result drifted(Instant driftAt) throws Exception {
    // up to 3 days after the drift: enough to see its first request
    List<DriftReplay.Row> drifted =
        DriftReplay.features(
            FraudDrift.inject(transactions.iterator(), driftAt), driftAt.plus(Duration.ofDays(3)));
    DriftReplay.Result r = new DriftReplay(dir, true, MonitoringSettings.defaults()).run(drifted);
    print("window-full rule, drift at " + driftAt, r);
    assertThat(r.requestTimes()).isNotEmpty();
    assertThat(r.requestTimes().get(0)).isAfter(driftAt); // nothing before the drift
    System.out.printf(
        "drift at %s requested %s after it began: %s%n",
        driftAt,
        Duration.between(driftAt, r.requestTimes().get(0)),
        r.requests().get(0).getReason());
    return r;
  }

  static void print(String what, DriftReplay.Result r) {
    System.out.printf(
        "%s: %d transactions %s..%s, %d promotions at %s, %d retrain requests at %s%n  max PSI: %s%n",
        what,
        r.transactions(),
        r.first(),
        r.last(),
        r.promotions(),
        r.promotionTimes(),
        r.requests().size(),
        r.requestTimes(),
        r.maxPsi());
    r.requests().forEach(q -> System.out.println("  " + q.getReason()));
  }
}
