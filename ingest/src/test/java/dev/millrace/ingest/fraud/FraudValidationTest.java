package dev.millrace.ingest.fraud;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.ingest.Rejection;
import dev.millrace.ingest.ValidationRules;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FraudValidationTest {

  private static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");
  private static final ValidationRules RULES = ValidationRules.defaults();

  private static FraudTransaction tx(Instant time, String customer, String terminal, double amt) {
    FraudTransaction tx = new FraudTransaction();
    tx.setTransactionId(7L);
    tx.setEventTime(time);
    tx.setCustomerId(customer);
    tx.setTerminalId(terminal);
    tx.setAmount(amt);
    return tx;
  }

  private static Optional<String> code(FraudTransaction tx) {
    return FraudValidation.check(tx, RULES, NOW).map(Rejection::code);
  }

  @Test
  void acceptsAGoodTransaction() {
    assertThat(FraudValidation.check(tx(NOW, "c1", "t1", 12.5), RULES, NOW)).isEmpty();
    assertThat(code(tx(NOW, "c1", "t1", 0.0))).isEmpty();
  }

  @Test
  void defaultsAreAsDocumented() {
    assertThat(RULES.earliest()).isEqualTo(Instant.parse("2000-01-01T00:00:00Z"));
    assertThat(RULES.maxAheadOfWallClock()).isEqualTo(Duration.ofDays(1));
  }

  @Test
  void rejectsNegativeAmountNamingTheValue() {
    Optional<Rejection> r = FraudValidation.check(tx(NOW, "c1", "t1", -3.5), RULES, NOW);
    assertThat(r).isPresent();
    assertThat(r.get().code()).isEqualTo("NEGATIVE_AMOUNT");
    assertThat(r.get().reason()).contains("-3.5");
  }

  @Test
  void rejectsNonFiniteAmounts() {
    assertThat(code(tx(NOW, "c1", "t1", Double.NaN))).contains("NON_FINITE_AMOUNT");
    assertThat(code(tx(NOW, "c1", "t1", Double.POSITIVE_INFINITY))).contains("NON_FINITE_AMOUNT");
    assertThat(code(tx(NOW, "c1", "t1", Double.NEGATIVE_INFINITY))).contains("NON_FINITE_AMOUNT");
  }

  @Test
  void rejectsFiniteAmountsBeyondTheFloatRangeNamingTheValue() {
    Optional<Rejection> r = FraudValidation.check(tx(NOW, "c1", "t1", 1e300), RULES, NOW);
    assertThat(r).isPresent();
    assertThat(r.get().code()).isEqualTo("AMOUNT_OUT_OF_RANGE");
    assertThat(r.get().reason()).contains("1.0E300");
    // 1e39 as a float feature is Infinity: refused
    assertThat((float) 1e39).isInfinite();
    assertThat(code(tx(NOW, "c1", "t1", 1e39))).contains("AMOUNT_OUT_OF_RANGE");
    // the boundary: one double past the largest float is refused
    assertThat(code(tx(NOW, "c1", "t1", Math.nextUp((double) Float.MAX_VALUE))))
        .contains("AMOUNT_OUT_OF_RANGE");
    // the largest float itself, and large but ordinary amounts, are accepted
    assertThat(code(tx(NOW, "c1", "t1", Float.MAX_VALUE))).isEmpty();
    assertThat(code(tx(NOW, "c1", "t1", 1e12))).isEmpty();
    // a huge negative amount is negative first
    assertThat(code(tx(NOW, "c1", "t1", -1e300))).contains("NEGATIVE_AMOUNT");
  }

  @Test
  void rejectsEmptyIds() {
    assertThat(code(tx(NOW, "", "t1", 1))).contains("EMPTY_CUSTOMER_ID");
    assertThat(code(tx(NOW, "  ", "t1", 1))).contains("EMPTY_CUSTOMER_ID");
    assertThat(code(tx(NOW, "c1", "", 1))).contains("EMPTY_TERMINAL_ID");
  }

  @Test
  void rejectsMissingFieldsOfHandBuiltRecords() {
    assertThat(code(tx(NOW, null, "t1", 1))).contains("MISSING_FIELD");
    FraudTransaction noTime = tx(NOW, "c", "t", 1);
    noTime.put("eventTime", null);
    assertThat(code(noTime)).contains("MISSING_FIELD");
    assertThat(code(null)).contains("MISSING_FIELD");
  }

  @Test
  void timeBoundsAreInclusive() {
    Instant latest = NOW.plus(Duration.ofDays(1));
    assertThat(code(tx(latest, "c", "t", 1))).isEmpty();
    assertThat(code(tx(latest.plusMillis(1), "c", "t", 1))).contains("TIME_TOO_FAR_IN_FUTURE");
    assertThat(code(tx(RULES.earliest(), "c", "t", 1))).isEmpty();
    assertThat(code(tx(RULES.earliest().minusMillis(1), "c", "t", 1)))
        .contains("TIME_TOO_FAR_IN_PAST");
  }

  @Test
  void farFutureReasonNamesTheTime() {
    Instant future = Instant.parse("2099-01-01T00:00:00Z");
    Rejection r = FraudValidation.check(tx(future, "c", "t", 1), RULES, NOW).orElseThrow();
    assertThat(r.code()).isEqualTo(FraudValidation.TIME_TOO_FAR_IN_FUTURE);
    assertThat(r.reason()).contains("2099-01-01T00:00:00Z");
  }

  @Test
  void customRulesApply() {
    ValidationRules strict =
        new ValidationRules(Instant.parse("2024-01-01T00:00:00Z"), Duration.ZERO);
    assertThat(FraudValidation.check(tx(NOW.plusSeconds(1), "c", "t", 1), strict, NOW))
        .map(Rejection::code)
        .contains("TIME_TOO_FAR_IN_FUTURE");
    assertThat(
            FraudValidation.check(
                tx(Instant.parse("2023-12-31T00:00:00Z"), "c", "t", 1), strict, NOW))
        .map(Rejection::code)
        .contains("TIME_TOO_FAR_IN_PAST");
  }

  @Test
  void firstFailureWins() {
    // negative amount and empty customer: amount is checked first
    assertThat(code(tx(NOW, "", "t", -1))).contains("NEGATIVE_AMOUNT");
  }
}
