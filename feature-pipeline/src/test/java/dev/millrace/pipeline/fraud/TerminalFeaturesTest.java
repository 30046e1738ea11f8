package dev.millrace.pipeline.fraud;

import static dev.millrace.pipeline.fraud.FraudFixture.at;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.fraud.FraudLabel;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class TerminalFeaturesTest {

  @Test
  void fillsTerminalFeaturesWithoutLeakingFutureLabelsAndClearsIdleTerminals() throws Exception {
    try (var h =
        new KeyedTwoInputStreamOperatorTestHarness<
            String, FeatureVector, FraudLabel, FeatureVector>(
            new KeyedCoProcessOperator<>(new TerminalFeatures(0)),
            v -> v.getAttributes().get(CustomerFeatures.TERMINAL_ID),
            FraudLabel::getTerminalId,
            Types.STRING)) {
      h.open();
      // Feed the whole fixture in processing order; customer features come from the same code.
      CustomerHistory c1 = new CustomerHistory();
      CustomerHistory c2 = new CustomerHistory();
      for (Object o : FraudFixture.ORDER) {
        if (o instanceof FraudTransaction tx) {
          float[] f = FraudFeatures.transactionFeatures(tx.getEventTime(), tx.getAmount());
          CustomerHistory c = tx.getCustomerId().equals("C1") ? c1 : c2;
          FraudFeatures.setCustomer(
              f, c.observe(tx.getEventTime().toEpochMilli(), tx.getAmount(), 0));
          h.processElement1(
              new StreamRecord<>(CustomerFeatures.vector(tx, f), tx.getEventTime().toEpochMilli()));
        } else {
          FraudLabel l = (FraudLabel) o;
          h.processElement2(new StreamRecord<>(l, l.getLabelTime().toEpochMilli()));
        }
      }
      List<FeatureVector> out = h.extractOutputValues();
      assertThat(out).hasSize(13);
      for (FeatureVector v : out) {
        float[] expected = FraudFixture.EXPECTED.get(Long.parseLong(v.getEventId()));
        for (int i = 0; i < FraudFeatures.SIZE; i++) {
          assertThat(v.getFeatures().get(i))
              .as("tx%s %s", v.getEventId(), FraudFeatures.NAMES.get(i))
              .isCloseTo(expected[i], within(1e-4f));
        }
      }
      assertThat(h.numEventTimeTimers()).isEqualTo(2); // one per terminal
      h.processBothWatermarks(new Watermark(Long.MAX_VALUE));
      assertThat(h.numEventTimeTimers()).isZero();
      assertThat(h.numKeyedStateEntries()).isZero();
    }
  }

  @Test
  void aLabelAloneKeepsStateOnlyUntilItsTransactionIsTooOld() throws Exception {
    try (var h =
        new KeyedTwoInputStreamOperatorTestHarness<
            String, FeatureVector, FraudLabel, FeatureVector>(
            new KeyedCoProcessOperator<>(new TerminalFeatures(0)),
            v -> v.getAttributes().get(CustomerFeatures.TERMINAL_ID),
            FraudLabel::getTerminalId,
            Types.STRING)) {
      h.open();
      FraudLabel genuine = FraudFixture.label(FraudFixture.TX2, 30, false);
      h.processElement2(new StreamRecord<>(genuine, at(30).toEpochMilli()));
      assertThat(h.numKeyedStateEntries()).isZero(); // genuine labels change nothing

      FraudLabel fraud = FraudFixture.label(FraudFixture.TX2, 40, true);
      h.processElement2(new StreamRecord<>(fraud, at(40).toEpochMilli()));
      assertThat(h.numKeyedStateEntries()).isEqualTo(2);
      assertThat(h.numEventTimeTimers()).isEqualTo(1);
      h.processBothWatermarks(new Watermark(at(20).toEpochMilli() + TerminalHistory.RETENTION_MS));
      assertThat(h.numKeyedStateEntries()).isZero();
      assertThat(h.numEventTimeTimers()).isZero();
    }
  }

  @Test
  void countsLabelsThatArriveAfterATransactionPastTheirLabelTime() throws Exception {
    TerminalFeatures fn = new TerminalFeatures(0);
    try (var h =
        new KeyedTwoInputStreamOperatorTestHarness<
            String, FeatureVector, FraudLabel, FeatureVector>(
            new KeyedCoProcessOperator<>(fn),
            v -> v.getAttributes().get(CustomerFeatures.TERMINAL_ID),
            FraudLabel::getTerminalId,
            Types.STRING)) {
      h.open();
      CustomerHistory c = new CustomerHistory();
      FraudTransaction tx = FraudFixture.TX2;
      float[] f = FraudFeatures.transactionFeatures(tx.getEventTime(), tx.getAmount());
      FraudFeatures.setCustomer(f, c.observe(tx.getEventTime().toEpochMilli(), tx.getAmount(), 0));
      long txTime = tx.getEventTime().toEpochMilli();
      // A label whose time is after every transaction seen on the terminal: in time.
      FraudLabel early = FraudFixture.label(tx, 40, true);
      assertThat(early.getLabelTime().toEpochMilli()).isGreaterThan(txTime);
      h.processElement1(new StreamRecord<>(CustomerFeatures.vector(tx, f), txTime));
      h.processElement2(new StreamRecord<>(early, early.getLabelTime().toEpochMilli()));
      assertThat(fn.labelsAfterTheirTimeCount()).isZero();
      // A label whose time is not after the transaction already seen: it came too late for it.
      FraudLabel late = FraudLabel.newBuilder(early).setLabelTime(tx.getEventTime()).build();
      h.processElement2(new StreamRecord<>(late, txTime));
      assertThat(fn.labelsAfterTheirTimeCount()).isEqualTo(1);
    }
  }
}
