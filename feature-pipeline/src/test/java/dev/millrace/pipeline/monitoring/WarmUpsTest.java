package dev.millrace.pipeline.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.ingest.fraud.FraudGenerator;
import dev.millrace.pipeline.fraud.FraudFeatures;
import dev.millrace.scorer.FeatureSchema;
import dev.millrace.scorer.model.DriftReference;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The window-full rule of the drift check, on synthetic data (runs everywhere). */
class WarmUpsTest {

  private static final long DAY = 86_400_000L;
  private static final long START = Instant.parse("2018-04-01T00:00:00Z").toEpochMilli();

  @TempDir Path dir;

  @Test
  void aValueIsComparedOnlyOnceItsWindowIsFullInTheLiveWindowAndInTheReference() {
    Duration month = Duration.ofDays(30);
    Instant full = Instant.ofEpochMilli(START + 30 * DAY);
    // no warm-up: always, even without a known start
    assertThat(WarmUps.comparable(Duration.ZERO, null, START, null)).isTrue();
    // unknown stream start or reference rows: not comparable
    assertThat(WarmUps.comparable(month, null, START + 40 * DAY, full)).isFalse();
    assertThat(WarmUps.comparable(month, START, START + 40 * DAY, null)).isFalse();
    // live window during the ramp
    assertThat(WarmUps.comparable(month, START, START + 29 * DAY, full)).isFalse();
    // reference rows from the ramp
    assertThat(WarmUps.comparable(month, START, START + 40 * DAY, full.minusMillis(1))).isFalse();
    // both full (the bound included)
    assertThat(WarmUps.comparable(month, START, START + 30 * DAY, full)).isTrue();
  }

  @Test
  void theFraudWarmUpsComeFromTheFeatureDefinitions() {
    WarmUps w = WarmUps.of(FraudFeatures.WARM_UP);
    assertThat(w.feature("TX_AMOUNT")).isZero();
    assertThat(w.feature("CUSTOMER_ID_NB_TX_7DAY_WINDOW")).isEqualTo(Duration.ofDays(7));
    // the terminal windows end 7 days (the label delay) before the transaction
    assertThat(w.feature("TERMINAL_ID_NB_TX_30DAY_WINDOW")).isEqualTo(Duration.ofDays(37));
    assertThat(w.feature("TERMINAL_ID_RISK_1DAY_WINDOW")).isEqualTo(Duration.ofDays(8));
    assertThat(w.score()).isEqualTo(Duration.ofDays(37));
    assertThat(FraudFeatures.SCHEMA.warmUp()).isEqualTo(FraudFeatures.WARM_UP);
  }

  @Test
  void theReferenceBinsAFeatureOnlyOverTheRowsPastItsWarmUp() throws Exception {
    // one row per day for 60 days; "ramp" counts the days so far up to 30, then stays at 30
    FeatureSchema schema =
        new FeatureSchema(List.of("flat", "ramp"), Map.of("ramp", Duration.ofDays(30)));
    int n = 60;
    float[][] rows = new float[n][];
    long[] times = new long[n];
    for (int d = 0; d < n; d++) {
      rows[d] = new float[] {d % 2, Math.min(d + 1, 30)};
      times[d] = START + d * DAY;
    }
    float[] scores = {0.1f, 0.2f};
    long[] scoreTimes = {times[n - 2], times[n - 1]};
    DriftReference ref =
        DriftReference.compute(schema, rows, times, scores, scoreTimes, START, 10, 5);
    assertThat(ref.features().get("flat").from()).isEqualTo(Instant.ofEpochMilli(START));
    DriftReference.Bins ramp = ref.features().get("ramp");
    assertThat(ramp.from()).isEqualTo(Instant.ofEpochMilli(START + 30 * DAY));
    assertThat(ramp.size()).isEqualTo(1); // only the full value 30: one bin
    assertThat(ref.score().from()).isEqualTo(Instant.ofEpochMilli(scoreTimes[0]));
    // too few full rows (fewer than minRows): all rows, and the rows' true start
    DriftReference few =
        DriftReference.compute(schema, rows, times, scores, scoreTimes, START, 10, 31);
    assertThat(few.features().get("ramp").from()).isEqualTo(Instant.ofEpochMilli(START));
    assertThat(few.features().get("ramp").size()).isGreaterThan(1);
    // the manifest's JSON keeps it
    assertThat(DriftReference.fromJson(ref.toJson())).isEqualTo(ref);
  }

  /**
   * 60 days of the synthetic handbook generator (stationary) through the drift monitor, retrained
   * every 10,000 matured examples on a 40,000-row window: without the rule the ramps of the 7- and
   * 30-day windows request retrains; with it none.
   */
  @Test
  void aStationarySyntheticStreamRequestsNoRetrainWithTheRuleAndSomeWithout() throws Exception {
    Instant from = Instant.ofEpochMilli(START);
    List<DriftReplay.Row> rows =
        DriftReplay.features(
            new FraudGenerator(
                FraudGenerator.Settings.defaults().withSize(1_000, 2_000).withStart(from)),
            from.plus(Duration.ofDays(60)));
    DriftReplay.Result with =
        new DriftReplay(dir, true, MonitoringSettings.defaults(), 10_000, 40_000).run(rows);
    DriftReplay.Result without =
        new DriftReplay(dir, false, MonitoringSettings.defaults(), 10_000, 40_000).run(rows);
    HandbookDriftReplayTest.print("synthetic, window-full rule", with);
    HandbookDriftReplayTest.print("synthetic, no rule", without);
    assertThat(with.promotions()).isGreaterThanOrEqualTo(5);
    assertThat(with.requests()).isEmpty();
    assertThat(with.maxPsi().get("TERMINAL_ID_NB_TX_30DAY_WINDOW")).isFinite();
    assertThat(without.requests()).isNotEmpty();
  }
}
