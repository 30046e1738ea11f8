package dev.millrace.testkit;

import dev.millrace.kafka.BrokerSettings;
import dev.millrace.kafka.EmbeddedKafkaBroker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * One real Kafka broker per test JVM: Testcontainers' Kafka module when a Docker engine is present,
 * otherwise the same embedded KRaft broker as {@code millrace broker}. Started on first use,
 * stopped when the JVM exits.
 */
final class SharedKafka {

  private static final Logger LOG = LoggerFactory.getLogger(SharedKafka.class);
  static final String KAFKA_IMAGE = "apache/kafka:4.2.0";

  private static String bootstrapServers;

  private SharedKafka() {}

  static synchronized String bootstrapServers() {
    if (bootstrapServers == null) {
      bootstrapServers = useDocker() ? startContainer() : startEmbedded();
    }
    return bootstrapServers;
  }

  private static boolean useDocker() {
    if (Boolean.getBoolean("millrace.test.embeddedKafka")) {
      return false;
    }
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (Throwable e) {
      return false;
    }
  }

  private static String startContainer() {
    KafkaContainer kafka = new KafkaContainer(KAFKA_IMAGE);
    kafka.start();
    Runtime.getRuntime().addShutdownHook(new Thread(kafka::stop, "kafka-container-stop"));
    LOG.info("test Kafka (Testcontainers) at {}", kafka.getBootstrapServers());
    return kafka.getBootstrapServers();
  }

  private static String startEmbedded() {
    try {
      Path dir = Files.createTempDirectory("millrace-test-kafka-");
      long start = System.nanoTime();
      EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerSettings.ephemeral(dir));
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    broker.close();
                    deleteQuietly(dir);
                  },
                  "embedded-kafka-stop"));
      LOG.info(
          "test Kafka (embedded KRaft) at {} started in {} ms",
          broker.bootstrapServers(),
          (System.nanoTime() - start) / 1_000_000);
      return broker.bootstrapServers();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | RuntimeException ignored) {
      // best effort on JVM exit
    }
  }
}
