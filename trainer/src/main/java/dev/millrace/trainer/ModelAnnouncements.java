package dev.millrace.trainer;

import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.TopicRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's side of the compacted {@code millrace.models} topic: finds the current champion of
 * a task and announces new ones (key: the task name). Announcing waits for the broker's
 * acknowledgement.
 */
public final class ModelAnnouncements implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ModelAnnouncements.class);

  private final String bootstrapServers;
  private final Map<String, String> kafkaProperties;
  private final Topic<String, ModelAnnouncement> topic;
  private KafkaProducer<String, ModelAnnouncement> producer;

  public ModelAnnouncements(String bootstrapServers, TopicRegistry topics) {
    this(bootstrapServers, Map.of(), topics);
  }

  /**
   * @param kafkaProperties client properties merged into its consumer, producer and admin client
   *     (e.g. SASL_SSL security)
   */
  public ModelAnnouncements(
      String bootstrapServers, Map<String, String> kafkaProperties, TopicRegistry topics) {
    this.bootstrapServers = bootstrapServers;
    this.kafkaProperties = Map.copyOf(kafkaProperties);
    this.topic = topics.models();
  }

  public Topic<String, ModelAnnouncement> topic() {
    return topic;
  }

  /**
   * Creates the compacted models topic when it does not exist yet (so it is never auto-created).
   */
  public void ensureTopic(Duration timeout) {
    TopicCreation.ensure(bootstrapServers, kafkaProperties, topic, timeout);
  }

  /**
   * Reads the topic from the beginning to its current end and returns the latest announcement of
   * the task if its status is CHAMPION. Unreadable records are skipped with a warning.
   */
  public Optional<ModelAnnouncement> currentChampion(Task task, Duration timeout) {
    Properties p = new Properties();
    p.putAll(kafkaProperties);
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    String key = TopicRegistry.taskName(task);
    ModelAnnouncement latest = null;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic.name(), timeout).stream()
              .map(info -> new TopicPartition(info.topic(), info.partition()))
              .toList();
      if (partitions.isEmpty()) {
        return Optional.empty();
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions, timeout));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!caughtUp(consumer, end) && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          String k =
              r.key() == null ? null : new String(r.key(), java.nio.charset.StandardCharsets.UTF_8);
          if (!key.equals(k)) {
            continue;
          }
          try {
            latest = topic.valueSerde().deserializer().deserialize(topic.name(), r.value());
          } catch (RuntimeException e) {
            LOG.warn(
                "skipping unreadable announcement at {}-{}@{}: {}",
                r.topic(),
                r.partition(),
                r.offset(),
                e.getMessage());
          }
        }
      }
    }
    return latest != null && latest.getStatus() == ModelStatus.CHAMPION
        ? Optional.of(latest)
        : Optional.empty();
  }

  private static boolean caughtUp(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /** Sends the announcement keyed by its task and waits for the acknowledgement. */
  public synchronized void announce(ModelAnnouncement announcement, Duration timeout) {
    if (producer == null) {
      Properties p = new Properties();
      p.putAll(kafkaProperties);
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
      p.put(ProducerConfig.ACKS_CONFIG, "all");
      p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
      p.put(ProducerConfig.CLIENT_ID_CONFIG, "millrace-trainer-announcer");
      producer =
          new KafkaProducer<>(p, topic.keySerde().serializer(), topic.valueSerde().serializer());
    }
    String key = TopicRegistry.taskName(announcement.getTask());
    try {
      producer
          .send(new ProducerRecord<>(topic.name(), key, announcement))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "announcing " + announcement.getVersion() + " failed: " + e.getCause().getMessage(),
          e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "announcing " + announcement.getVersion() + " timed out after " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while announcing", e);
    }
  }

  @Override
  public synchronized void close() {
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
      producer = null;
    }
  }
}
