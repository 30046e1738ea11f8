package dev.millrace.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.fraud.FraudTransaction;
import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.TestKafka;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Avro records travel through the registry's serdes on a real broker and come back equal. */
@ExtendWith(KafkaExtension.class)
class TopicRegistryOnBrokerTest {

  @Test
  void avroEventsRoundTripThroughTheRegistrySerdes(TestKafka kafka) {
    kafka.createTopics(Task.FRAUD);
    Topic<String, FraudTransaction> events = kafka.topics().fraudEvents();
    List<FraudTransaction> sent =
        IntStream.range(0, 100)
            .mapToObj(
                i ->
                    FraudTransaction.newBuilder()
                        .setTransactionId(i)
                        .setEventTime(Instant.parse("2018-04-01T00:00:00Z").plusSeconds(60L * i))
                        .setCustomerId("c" + (i % 7))
                        .setTerminalId("t" + (i % 11))
                        .setAmount(10.5 + i)
                        .build())
            .toList();

    kafka.send(
        events,
        sent.stream()
            .map(tx -> new ProducerRecord<>(events.name(), tx.getCustomerId(), tx))
            .toList());
    List<ConsumerRecord<String, FraudTransaction>> received =
        kafka.readCommitted(events, sent.size(), Duration.ofSeconds(30), Duration.ZERO);

    assertThat(received)
        .extracting(ConsumerRecord::value)
        .containsExactlyInAnyOrderElementsOf(sent);
    assertThat(received).allSatisfy(r -> assertThat(r.key()).isEqualTo(r.value().getCustomerId()));
  }

  @Test
  void theModelsTopicIsCompactedAndKeepsAnnouncements(TestKafka kafka) {
    kafka.createTopics(Task.FRAUD);
    Topic<String, ModelAnnouncement> models = kafka.topics().models();
    ModelAnnouncement announcement =
        ModelAnnouncement.newBuilder()
            .setTask(Task.FRAUD)
            .setVersion("fraud-1")
            .setArtifactUri("file:///tmp/models/fraud/fraud-1.zip")
            .setSha256("00".repeat(32))
            .setFeatureSchemaFingerprint("sha256:abc")
            .setMetrics(Map.of("auc", 0.87))
            .setStatus(ModelStatus.CHAMPION)
            .setAnnouncedAt(Instant.parse("2026-11-25T10:00:00Z"))
            .build();

    kafka.send(models, List.of(new ProducerRecord<>(models.name(), "fraud", announcement)));

    assertThat(kafka.readCommitted(models, 1, Duration.ofSeconds(30), Duration.ZERO))
        .singleElement()
        .satisfies(r -> assertThat(r.value()).isEqualTo(announcement));
    assertThat(models.cleanupPolicy()).isEqualTo("compact");
  }
}
