package dev.millrace.ingest;

import dev.millrace.schemas.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongConsumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes a dataset's events to a task's events topic as fast as Kafka takes them: Avro
 * single-object encoding, keyed by entity, idempotent, acks=all, in list order (so in order per
 * key). The replay of tasks without delayed labels (churn, demand) uses it.
 */
public final class EventPublisher {

  private EventPublisher() {}

  /**
   * @param sent records acknowledged
   * @param failed records Kafka did not acknowledge
   * @param seconds wall time from the first send to the last acknowledgement
   */
  public record Counts(long sent, long failed, double seconds) {}

  /**
   * The producer settings of a task's events, in order per key: the user's client properties (e.g.
   * SASL_SSL), then idempotent, acks=all, a short linger.
   */
  static Properties producerProperties(
      String bootstrapServers, Map<String, String> kafkaProperties) {
    Properties p = new Properties();
    p.putAll(kafkaProperties);
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    return p;
  }

  /** Sends every record to {@code topic}, keyed by {@code key}, and waits for the acks. */
  public static <E extends SpecificRecord> Counts publishAll(
      String bootstrapServers,
      Map<String, String> kafkaProperties,
      String topic,
      Class<E> type,
      List<E> records,
      Function<E, String> key) {
    return publishAll(bootstrapServers, kafkaProperties, topic, type, records, key, n -> {});
  }

  /**
   * As {@link #publishAll(String, Map, String, Class, List, Function)}, telling {@code acked} the
   * number of records acknowledged so far after each acknowledgement (on the producer's I/O thread:
   * keep it cheap), e.g. for a progress bar.
   */
  public static <E extends SpecificRecord> Counts publishAll(
      String bootstrapServers,
      Map<String, String> kafkaProperties,
      String topic,
      Class<E> type,
      List<E> records,
      Function<E, String> key,
      LongConsumer acked) {
    long t0 = System.nanoTime();
    Properties p = producerProperties(bootstrapServers, kafkaProperties);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    AvroSerde<E> serde = AvroSerde.of(type);
    AtomicLong failed = new AtomicLong();
    AtomicLong ok = new AtomicLong();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (E r : records) {
        producer.send(
            new ProducerRecord<>(
                topic, key.apply(r).getBytes(StandardCharsets.UTF_8), serde.encode(r)),
            (meta, e) -> {
              if (e != null) {
                failed.incrementAndGet();
              } else {
                // counted and reported together, so that the counts reach the listener in order
                // whichever thread completes a batch
                synchronized (ok) {
                  acked.accept(ok.incrementAndGet());
                }
              }
            });
      }
      producer.flush();
    }
    return new Counts(records.size() - failed.get(), failed.get(), (System.nanoTime() - t0) / 1e9);
  }
}
