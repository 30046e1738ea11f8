package dev.millrace.ingest.fraud;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
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
}
