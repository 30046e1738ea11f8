package dev.millrace.pipeline;

import dev.millrace.schemas.AvroSerde;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetIdentifier;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacetProvider;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes an Avro record to one topic in the registry's encoding ({@link AvroSerde}, single-object
 * encoding), keyed by a UTF-8 string taken from the record (the entity id).
 *
 * <p>The Kafka record timestamp is left to the producer (wall-clock time): event time travels in
 * the value, and a replay of 2018 data stamped with 2018 times would be deleted at once by the
 * topic's time-based retention.
 */
public final class AvroRecordSerializer<T extends SpecificRecord>
    implements KafkaRecordSerializationSchema<T>, KafkaDatasetFacetProvider {

  private static final long serialVersionUID = 1L;

  /** Picks the Kafka key of a record. */
  public interface KeyOf<T> extends Function<T, String>, Serializable {}

  private final String topic;
  private final Class<T> type;
  private final KeyOf<T> keyOf;
  private transient AvroSerde<T> serde;

  public AvroRecordSerializer(String topic, Class<T> type, KeyOf<T> keyOf) {
    this.topic = Objects.requireNonNull(topic, "topic");
    this.type = Objects.requireNonNull(type, "type");
    this.keyOf = Objects.requireNonNull(keyOf, "keyOf");
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long ts) {
    if (serde == null) {
      serde = AvroSerde.of(type);
    }
    String key = keyOf.apply(element);
    return new ProducerRecord<>(
        topic,
        null,
        null,
        key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        serde.encode(element));
  }

  /** The one topic written; the sink's POOLING transaction naming needs to know it. */
  @Override
  public Optional<KafkaDatasetFacet> getKafkaDatasetFacet() {
    return Optional.of(
        new DefaultKafkaDatasetFacet(DefaultKafkaDatasetIdentifier.ofTopics(List.of(topic))));
  }
}
