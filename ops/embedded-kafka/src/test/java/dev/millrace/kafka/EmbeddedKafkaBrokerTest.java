package dev.millrace.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.server.common.TransactionVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerTest {

  @TempDir Path dataDir;

  @Test
  void topicsAndRecordsSurviveARestartOnTheSameDataDir() throws Exception {
    TopicRegistry topics = TopicRegistry.standard();
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerSettings.ephemeral(dataDir));
        TopicAdmin admin = new TopicAdmin(broker.bootstrapServers())) {
      assertThat(admin.ensure(topics.all(List.of(Task.FRAUD)))).hasSize(9);
      assertThat(admin.ensure(topics.all(List.of(Task.FRAUD)))).isEmpty(); // idempotent
      try (KafkaProducer<String, String> producer = producer(broker.bootstrapServers())) {
        producer.send(new ProducerRecord<>("fraud.raw", "c1", "{\"hello\":1}")).get();
      }
    }

    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerSettings.ephemeral(dataDir));
        TopicAdmin admin = new TopicAdmin(broker.bootstrapServers())) {
      assertThat(admin.names()).contains("fraud.events", "fraud.dlq", "millrace.models");
      assertThat(readAll(broker.bootstrapServers(), "fraud.raw")).containsExactly("{\"hello\":1}");
    }
  }

  @Test
  void theBrokerFinalizesTransactionsV1() throws Exception {
    try (EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.start(BrokerSettings.ephemeral(dataDir))) {
      assertThat(finalizedTransactionVersion(broker.bootstrapServers())).isEqualTo((short) 1);
      assertThat(EmbeddedKafkaBroker.TRANSACTION_VERSION).isEqualTo((short) 1);
      assertATransactionCommits(broker.bootstrapServers());
    }
  }

  @Test
  void aDataDirFormattedWithTransactionsV2IsLoweredToV1() throws Exception {
    Files.createDirectories(dataDir);
    EmbeddedKafkaBroker.format(dataDir.toAbsolutePath(), (short) 2);
    try (EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.start(BrokerSettings.ephemeral(dataDir))) {
      assertThat(finalizedTransactionVersion(broker.bootstrapServers())).isEqualTo((short) 1);
      assertATransactionCommits(broker.bootstrapServers());
    }
  }

  private static short finalizedTransactionVersion(String bootstrap) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      FinalizedVersionRange tv =
          admin
              .describeFeatures()
              .featureMetadata()
              .get()
              .finalizedFeatures()
              .get(TransactionVersion.FEATURE_NAME);
      assertThat(tv).as("transaction.version is finalized").isNotNull();
      return tv.maxVersionLevel();
    }
  }

  private static void assertATransactionCommits(String bootstrap) throws Exception {
    try (TopicAdmin admin = new TopicAdmin(bootstrap)) {
      admin.ensure(TopicRegistry.standard().all(List.of(Task.FRAUD)));
    }
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("transactional.id", "tv-test");
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>("fraud.raw", "k", "in a transaction")).get();
      producer.commitTransaction();
    }
    assertThat(readAll(bootstrap, "fraud.raw")).contains("in a transaction");
  }

  @Test
  void aBusyPortIsAClearError() throws IOException {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      BrokerSettings settings =
          new BrokerSettings("127.0.0.1", busy.getLocalPort(), 0, dataDir, Map.of());

      assertThatThrownBy(() -> EmbeddedKafkaBroker.start(settings))
          .isInstanceOf(BrokerStartException.class)
          .hasMessage(
              "port "
                  + busy.getLocalPort()
                  + " on 127.0.0.1 is already in use: stop whatever listens there or pass another"
                  + " --port");
    }
  }

  @Test
  void anUnusableDataDirIsAClearError() throws IOException {
    Path file = Files.writeString(dataDir.resolve("a-file"), "not a directory");

    assertThatThrownBy(() -> EmbeddedKafkaBroker.start(BrokerSettings.ephemeral(file.resolve("x"))))
        .isInstanceOf(BrokerStartException.class)
        .hasMessageContaining("cannot create data directory")
        .hasMessageEndingWith("choose a writable --data-dir");
  }

  @Test
  void outOfRangePortsAreRefused() {
    assertThatThrownBy(() -> new BrokerSettings("127.0.0.1", 70000, 0, dataDir, Map.of()))
        .hasMessage("port must be between 0 and 65535, got 70000");
  }

  private static KafkaProducer<String, String> producer(String bootstrap) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  private static List<String> readAll(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("group.id", "restart-test");
    p.put("auto.offset.reset", "earliest");
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline) {
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
        if (!records.isEmpty()) {
          return java.util.stream.StreamSupport.stream(records.spliterator(), false)
              .map(r -> r.value())
              .toList();
        }
      }
      return List.of();
    }
  }
}
