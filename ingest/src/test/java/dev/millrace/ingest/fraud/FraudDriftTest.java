package dev.millrace.ingest.fraud;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.schemas.fraud.FraudTransaction;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

class FraudDriftTest {

  private static LabeledTransaction tx(long id, String time, double amount, boolean fraud) {
    return new LabeledTransaction(
        new FraudTransaction(id, Instant.parse(time), "c" + id, "t" + id, amount), fraud, 0);
  }

  @Test
  void amountsGrowFromTheDriftOnAndNothingElseChanges() {
    Instant driftAt = Instant.parse("2018-05-01T00:00:00Z");
    List<LabeledTransaction> in =
        List.of(
            tx(1, "2018-04-30T23:59:59Z", 10.0, false),
            tx(2, "2018-05-01T00:00:00Z", 10.0, true),
            tx(3, "2018-05-02T12:00:00Z", 20.02, false));
    List<LabeledTransaction> out = new ArrayList<>();
    Iterator<LabeledTransaction> it = FraudDrift.inject(in.iterator(), driftAt);
    it.forEachRemaining(out::add);
    assertThat(out.get(0)).isEqualTo(in.get(0));
    assertThat(out.get(1).tx().getAmount()).isEqualTo(15.0);
    assertThat(out.get(2).tx().getAmount()).isEqualTo(30.03);
    assertThat(out.get(1).fraud()).isTrue();
    assertThat(out.get(2).tx().getEventTime()).isEqualTo(in.get(2).tx().getEventTime());
    assertThat(out.get(2).customerId()).isEqualTo("c3");
    assertThat(FraudDrift.inject(in.iterator(), null).next()).isSameAs(in.get(0));
  }
}
