package dev.millrace.pipeline.fraud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.millrace.schemas.fraud.FraudLabel;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FraudFeatureEngineTest {

  @Test
  void schemaHasTheHandbooksFifteenFeaturesInOrder() {
    assertThat(FraudFeatures.SCHEMA.size()).isEqualTo(15);
    assertThat(FraudFeatures.NAMES.get(0)).isEqualTo("TX_AMOUNT");
    assertThat(FraudFeatures.NAMES.get(FraudFeatures.CUSTOMER_OFFSET))
        .isEqualTo("CUSTOMER_ID_NB_TX_1DAY_WINDOW");
    assertThat(FraudFeatures.NAMES.get(FraudFeatures.TERMINAL_OFFSET))
        .isEqualTo("TERMINAL_ID_NB_TX_1DAY_WINDOW");
    assertThat(FraudFeatures.NAMES.get(14)).isEqualTo("TERMINAL_ID_RISK_30DAY_WINDOW");
    assertThat(FraudFeatures.FINGERPRINT).startsWith("sha256:");
  }

  @Test
  void weekendAndNightFlagsUseUtc() {
    assertThat(FraudFeatures.duringWeekend(Instant.parse("2018-04-07T12:00:00Z"))).isTrue();
    assertThat(FraudFeatures.duringWeekend(Instant.parse("2018-04-08T23:59:59Z"))).isTrue();
    assertThat(FraudFeatures.duringWeekend(Instant.parse("2018-04-09T00:00:00Z"))).isFalse();
    // the handbook: is_night = tx_hour <= 6
    assertThat(FraudFeatures.duringNight(Instant.parse("2018-04-09T00:00:00Z"))).isTrue();
    assertThat(FraudFeatures.duringNight(Instant.parse("2018-04-09T06:00:00Z"))).isTrue();
    assertThat(FraudFeatures.duringNight(Instant.parse("2018-04-09T06:59:59Z"))).isTrue();
    assertThat(FraudFeatures.duringNight(Instant.parse("2018-04-09T07:00:00Z"))).isFalse();
    assertThat(FraudFeatures.duringNight(Instant.parse("2018-04-08T23:59:59Z"))).isFalse();
  }

  @Test
  void weekendAndNightFlagsAgreeWithTheCalendarAtEveryHourOfYears() {
    java.util.SplittableRandom random = new java.util.SplittableRandom(3);
    for (int i = 0; i < 100_000; i++) {
      // 1950 .. 2090, to the millisecond
      Instant t = Instant.ofEpochMilli(random.nextLong(-631_152_000_000L, 3_786_912_000_000L));
      java.time.ZonedDateTime utc = t.atZone(java.time.ZoneOffset.UTC);
      assertThat(FraudFeatures.duringWeekend(t))
          .as("%s", t)
          .isEqualTo(utc.getDayOfWeek().getValue() >= 6);
      assertThat(FraudFeatures.duringNight(t)).as("%s", t).isEqualTo(utc.getHour() <= 6);
    }
  }

  @Test
  void featuresOfTheFixtureMatchTheHandComputedValues() {
    FraudFeatureEngine engine = new FraudFeatureEngine(Duration.ZERO);
    Map<Long, float[]> actual = new LinkedHashMap<>();
    for (Object o : FraudFixture.ORDER) {
      if (o instanceof FraudTransaction tx) {
        actual.put(tx.getTransactionId(), engine.onTransaction(tx));
      } else {
        engine.onLabel((FraudLabel) o);
      }
    }
    assertThat(actual.keySet()).containsExactlyElementsOf(FraudFixture.EXPECTED.keySet());
    FraudFixture.EXPECTED.forEach(
        (id, expected) -> {
          float[] got = actual.get(id);
          for (int i = 0; i < expected.length; i++) {
            assertThat(got[i])
                .as("tx%d %s", id, FraudFeatures.NAMES.get(i))
                .isCloseTo(expected[i], within(1e-4f));
          }
        });
    assertThat(engine.customers()).isEqualTo(2);
    assertThat(engine.terminals()).isEqualTo(2);
  }

  @Test
  void customerHistoryDropsEntriesOlderThanThirtyDays() {
    CustomerHistory h = new CustomerHistory();
    long day = Duration.ofDays(1).toMillis();
    for (int d = 0; d < 40; d++) {
      h.observe(d * day, 1.0, 0);
    }
    // Day 39 keeps days 10..39 (day 9 is exactly 30 days before: outside (t - 30d, t]).
    assertThat(h.size()).isEqualTo(30);
    assertThat(h.times[0]).isEqualTo(10 * day);
    assertThat(h.expire(39 * day + 30 * day, 0)).isTrue();
    assertThat(h.size()).isZero();
  }

  @Test
  void lateTransactionSeesExactWindowsWithinTheAllowedLateness() {
    long hour = Duration.ofHours(1).toMillis();
    CustomerHistory h = new CustomerHistory();
    h.observe(0, 10, 2 * hour);
    h.observe(30 * 24 * hour + hour, 20, 2 * hour); // newest: 30 days + 1 h
    // Arrives 2 h late: its 30-day window (t - 30d, t] still holds the entry at 0.
    double[] late = h.observe(30 * 24 * hour - hour, 30, 2 * hour);
    assertThat(late[4]).isEqualTo(2); // count 30d: entry at 0 and itself, not the later one
    assertThat(late[5]).isEqualTo(20.0);
  }

  @Test
  void terminalLabelForAnExpiredTransactionIsDropped() {
    long day = Duration.ofDays(1).toMillis();
    TerminalHistory h = new TerminalHistory();
    h.observe(100 * day, 1, 0);
    assertThat(h.fraudLabel(2, 100 * day - 38 * day, 100 * day, 0)).isFalse();
    assertThat(h.fraudLabel(3, 99 * day, 100 * day, 0)).isTrue();
    assertThat(h.pendingLabels()).isEqualTo(1);
    assertThat(h.expire(99 * day + TerminalHistory.RETENTION_MS, 0)).isFalse();
    assertThat(h.expire(100 * day + TerminalHistory.RETENTION_MS, 0)).isTrue();
  }

  @Test
  void aTerminalKeepsWhatAnOlderTransactionArrivingLaterStillNeeds() {
    long day = 24 * 3_600_000L;
    TerminalHistory inOrder = new TerminalHistory();
    TerminalHistory outOfOrder = new TerminalHistory();
    for (long d = 2; d <= 20; d++) {
      inOrder.observe(d * day, d, 0, d * day);
      outOfOrder.observe(d * day, d, 0, d * day);
    }
    double[] expected = inOrder.observe(38 * day, 38, 0, 20 * day);
    // A transaction 40 days in arrives first (its partition runs ahead); event time is at day 20.
    outOfOrder.observe(40 * day, 40, 0, 20 * day);
    assertThat(outOfOrder.observe(38 * day, 38, 0, 20 * day)).containsExactly(expected);
    assertThat(expected[4]).as("30-day count of day 38: days 2..20").isEqualTo(19);
  }
}
