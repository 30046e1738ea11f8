package dev.millrace.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The secured listener on a real broker: SASL_SSL, SCRAM-SHA-512 users, the StandardAuthorizer and
 * {@link MillraceAcls}. One broker for the class (a start makes a key pair and takes seconds).
 */
class SecuredBrokerTest {

  @TempDir static Path dir;

  private static final TopicRegistry TOPICS = TopicRegistry.standard();
  private static final MillraceAcls.Prefixes PREFIXES =
      new MillraceAcls.Prefixes(
          "millrace-fraud-pipeline",
          "millrace-fraud",
          "millrace-trainer-",
          "millrace-fraud-validator");
  private static EmbeddedKafkaBroker broker;

  @BeforeAll
  static void start() {
    BrokerSettings settings =
        BrokerSettings.ephemeral(dir.resolve("kafka"))
            .withSecurity(BrokerSecurity.millrace(dir.resolve("security")));
    broker = EmbeddedKafkaBroker.start(settings);
    try (TopicAdmin admin =
        new TopicAdmin(broker.bootstrapServers(), broker.adminClientProperties())) {
      admin.ensure(TOPICS.all(List.of(Task.FRAUD)));
      MillraceAcls.apply(
          admin.admin(), MillraceAcls.bindings(TOPICS, List.of(Task.FRAUD), PREFIXES));
    }
  }

  @AfterAll
  static void stop() {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void aPlaintextClientGetsNoAnswer() {
    // The client speaks PLAINTEXT to a TLS port: the broker drops it, the call times out.
    Map<String, Object> plain = new HashMap<>();
    plain.put("bootstrap.servers", broker.bootstrapServers());
    plain.put("default.api.timeout.ms", 3000);
    plain.put("request.timeout.ms", 2000);
    try (Admin admin = Admin.create(plain)) {
      assertThatThrownBy(() -> admin.describeCluster().nodes().get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
    }
  }

  @Test
  void aTlsClientWithoutCredentialsIsRefused() {
    // TLS is fine (it trusts the broker), but it sends no SASL handshake: the broker closes it.
    Map<String, Object> ssl = new HashMap<>(broker.clientProperties(MillraceAcls.CLI));
    ssl.keySet().removeIf(k -> k.startsWith("sasl."));
    ssl.put("security.protocol", "SSL");
    ssl.put("bootstrap.servers", broker.bootstrapServers());
    ssl.put("default.api.timeout.ms", 3000);
    ssl.put("request.timeout.ms", 2000);
    try (Admin admin = Admin.create(ssl)) {
      assertThatThrownBy(() -> admin.describeCluster().nodes().get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
    }
  }

  @Test
  void aWrongPasswordIsAnAuthenticationError() {
    Map<String, Object> wrong = client(MillraceAcls.TRAINER);
    wrong.put(
        "sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"trainer\""
            + " password=\"guessed\";");
    try (Admin admin = Admin.create(wrong)) {
      assertThatThrownBy(() -> admin.describeCluster().nodes().get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(SaslAuthenticationException.class)
          .hasMessageContaining("invalid credentials");
    }
  }

  @Test
  void aClientThatDoesNotTrustTheCertificateIsRefused() {
    Map<String, Object> noTrust = client(MillraceAcls.TRAINER);
    noTrust.keySet().removeIf(k -> k.startsWith("ssl.truststore"));
    try (Admin admin = Admin.create(noTrust)) {
      assertThatThrownBy(() -> admin.describeCluster().nodes().get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(SslAuthenticationException.class);
    }
  }

  @Test
  void onlyTheTrainerMayWriteModels() throws Exception {
    String models = TOPICS.models().name();
    for (String user : List.of(MillraceAcls.CLI, MillraceAcls.JOB)) {
      try (KafkaProducer<String, String> producer = producer(user)) {
        assertThatThrownBy(
                () -> producer.send(new ProducerRecord<>(models, "fraud", "forged")).get())
            .as("%s writes %s", user, models)
            .isInstanceOf(ExecutionException.class)
            .cause()
            .isInstanceOf(TopicAuthorizationException.class)
            .hasMessageContaining(models);
      }
    }

    try (KafkaProducer<String, String> producer = producer(MillraceAcls.TRAINER)) {
      producer.send(new ProducerRecord<>(models, "fraud", "announced")).get(30, TimeUnit.SECONDS);
    }
    // The job (which reads models) sees the trainer's record and no forged one.
    assertThat(readAll(MillraceAcls.JOB, models)).containsExactly("announced");
  }

  @Test
  void theJobWritesScoresButNotEvents() throws Exception {
    try (KafkaProducer<String, String> producer = producer(MillraceAcls.JOB)) {
      producer
          .send(new ProducerRecord<>(TOPICS.scores(Task.FRAUD).name(), "c1", "score"))
          .get(30, TimeUnit.SECONDS);
      assertThatThrownBy(
              () ->
                  producer
                      .send(new ProducerRecord<>(TOPICS.fraudEvents().name(), "c1", "event"))
                      .get())
          .cause()
          .isInstanceOf(TopicAuthorizationException.class);
    }
  }

  @Test
  void theClientConfigFileIsWhatAUserPassesToKafka() throws Exception {
    Path file = dir.resolve("security").resolve("trainer.properties");
    assertThat(BrokerSecurity.millrace(dir.resolve("security")).clientConfig("trainer"))
        .isEqualTo(file.toAbsolutePath());
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    }
    assertThat(p)
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512");
    assertThat(Files.getPosixFilePermissions(file))
        .containsExactlyInAnyOrder(
            java.nio.file.attribute.PosixFilePermission.OWNER_READ,
            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    Map<String, Object> conf = new HashMap<>();
    p.forEach((k, v) -> conf.put((String) k, v));
    conf.put("bootstrap.servers", broker.bootstrapServers());
    try (Admin admin = Admin.create(conf)) {
      assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)).hasSize(1);
    }
  }

  private static Map<String, Object> client(String user) {
    Map<String, Object> p = new HashMap<>(broker.clientProperties(user));
    p.put("bootstrap.servers", broker.bootstrapServers());
    p.put("default.api.timeout.ms", 10000);
    p.put("request.timeout.ms", 5000);
    return p;
  }

  private static KafkaProducer<String, String> producer(String user) {
    Map<String, Object> p = client(user);
    p.put("max.block.ms", 10000);
    p.put("delivery.timeout.ms", 10000);
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  private static List<String> readAll(String user, String topic) {
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(client(user), new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(i -> new TopicPartition(i.topic(), i.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      List<String> values = new java.util.ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))
          && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          values.add(r.value());
        }
      }
      return values;
    }
  }
}
