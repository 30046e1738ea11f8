package dev.millrace.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.ingest.fraud.FraudJson;
import dev.millrace.ingest.fraud.FraudValidatorApp;
import dev.millrace.kafka.BrokerSecurity;
import dev.millrace.kafka.BrokerSettings;
import dev.millrace.kafka.EmbeddedKafkaBroker;
import dev.millrace.kafka.MillraceAcls;
import dev.millrace.kafka.TopicAdmin;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka Streams validator as {@code User:validator} on a secured broker: JSON from {@code
 * fraud.raw} (written as {@code User:cli}) becomes Avro on {@code fraud.events}, a malformed record
 * goes to {@code fraud.dlq}; both read back as {@code User:cli}.
 */
class SecuredValidatorTest {

  private static final int GOOD = 20;
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path dir;

  @Test
  void theValidatorRunsAsItsOwnPrincipal() throws Exception {
    TopicRegistry topics = TopicRegistry.standard();
    FraudValidatorApp.Settings settings =
        FraudValidatorApp.Settings.defaults("unused").withStateDir(dir.resolve("streams"));
    try (EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.start(
            BrokerSettings.ephemeral(dir.resolve("kafka"))
                .withSecurity(BrokerSecurity.millrace(dir.resolve("security"))))) {
      String bootstrap = broker.bootstrapServers();
      try (TopicAdmin admin = new TopicAdmin(bootstrap, broker.adminClientProperties())) {
        admin.ensure(topics.all(List.of(Task.FRAUD)));
        MillraceAcls.apply(
            admin.admin(),
            MillraceAcls.bindings(
                topics,
                List.of(Task.FRAUD),
                new MillraceAcls.Prefixes(
                    "millrace-fraud-pipeline",
                    "millrace-fraud",
                    "millrace-trainer-",
                    settings.applicationId())));
      }
      Map<String, Object> cli = new HashMap<>(broker.clientProperties(MillraceAcls.CLI));
      cli.put("bootstrap.servers", bootstrap);
      try (KafkaProducer<byte[], byte[]> producer =
          new KafkaProducer<>(cli, new ByteArraySerializer(), new ByteArraySerializer())) {
        Instant now = Instant.now();
        for (int i = 0; i < GOOD; i++) {
          FraudTransaction tx =
              new FraudTransaction(
                  (long) i, now.minusSeconds(3600 - i), "c" + (i % 7), "t" + (i % 5), 10.0 + i);
          producer.send(
              new ProducerRecord<>(
                  topics.raw(Task.FRAUD).name(),
                  tx.getCustomerId().getBytes(StandardCharsets.UTF_8),
                  FraudJson.toJson(tx)));
        }
        producer
            .send(
                new ProducerRecord<>(
                    topics.raw(Task.FRAUD).name(),
                    "bad".getBytes(StandardCharsets.UTF_8),
                    "{not json".getBytes(StandardCharsets.UTF_8)))
            .get(30, TimeUnit.SECONDS);
      }

      Properties validator = new Properties();
      validator.putAll(broker.clientProperties(MillraceAcls.VALIDATOR));
      try (FraudValidatorApp app =
          new FraudValidatorApp(
              topics,
              new FraudValidatorApp.Settings(
                  bootstrap, settings.applicationId(), settings.stateDir(), settings.rules()),
              validator)) {
        app.start();
        assertThat(count(cli, topics.fraudEvents().name(), GOOD)).isEqualTo(GOOD);
        assertThat(count(cli, topics.dlq(Task.FRAUD).name(), 1)).isEqualTo(1);
      }
    }
  }

  /** Committed records on {@code topic}, read until {@code n} or {@link #WAIT}, then 2 s more. */
  private static long count(Map<String, Object> client, String topic, long n) {
    Map<String, Object> p = new HashMap<>(client);
    p.put("isolation.level", "read_committed");
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(i -> new TopicPartition(i.topic(), i.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long seen = 0;
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (seen < n && System.nanoTime() < deadline) {
        seen += consumer.poll(Duration.ofMillis(500)).count();
      }
      return seen + consumer.poll(Duration.ofSeconds(2)).count();
    }
  }
}
