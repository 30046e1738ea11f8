package dev.millrace.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.schemas.fraud.FraudTransaction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

  private final AvroSerde<FraudTransaction> serde = AvroSerde.of(FraudTransaction.class);

  @Test
  void roundTripsARecord() {
    FraudTransaction tx =
        FraudTransaction.newBuilder()
            .setTransactionId(42)
            .setEventTime(Instant.parse("2018-04-01T00:00:31Z"))
            .setCustomerId("596")
            .setTerminalId("3156")
            .setAmount(57.16)
            .build();

    byte[] bytes = serde.serializer().serialize("fraud.events", tx);

    assertThat(bytes[0]).isEqualTo((byte) 0xC3); // single-object encoding marker
    assertThat(serde.deserializer().deserialize("fraud.events", bytes)).isEqualTo(tx);
  }

  @Test
  void badBytesGiveAClearError() {
    byte[] garbage = "not avro at all".getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> serde.decode(garbage))
        .isInstanceOf(SerializationException.class)
        .hasMessageStartingWith("not a valid FraudTransaction record");
  }

  @Test
  void aRecordOfAnotherTypeIsRefused() {
    byte[] label =
        AvroSerde.of(ScoreRecord.class)
            .encode(
                ScoreRecord.newBuilder()
                    .setTask(Task.FRAUD)
                    .setEventId("1")
                    .setEntityId("c")
                    .setPrediction(0.5)
                    .setModelVersion("fallback")
                    .setEventTime(Instant.EPOCH)
                    .setScoringTime(Instant.EPOCH)
                    .build());

    assertThatThrownBy(() -> serde.decode(label))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("FraudTransaction");
  }
}
