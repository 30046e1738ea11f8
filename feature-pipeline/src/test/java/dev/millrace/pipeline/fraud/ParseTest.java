package dev.millrace.pipeline.fraud;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.ingest.ValidationRules;
import dev.millrace.ingest.fraud.FraudValidation;
import dev.millrace.pipeline.AvroParser;
import dev.millrace.pipeline.DeadLetters;
import dev.millrace.pipeline.RawRecord;
import dev.millrace.schemas.AvroSerde;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.fraud.FraudLabel;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.api.Test;

class ParseTest {

  private static final OutputTag<DeadLetter> DLQ = DeadLetters.tag("dlq");
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2018-06-01T00:00:00Z"), ZoneOffset.UTC);

  private static List<DeadLetter> deadLetters(OneInputStreamOperatorTestHarness<?, ?> h) {
    return h.getSideOutput(DLQ).stream().map(StreamRecord::getValue).toList();
  }

  @Test
  void transactionsAreDecodedValidatedAndPoisonIsDeadLettered() throws Exception {
    AvroSerde<FraudTransaction> serde = AvroSerde.of(FraudTransaction.class);
    try (var h =
        ProcessFunctionTestHarnesses.forProcessFunction(
            new ParseTransactions(ValidationRules.defaults(), DLQ, CLOCK))) {
      h.processElement(RawRecord.of("t", null, serde.encode(FraudFixture.TX1)), 0);
      h.processElement(new RawRecord("t", 1, 7, 0, new byte[] {9}, new byte[] {1, 2, 3}), 0);
      h.processElement(RawRecord.of("t", null, null), 0);
      h.processElement(RawRecord.of("t", null, new byte[0]), 0);
      h.processElement(
          RawRecord.of("t", null, serde.encode(FraudFixture.tx(2, 0, "C1", "T1", -1))), 0);
      h.processElement(
          RawRecord.of("t", null, serde.encode(FraudFixture.tx(3, 0, " ", "T1", 1))), 0);
      FraudTransaction future = FraudFixture.tx(4, 0, "C1", "T1", 1);
      future.setEventTime(Instant.parse("2018-06-03T00:00:00Z")); // 2 days after the clock
      h.processElement(RawRecord.of("t", null, serde.encode(future)), 0);

      assertThat(h.extractOutputValues()).containsExactly(FraudFixture.TX1);
      List<DeadLetter> dead = deadLetters(h);
      assertThat(dead)
          .extracting(DeadLetter::getReasonCode)
          .containsExactly(
              AvroParser.UNDECODABLE,
              AvroParser.EMPTY_VALUE,
              AvroParser.EMPTY_VALUE,
              FraudValidation.NEGATIVE_AMOUNT,
              FraudValidation.EMPTY_CUSTOMER_ID,
              FraudValidation.TIME_TOO_FAR_IN_FUTURE);
      DeadLetter first = dead.get(0);
      assertThat(first.getStage()).isEqualTo(ParseTransactions.STAGE);
      assertThat(first.getSourceTopic()).isEqualTo("t");
      assertThat(first.getSourcePartition()).isEqualTo(1);
      assertThat(first.getSourceOffset()).isEqualTo(7L);
      assertThat(DeadLetters.bytes(first.getOriginalKey())).containsExactly(9);
      assertThat(DeadLetters.bytes(first.getOriginalValue())).containsExactly(1, 2, 3);
      assertThat(first.getRejectedAt()).isEqualTo(CLOCK.instant());
      assertThat(dead.get(3).getReason()).contains("-1.0");
      assertThat(dead.get(1).getSourcePartition()).isNull();
    }
  }

  @Test
  void labelsAreDecodedAndInconsistentOnesDeadLettered() throws Exception {
    AvroSerde<FraudLabel> serde = AvroSerde.of(FraudLabel.class);
    AvroSerde<FraudTransaction> txSerde = AvroSerde.of(FraudTransaction.class);
    try (var h = ProcessFunctionTestHarnesses.forProcessFunction(new ParseLabels(DLQ, CLOCK))) {
      h.processElement(RawRecord.of("l", null, serde.encode(FraudFixture.L1)), 0);
      h.processElement(
          RawRecord.of("l", null, serde.encode(FraudFixture.label(FraudFixture.TX1, 9, true))), 0);
      // A transaction on the labels topic is not a label.
      h.processElement(RawRecord.of("l", null, txSerde.encode(FraudFixture.TX1)), 0);
      FraudLabel noTerminal = FraudLabel.newBuilder(FraudFixture.L1).setTerminalId("").build();
      h.processElement(RawRecord.of("l", null, serde.encode(noTerminal)), 0);

      assertThat(h.extractOutputValues()).containsExactly(FraudFixture.L1);
      assertThat(deadLetters(h))
          .extracting(DeadLetter::getReasonCode)
          .containsExactly(
              ParseLabels.LABEL_BEFORE_TRANSACTION,
              AvroParser.UNDECODABLE,
              ParseLabels.EMPTY_TERMINAL_ID);
      assertThat(deadLetters(h))
          .allSatisfy(d -> assertThat(d.getStage()).isEqualTo(ParseLabels.STAGE));
    }
  }
}
