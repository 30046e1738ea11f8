package dev.millrace.pipeline.fraud;

import static dev.millrace.pipeline.fraud.FraudFixture.at;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class CustomerFeaturesTest {

  private static KeyedOneInputStreamOperatorTestHarness<String, FraudTransaction, FeatureVector>
      harness() throws Exception {
    var harness =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(new CustomerFeatures(0)),
            FraudTransaction::getCustomerId,
            Types.STRING);
    harness.open();
    return harness;
  }

  private static void send(
      KeyedOneInputStreamOperatorTestHarness<String, FraudTransaction, FeatureVector> h,
      FraudTransaction tx)
      throws Exception {
    h.processElement(new StreamRecord<>(tx, tx.getEventTime().toEpochMilli()));
  }

  @Test
  void emitsCustomerFeaturesWithTerminalAndTransactionAttributes() throws Exception {
    try (var h = harness()) {
      for (FraudTransaction tx : List.of(FraudFixture.TX1, FraudFixture.TX2, FraudFixture.TX4)) {
        send(h, tx);
      }
      List<FeatureVector> out = h.extractOutputValues();
      assertThat(out).hasSize(3);
      FeatureVector v = out.get(2);
      assertThat(v.getEventId()).isEqualTo("4");
      assertThat(v.getEntityId()).isEqualTo("C1");
      assertThat(v.getAttributes())
          .containsEntry(CustomerFeatures.TERMINAL_ID, "T1")
          .containsEntry(CustomerFeatures.TRANSACTION_ID, "4");
      assertThat(v.getFeatureSchemaFingerprint()).isEqualTo(FraudFeatures.FINGERPRINT);
      float[] expected = FraudFixture.EXPECTED.get(4L);
      for (int i = 0; i < FraudFeatures.TERMINAL_OFFSET; i++) {
        assertThat(v.getFeatures().get(i))
            .isCloseTo(expected[i], org.assertj.core.api.Assertions.within(1e-4f));
      }
      for (int i = FraudFeatures.TERMINAL_OFFSET; i < FraudFeatures.SIZE; i++) {
        assertThat(v.getFeatures().get(i)).isZero();
      }
    }
  }

  @Test
  void dropsTheStateAndTimerOfACustomerIdleForThirtyDays() throws Exception {
    try (var h = harness()) {
      send(h, FraudFixture.TX1); // C1 at 10 h
      send(h, FraudFixture.TX3); // C2 at 23 h
      send(h, FraudFixture.TX4); // C1 at 29 h
      assertThat(h.numEventTimeTimers()).isEqualTo(2); // one cleanup timer per customer
      assertThat(h.numKeyedStateEntries()).isEqualTo(4); // history + timer time, per customer

      long days30 = Duration.ofDays(30).toMillis();
      h.processWatermark(new Watermark(at(23).toEpochMilli() + days30 - 1));
      assertThat(h.numKeyedStateEntries()).isEqualTo(4);
      h.processWatermark(new Watermark(at(23).toEpochMilli() + days30)); // C2 expires
      assertThat(h.numEventTimeTimers()).isEqualTo(1);
      assertThat(h.numKeyedStateEntries()).isEqualTo(2);
      h.processWatermark(new Watermark(at(29).toEpochMilli() + days30)); // C1 expires
      assertThat(h.numEventTimeTimers()).isZero();
      assertThat(h.numKeyedStateEntries()).isZero();

      // A customer seen again starts from scratch.
      send(h, FraudFixture.tx(99, 29 + 30 * 24 + 1, "C1", "T1", 7));
      FeatureVector v = h.extractOutputValues().get(3);
      assertThat(v.getFeatures().get(FraudFeatures.CUSTOMER_OFFSET + 4)).isEqualTo(1f);
    }
  }

  @Test
  void aNewerTransactionKeepsOneCleanupTimerAndTheCustomerAliveUntilItsOwnExpiry()
      throws Exception {
    try (var h = harness()) {
      send(h, FraudFixture.TX1);
      send(h, FraudFixture.TX2);
      send(h, FraudFixture.TX5);
      assertThat(h.numEventTimeTimers()).isEqualTo(1);
      h.processWatermark(new Watermark(at(10 + 30 * 24).toEpochMilli()));
      assertThat(h.numKeyedStateEntries()).isEqualTo(2); // tx5 keeps C1 alive
      assertThat(h.numEventTimeTimers()).isEqualTo(1); // re-armed at tx5's expiry
      long tx5Expiry = at(132).toEpochMilli() + Duration.ofDays(30).toMillis();
      h.processWatermark(new Watermark(tx5Expiry - 1));
      assertThat(h.numKeyedStateEntries()).isEqualTo(2);
      h.processWatermark(new Watermark(tx5Expiry));
      assertThat(h.numKeyedStateEntries()).isZero();
      assertThat(h.numEventTimeTimers()).isZero();
    }
  }

  /**
   * Windows are (t - w, t] in event time, as pandas' {@code rolling('<w>d')} computes them: a
   * transaction exactly 1, 7 or 30 days older is out. Hand-computed counts and average amounts for
   * the 1-, 7- and 30-day windows of one customer.
   */
  @Test
  void windowsOfOneSevenAndThirtyDaysExcludeTheTransactionExactlyTheirLengthOlder()
      throws Exception {
    long[] hours = {0, 24, 168, 169, 744};
    double[] amounts = {10, 20, 30, 40, 50};
    float[][] expected = {
      {1, 10, 1, 10, 1, 10},
      {1, 20, 2, 15, 2, 15},
      {1, 30, 2, 25, 3, 20},
      {2, 35, 3, 30, 4, 25},
      {1, 50, 1, 50, 3, 40},
    };
    try (var h = harness()) {
      for (int i = 0; i < hours.length; i++) {
        send(h, FraudFixture.tx(100 + i, hours[i], "C9", "T9", amounts[i]));
      }
      List<FeatureVector> out = h.extractOutputValues();
      assertThat(out).hasSize(hours.length);
      for (int i = 0; i < hours.length; i++) {
        float[] customer = new float[6];
        for (int j = 0; j < 6; j++) {
          customer[j] = out.get(i).getFeatures().get(FraudFeatures.CUSTOMER_OFFSET + j);
        }
        assertThat(customer).as("hour " + hours[i]).containsExactly(expected[i], within(1e-4f));
      }
    }
  }
}
