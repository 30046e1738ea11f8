package dev.millrace.testkit;

import dev.millrace.kafka.TopicAdmin;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.TopicRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A test's view of the shared broker: its bootstrap address and a topic registry in a namespace of
 * its own, so every test gets fresh topic names on the one broker of the JVM.
 */
public final class TestKafka {

  private final String bootstrapServers;
  private final String namespace;
  private final TopicRegistry topics;

  TestKafka(String bootstrapServers, String namespace) {
    this.bootstrapServers = bootstrapServers;
    this.namespace = namespace;
    this.topics = TopicRegistry.namespaced(namespace);
  }

  static TestKafka fresh(String bootstrapServers, String hint) {
    String clean = hint.replaceAll("[^A-Za-z0-9_-]", "-");
    if (clean.length() > 40) {
      clean = clean.substring(0, 40);
    }
    String ns = "t-" + clean + "-" + UUID.randomUUID().toString().substring(0, 8);
    return new TestKafka(bootstrapServers, ns);
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The namespace that prefixes this test's topic names. */
  public String namespace() {
    return namespace;
  }

  /** The topic registry of this test (names unique to it). */
  public TopicRegistry topics() {
    return topics;
  }

  /** Creates all topics of the tasks (plus the models topic) in this test's namespace. */
  public TestKafka createTopics(Task... tasks) {
    return createTopics(topics.all(List.of(tasks)));
  }

  public TestKafka createTopics(Collection<? extends Topic<?, ?>> toCreate) {
    try (TopicAdmin admin = new TopicAdmin(bootstrapServers)) {
      admin.ensure(toCreate);
    }
    return this;
  }

  /** A producer for one topic's serdes; idempotent, acks=all. */
  public <K, V> KafkaProducer<K, V> producer(Topic<K, V> topic) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    return new KafkaProducer<>(p, topic.keySerde().serializer(), topic.valueSerde().serializer());
  }

  /** A producer of raw bytes, for poison records. */
  public KafkaProducer<byte[], byte[]> rawProducer() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Sends the records and waits for all acknowledgements. */
  public <K, V> void send(Topic<K, V> topic, List<ProducerRecord<K, V>> records) {
    try (KafkaProducer<K, V> producer = producer(topic)) {
      List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
      for (ProducerRecord<K, V> record : records) {
        acks.add(producer.send(record));
      }
      producer.flush();
      for (var ack : acks) {
        ack.get(30, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      throw new IllegalStateException("cannot send to " + topic.name(), e);
    }
  }

  /**
   * Reads a topic from the beginning with {@code isolation.level=read_committed} until {@code
   * expected} records have arrived or {@code timeout} has passed, then reads on for {@code settle}
   * to catch any surplus (duplicates). Returns everything read.
   */
  public <K, V> List<ConsumerRecord<K, V>> readCommitted(
      Topic<K, V> topic, int expected, Duration timeout, Duration settle) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<ConsumerRecord<K, V>> out = new ArrayList<>();
    try (KafkaConsumer<K, V> consumer =
        new KafkaConsumer<>(
            p, topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic.name(), Duration.ofSeconds(30)).stream()
              .map(info -> new TopicPartition(info.topic(), info.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (out.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      long settleEnd = System.nanoTime() + settle.toNanos();
      while (System.nanoTime() < settleEnd) {
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }

  /** Producer/consumer client properties for code under test. */
  public Map<String, Object> clientProperties() {
    return Map.of("bootstrap.servers", bootstrapServers);
  }
}
