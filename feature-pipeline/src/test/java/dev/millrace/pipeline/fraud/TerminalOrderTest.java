package dev.millrace.pipeline.fraud;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.time.Duration;
import java.time.Instant;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class TerminalOrderTest {

  private static final long DAY = Duration.ofDays(1).toMillis();
  private static final Instant D0 = Instant.parse("2018-04-01T00:00:00Z");

  private static FeatureVector vector(long id, long dayOffsetMillis) {
    FraudTransaction tx =
        FraudTransaction.newBuilder()
            .setTransactionId(id)
            .setEventTime(D0.plusMillis(dayOffsetMillis))
            .setCustomerId("C1")
            .setTerminalId("T1")
            .setAmount(10.0)
            .build();
    return CustomerFeatures.vector(
        tx, FraudFeatures.transactionFeatures(tx.getEventTime(), tx.getAmount()));
  }

  @Test
  void aTransactionWaitsUntilEventTimeReachesItsDelayedWindowAndPassesOtherwise() throws Exception {
    TerminalOrder fn = new TerminalOrder(FraudFeatures.TERMINAL_DELAY);
    try (var h =
        new KeyedOneInputStreamOperatorTestHarness<String, FeatureVector, FeatureVector>(
            new KeyedProcessOperator<>(fn),
            v -> v.getAttributes().get(CustomerFeatures.TERMINAL_ID),
            Types.STRING)) {
      h.open();
      // No watermark yet: it waits for the first.
      h.processElement(new StreamRecord<>(vector(1, 8 * DAY), D0.toEpochMilli() + 8 * DAY));
      assertThat(h.extractOutputValues()).isEmpty();
      h.processWatermark(new Watermark(D0.toEpochMilli() + DAY));
      assertThat(h.extractOutputValues())
          .extracting(FeatureVector::getEventId)
          .containsExactly("1");

      // Its delayed window ends at day 2, after the watermark (day 1): it waits.
      h.processElement(new StreamRecord<>(vector(2, 9 * DAY), D0.toEpochMilli() + 9 * DAY));
      // Its delayed window ends at day 1 - 1 ms, behind the watermark: it passes.
      h.processElement(new StreamRecord<>(vector(3, 8 * DAY - 1), D0.toEpochMilli() + 8 * DAY - 1));
      assertThat(h.extractOutputValues())
          .extracting(FeatureVector::getEventId)
          .containsExactly("1", "3");
      assertThat(fn.heldCount()).isEqualTo(2);
      assertThat(h.numKeyedStateEntries()).isEqualTo(1);

      h.processWatermark(new Watermark(D0.toEpochMilli() + 2 * DAY - 1));
      assertThat(h.extractOutputValues()).hasSize(2);
      h.processWatermark(new Watermark(D0.toEpochMilli() + 2 * DAY));
      assertThat(h.extractOutputValues())
          .extracting(FeatureVector::getEventId)
          .containsExactly("1", "3", "2");
      assertThat(h.numKeyedStateEntries()).isZero();
      assertThat(h.numEventTimeTimers()).isZero();
    }
  }
}
