package dev.millrace.ingest.fraud;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.ingest.ReasonCodes;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.fraud.FraudTransaction;
import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.TestKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(KafkaExtension.class)
class FraudValidatorAppTest {

  @TempDir Path stateDir;

  @Test
  void validatesOnARealBrokerExactlyOnce(TestKafka kafka) {
    kafka.createTopics(Task.FRAUD);
    Instant now = Instant.now();
    List<FraudTransaction> good = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      good.add(
          new FraudTransaction(
              (long) i, now.minusSeconds(3600 - i), "c" + (i % 7), "t" + (i % 5), 10.0 + i));
    }
    List<PoisonRecords.PoisonRecord> poison = PoisonRecords.forRaw(good.get(0), now);
    Topic<byte[], byte[]> raw =
        new Topic<>(
            kafka.topics().raw(Task.FRAUD).name(),
            Serdes.ByteArray(),
            Serdes.ByteArray(),
            3,
            Map.of());
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int i = 0; i < good.size(); i++) {
      FraudTransaction tx = good.get(i);
      records.add(
          new ProducerRecord<>(raw.name(), tx.getCustomerId().getBytes(), FraudJson.toJson(tx)));
      if (i < poison.size()) {
        records.add(new ProducerRecord<>(raw.name(), poison.get(i).key(), poison.get(i).value()));
      }
    }
    kafka.send(raw, records);

    FraudValidatorApp.Settings settings =
        FraudValidatorApp.Settings.defaults(kafka.bootstrapServers())
            .withApplicationId("validator-" + kafka.namespace())
            .withStateDir(stateDir);
    try (FraudValidatorApp app = new FraudValidatorApp(kafka.topics(), settings)) {
      app.start();
      List<ConsumerRecord<String, FraudTransaction>> events =
          kafka.readCommitted(
              kafka.topics().fraudEvents(),
              good.size(),
              Duration.ofSeconds(90),
              Duration.ofSeconds(2));
      List<ConsumerRecord<byte[], DeadLetter>> letters =
          kafka.readCommitted(
              kafka.topics().dlq(Task.FRAUD),
              poison.size(),
              Duration.ofSeconds(60),
              Duration.ofSeconds(1));

      assertThat(events)
          .extracting(ConsumerRecord::value)
          .containsExactlyInAnyOrderElementsOf(good);
      assertThat(events).allSatisfy(r -> assertThat(r.key()).isEqualTo(r.value().getCustomerId()));
      assertThat(letters).hasSize(poison.size());
      Map<String, Long> byCode =
          letters.stream()
              .collect(
                  Collectors.groupingBy(r -> r.value().getReasonCode(), Collectors.counting()));
      Map<String, Long> expected =
          poison.stream()
              .collect(
                  Collectors.groupingBy(
                      PoisonRecords.PoisonRecord::expectedReasonCode, Collectors.counting()));
      assertThat(byCode).isEqualTo(expected);
      assertThat(letters)
          .allSatisfy(
              r -> {
                assertThat(r.value().getSourceTopic()).isEqualTo(raw.name());
                assertThat(r.value().getSourceOffset()).isNotNull();
                assertThat(r.value().getStage()).isEqualTo("validator");
              });
      assertThat(app.state().isRunningOrRebalancing()).isTrue();
    }
  }

  private FraudValidatorApp.Settings settings(TestKafka kafka) {
    return FraudValidatorApp.Settings.defaults(kafka.bootstrapServers())
        .withApplicationId("validator-" + kafka.namespace())
        .withStateDir(stateDir);
  }

  private static Topic<byte[], byte[]> raw(TestKafka kafka) {
    return new Topic<>(
        kafka.topics().raw(Task.FRAUD).name(), Serdes.ByteArray(), Serdes.ByteArray(), 1, Map.of());
  }

  /**
   * A raw record of 2 MB (sent gzip-compressed, as a producer may) yields a dead letter carrying
   * only its first 64 KiB and its size: it fits in one request, where the whole record would have
   * been refused as too large.
   */
  @Test
  void aDeadLetterOfAHugeRecordCarriesOnlyItsFirst64KiB(TestKafka kafka) throws Exception {
    kafka.createTopics(Task.FRAUD);
    byte[] huge = new byte[2 * 1024 * 1024];
    java.util.Arrays.fill(huge, (byte) 'x');
    huge[0] = '{'; // malformed JSON
    Instant now = Instant.now();
    FraudTransaction after = new FraudTransaction(2L, now.minusSeconds(60), "c2", "t2", 12.5);
    Properties p = new Properties();
    p.putAll(kafka.clientProperties());
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "gzip");
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 * 1024 * 1024);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(raw(kafka).name(), "k".getBytes(), huge)).get();
      producer
          .send(new ProducerRecord<>(raw(kafka).name(), "c2".getBytes(), FraudJson.toJson(after)))
          .get();
    }
    try (FraudValidatorApp app = new FraudValidatorApp(kafka.topics(), settings(kafka))) {
      app.start();
      List<ConsumerRecord<String, FraudTransaction>> events =
          kafka.readCommitted(
              kafka.topics().fraudEvents(), 1, Duration.ofSeconds(90), Duration.ofSeconds(1));
      List<ConsumerRecord<byte[], DeadLetter>> letters =
          kafka.readCommitted(
              kafka.topics().dlq(Task.FRAUD), 1, Duration.ofSeconds(30), Duration.ofSeconds(1));

      assertThat(events).extracting(ConsumerRecord::value).containsExactly(after);
      assertThat(letters).hasSize(1);
      DeadLetter letter = letters.get(0).value();
      assertThat(letter.getReasonCode()).isEqualTo(ReasonCodes.MALFORMED_JSON);
      assertThat(letter.getOriginalValue().remaining()).isEqualTo(64 * 1024);
      assertThat(letter.getOriginalValueSize()).isEqualTo(2 * 1024 * 1024);
      assertThat(letter.getReason()).contains("2097152 bytes truncated");
      assertThat(app.state().isRunningOrRebalancing()).isTrue();
    }
  }

  /**
   * An event larger than a producer request may hold (here: the validator's producer allows 700
   * bytes per request, the event of a transaction with 256-character ids is larger) goes to the DLQ
   * as OUTPUT_TOO_LARGE with a prefix of its source, and the validator goes on with the next
   * record: checked before the send, since under exactly-once a send Kafka refuses fails the
   * transaction.
   */
  @Test
  void anOutputTooLargeForKafkaIsDeadLetteredAndTheValidatorGoesOn(TestKafka kafka) {
    kafka.createTopics(Task.FRAUD);
    Instant now = Instant.now();
    FraudTransaction big =
        new FraudTransaction(1L, now.minusSeconds(120), "c".repeat(256), "t".repeat(256), 5.0);
    FraudTransaction small = new FraudTransaction(2L, now.minusSeconds(60), "c2", "t2", 12.5);
    kafka.send(
        raw(kafka),
        List.of(
            new ProducerRecord<>(raw(kafka).name(), "k".getBytes(), FraudJson.toJson(big)),
            new ProducerRecord<>(raw(kafka).name(), "c2".getBytes(), FraudJson.toJson(small))));
    Properties overrides = new Properties();
    overrides.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), 700);
    try (FraudValidatorApp app =
        new FraudValidatorApp(kafka.topics(), settings(kafka), overrides)) {
      app.start();
      List<ConsumerRecord<String, FraudTransaction>> events =
          kafka.readCommitted(
              kafka.topics().fraudEvents(), 1, Duration.ofSeconds(90), Duration.ofSeconds(1));
      List<ConsumerRecord<byte[], DeadLetter>> letters =
          kafka.readCommitted(
              kafka.topics().dlq(Task.FRAUD), 1, Duration.ofSeconds(30), Duration.ofSeconds(1));

      assertThat(events).extracting(ConsumerRecord::value).containsExactly(small);
      assertThat(letters).hasSize(1);
      DeadLetter letter = letters.get(0).value();
      assertThat(letter.getReasonCode()).isEqualTo(ReasonCodes.OUTPUT_TOO_LARGE);
      assertThat(letter.getSourceOffset()).isZero();
      assertThat(letter.getOriginalValue().remaining()).isEqualTo(64);
      assertThat(letter.getOriginalValueSize()).isEqualTo(FraudJson.toJson(big).length);
      assertThat(app.state().isRunningOrRebalancing()).isTrue();
    }
  }

  /**
   * What gets past that check and is still refused by Kafka (here the broker: fraud.events takes at
   * most 400 bytes per batch) reaches the production exception handler, which dead-letters it as
   * OUTPUT_TOO_LARGE and counts it instead of stopping the stream thread. Run at-least-once: under
   * exactly-once the refused send fails the transaction whatever the handler answers.
   */
  @Test
  void theProductionExceptionHandlerDeadLettersWhatKafkaRefusesAsTooLarge(TestKafka kafka)
      throws Exception {
    kafka.createTopics(Task.FRAUD);
    String eventsTopic = kafka.topics().fraudEvents().name();
    try (Admin admin = Admin.create(kafka.clientProperties())) {
      admin
          .incrementalAlterConfigs(
              Map.of(
                  new ConfigResource(ConfigResource.Type.TOPIC, eventsTopic),
                  List.of(
                      new AlterConfigOp(
                          new ConfigEntry("max.message.bytes", "400"), AlterConfigOp.OpType.SET))))
          .all()
          .get();
    }
    Instant now = Instant.now();
    FraudTransaction big =
        new FraudTransaction(1L, now.minusSeconds(120), "c".repeat(200), "t".repeat(200), 5.0);
    FraudTransaction small = new FraudTransaction(2L, now.minusSeconds(60), "c2", "t2", 12.5);
    kafka.send(
        raw(kafka),
        List.of(
            new ProducerRecord<>(raw(kafka).name(), "k".getBytes(), FraudJson.toJson(big)),
            new ProducerRecord<>(raw(kafka).name(), "c2".getBytes(), FraudJson.toJson(small))));
    long before = DeadLetterProductionExceptionHandler.tooLargeCount();
    Properties overrides = new Properties();
    overrides.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
    try (FraudValidatorApp app =
        new FraudValidatorApp(kafka.topics(), settings(kafka), overrides)) {
      app.start();
      List<ConsumerRecord<String, FraudTransaction>> events =
          kafka.readCommitted(
              kafka.topics().fraudEvents(), 1, Duration.ofSeconds(90), Duration.ofSeconds(1));
      List<ConsumerRecord<byte[], DeadLetter>> letters =
          kafka.readCommitted(
              kafka.topics().dlq(Task.FRAUD), 1, Duration.ofSeconds(30), Duration.ofSeconds(1));

      assertThat(events).extracting(ConsumerRecord::value).containsExactly(small);
      assertThat(DeadLetterProductionExceptionHandler.tooLargeCount()).isEqualTo(before + 1);
      assertThat(letters).hasSize(1);
      DeadLetter letter = letters.get(0).value();
      assertThat(letter.getReasonCode()).isEqualTo(ReasonCodes.OUTPUT_TOO_LARGE);
      assertThat(letter.getReason()).contains(eventsTopic);
      assertThat(letter.getSourceOffset()).isZero();
      assertThat(letter.getOriginalValue().remaining())
          .isEqualTo(DeadLetterProductionExceptionHandler.ORIGINAL_PREFIX_BYTES);
      assertThat(letter.getOriginalValueSize()).isEqualTo(FraudJson.toJson(big).length);
      assertThat(DeadLetterProductionExceptionHandler.tooLargeCount()).isEqualTo(before + 1);
      assertThat(app.state().isRunningOrRebalancing()).isTrue();
    }
  }
}
