package dev.millrace.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class RetrainPolicyTest {

  /** A clock the test moves by hand. */
  static final class ManualClock extends Clock {
    Instant now = Instant.parse("2025-01-01T00:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void retrainsAfterEnoughNewExamples() {
    RetrainPolicy policy = new RetrainPolicy(100, Duration.ofMinutes(10), new ManualClock());
    policy.recordExamples(99);
    assertThat(policy.due()).isEmpty();
    policy.recordExamples(1);
    assertThat(policy.due()).hasValueSatisfying(r -> assertThat(r).contains("100 new examples"));
    policy.runStarted();
    assertThat(policy.due()).isEmpty();
    assertThat(policy.newExamples()).isZero();
  }

  @Test
  void retrainsAfterTheIntervalOnlyWhenSomethingNewArrived() {
    ManualClock clock = new ManualClock();
    RetrainPolicy policy = new RetrainPolicy(1_000, Duration.ofMinutes(10), clock);
    clock.now = clock.now.plus(Duration.ofMinutes(11));
    assertThat(policy.due()).as("nothing new, nothing to learn").isEmpty();
    policy.recordExamples(1);
    assertThat(policy.due()).hasValueSatisfying(r -> assertThat(r).contains("since the last run"));
    policy.runStarted();
    policy.recordExamples(5);
    clock.now = clock.now.plus(Duration.ofMinutes(9));
    assertThat(policy.due()).isEmpty();
    clock.now = clock.now.plus(Duration.ofMinutes(1));
    assertThat(policy.due()).isPresent();
  }

  @Test
  void anEarlyRequestWinsOnceThenIsConsumed() {
    RetrainPolicy policy = new RetrainPolicy(1_000, Duration.ofHours(1), new ManualClock());
    policy.requestEarlyRetrain("drift on amount");
    assertThat(policy.due()).hasValue("early: drift on amount");
    policy.runStarted();
    assertThat(policy.due()).isEmpty();
  }
}
