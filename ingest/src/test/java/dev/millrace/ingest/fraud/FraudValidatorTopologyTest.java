package dev.millrace.ingest.fraud;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.ingest.ValidationRules;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.DeadLetterHeaders;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FraudValidatorTopologyTest {

  static final Instant NOW = Instant.parse("2024-06-01T00:00:00Z");
  static final TopicRegistry TOPICS = TopicRegistry.standard();
  static final FraudTransaction GOOD =
      new FraudTransaction(42L, Instant.parse("2024-05-31T10:00:00Z"), "c7", "t9", 31.5);

  TopologyTestDriver driver;
  TestInputTopic<byte[], byte[]> raw;
  TestOutputTopic<String, FraudTransaction> events;
  TestOutputTopic<byte[], DeadLetter> dlq;

  @BeforeEach
  void setUp() {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "validator-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:1");
    driver =
        new TopologyTestDriver(
            FraudValidatorTopology.build(TOPICS, ValidationRules.defaults()), props, NOW);
    raw =
        driver.createInputTopic(
            TOPICS.raw(Task.FRAUD).name(), new ByteArraySerializer(), new ByteArraySerializer());
    events =
        driver.createOutputTopic(
            TOPICS.fraudEvents().name(),
            TOPICS.fraudEvents().keySerde().deserializer(),
            TOPICS.fraudEvents().valueSerde().deserializer());
    dlq =
        driver.createOutputTopic(
            TOPICS.dlq(Task.FRAUD).name(),
            TOPICS.dlq(Task.FRAUD).keySerde().deserializer(),
            TOPICS.dlq(Task.FRAUD).valueSerde().deserializer());
  }

  @AfterEach
  void tearDown() {
    driver.close();
  }

  private static String header(TestRecord<?, ?> r, String name) {
    return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  @Test
  void validJsonBecomesAnAvroEventKeyedByCustomer() {
    raw.pipeInput("c7".getBytes(), FraudJson.toJson(GOOD), NOW);
    TestRecord<String, FraudTransaction> out = events.readRecord();
    assertThat(out.key()).isEqualTo("c7");
    assertThat(out.value()).isEqualTo(GOOD);
    assertThat(out.timestamp()).isEqualTo(NOW.toEpochMilli());
    assertThat(events.isEmpty()).isTrue();
    assertThat(dlq.isEmpty()).isTrue();
  }

  @Test
  void everyKindOfBadInputGoesToTheDlqWithItsReasonAndTheStreamGoesOn() {
    List<PoisonRecords.PoisonRecord> poison = PoisonRecords.forRaw(GOOD, NOW);
    for (PoisonRecords.PoisonRecord p : poison) {
      raw.pipeInput(p.key(), p.value(), NOW);
    }
    raw.pipeInput(null, null, NOW); // tombstone
    raw.pipeInput("c7".getBytes(), FraudJson.toJson(GOOD), NOW); // still processing afterwards

    List<TestRecord<byte[], DeadLetter>> letters = dlq.readRecordsToList();
    assertThat(letters).hasSize(poison.size() + 1);
    for (int i = 0; i < poison.size(); i++) {
      PoisonRecords.PoisonRecord p = poison.get(i);
      TestRecord<byte[], DeadLetter> r = letters.get(i);
      DeadLetter l = r.value();
      assertThat(l.getReasonCode()).as(p.name()).isEqualTo(p.expectedReasonCode());
      assertThat(l.getReason()).as(p.name()).isNotBlank();
      assertThat(l.getStage()).isEqualTo("validator");
      assertThat(l.getSourceTopic()).isEqualTo("fraud.raw");
      assertThat(l.getSourcePartition()).isZero();
      assertThat(l.getSourceOffset()).isEqualTo(i);
      assertThat(l.getRejectedAt()).isEqualTo(NOW);
      assertThat(bytes(l.getOriginalValue())).isEqualTo(p.value());
      assertThat(bytes(l.getOriginalKey())).isEqualTo(p.key());
      assertThat(r.key()).isEqualTo(p.key());
      assertThat(header(r, DeadLetterHeaders.REASON)).isEqualTo(p.expectedReasonCode());
      assertThat(header(r, DeadLetterHeaders.STAGE)).isEqualTo("validator");
      assertThat(header(r, DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo("fraud.raw");
      assertThat(header(r, DeadLetterHeaders.SOURCE_PARTITION)).isEqualTo("0");
      assertThat(header(r, DeadLetterHeaders.SOURCE_OFFSET)).isEqualTo(Integer.toString(i));
    }
    DeadLetter tombstone = letters.get(poison.size()).value();
    assertThat(tombstone.getReasonCode()).isEqualTo("EMPTY_VALUE");
    assertThat(tombstone.getOriginalValue()).isNull();
    assertThat(events.readValuesToList()).containsExactly(GOOD);
  }

  @Test
  void theWallClockDecidesWhatIsTooFarInTheFuture() {
    FraudTransaction tomorrowNoon =
        FraudTransaction.newBuilder(GOOD)
            .setEventTime(Instant.parse("2024-06-02T12:00:00Z"))
            .build();
    raw.pipeInput("c7".getBytes(), FraudJson.toJson(tomorrowNoon), NOW);
    assertThat(dlq.readValue().getReasonCode()).isEqualTo("TIME_TOO_FAR_IN_FUTURE");
    driver.advanceWallClockTime(java.time.Duration.ofHours(12));
    raw.pipeInput("c7".getBytes(), FraudJson.toJson(tomorrowNoon), NOW);
    assertThat(events.readValue()).isEqualTo(tomorrowNoon);
  }

  @Test
  void epochMillisEventTimeIsAccepted() {
    String json =
        "{\"transactionId\":5,\"eventTime\":"
            + GOOD.getEventTime().toEpochMilli()
            + ",\"customerId\":\"c7\",\"terminalId\":\"t9\",\"amount\":31.5}";
    raw.pipeInput("c7".getBytes(), json.getBytes(StandardCharsets.UTF_8), NOW);
    FraudTransaction tx = events.readValue();
    assertThat(tx.getEventTime()).isEqualTo(GOOD.getEventTime());
    assertThat(tx.getTransactionId()).isEqualTo(5L);
  }

  private static byte[] bytes(java.nio.ByteBuffer buffer) {
    byte[] out = new byte[buffer.remaining()];
    buffer.duplicate().get(out);
    return out;
  }
}
