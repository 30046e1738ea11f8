package dev.millrace.trainer;

import dev.millrace.schemas.AvroSerde;
import dev.millrace.schemas.RetrainRequest;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's reader of {@code millrace.control}: the retrain requests of its own task that
 * arrive after it started (older ones are history, not requests). Not thread-safe: the service's
 * consuming thread polls it between polls of the training topic.
 */
public final class ControlRequests implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ControlRequests.class);

  private final String bootstrapServers;
  private final Map<String, String> kafkaProperties;
  private final Topic<String, RetrainRequest> topic;
  private final Task task;
  private final AvroSerde<RetrainRequest> serde = AvroSerde.of(RetrainRequest.class);
  private KafkaConsumer<byte[], byte[]> consumer;
  private long skipped;

  public ControlRequests(String bootstrapServers, Topic<String, RetrainRequest> topic, Task task) {
    this(bootstrapServers, Map.of(), topic, task);
  }

  /** With client properties merged into its consumer and admin client (e.g. SASL_SSL). */
  public ControlRequests(
      String bootstrapServers,
      Map<String, String> kafkaProperties,
      Topic<String, RetrainRequest> topic,
      Task task) {
    this.bootstrapServers = bootstrapServers;
    this.kafkaProperties = Map.copyOf(kafkaProperties);
    this.topic = topic;
    this.task = task;
  }

  /**
   * Creates the topic when it is missing and positions at its current end, so every request written
   * after this call is seen.
   */
  public void start(Duration timeout) {
    ensureTopic(timeout);
    Properties p = new Properties();
    p.putAll(kafkaProperties);
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "millrace-trainer-control-" + task.name());
    consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    // A topic just created (here, or by a pipeline starting at the same time) can be missing from
    // the metadata for a moment: an empty assignment would fail every later poll.
    List<TopicPartition> partitions = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (partitions.isEmpty()) {
      for (PartitionInfo info : consumer.partitionsFor(topic.name(), timeout)) {
        partitions.add(new TopicPartition(info.topic(), info.partition()));
      }
      if (partitions.isEmpty()) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              topic.name() + " has no partitions in the metadata after " + timeout);
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted waiting for " + topic.name(), e);
        }
      }
    }
    consumer.assign(partitions);
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout);
    ends.forEach(consumer::seek);
  }

  /** The requests of this task that arrived since the last poll; waits at most {@code wait}. */
  public List<RetrainRequest> poll(Duration wait) {
    List<RetrainRequest> out = new ArrayList<>();
    if (consumer == null) {
      return out;
    }
    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(wait)) {
      try {
        RetrainRequest request = serde.deserializer().deserialize(r.topic(), r.value());
        if (request != null && request.getTask() == task) {
          out.add(request);
        }
      } catch (RuntimeException e) {
        skipped++;
        LOG.warn(
            "{}: skipped an unreadable control record at {}-{}@{}: {}",
            task,
            r.topic(),
            r.partition(),
            r.offset(),
            e.getMessage());
      }
    }
    return out;
  }

  /** Unreadable control records skipped so far. */
  public long skipped() {
    return skipped;
  }

  private void ensureTopic(Duration timeout) {
    TopicCreation.ensure(bootstrapServers, kafkaProperties, topic, timeout);
  }

  @Override
  public void close() {
    if (consumer != null) {
      consumer.close();
      consumer = null;
    }
  }
}
