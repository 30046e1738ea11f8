package dev.millrace.pipeline;

import dev.millrace.schemas.AvroSerde;
import dev.millrace.schemas.DeadLetter;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetIdentifier;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacetProvider;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes a {@link DeadLetter} to the dead-letter topic: key = the original key bytes, value = the
 * Avro dead letter, headers = {@link dev.millrace.schemas.DeadLetterHeaders} (source topic,
 * partition, offset, reason code, stage).
 */
public final class DeadLetterSerializer
    implements KafkaRecordSerializationSchema<DeadLetter>, KafkaDatasetFacetProvider {

  private static final long serialVersionUID = 1L;

  private final String topic;
  private transient AvroSerde<DeadLetter> serde;

  public DeadLetterSerializer(String topic) {
    this.topic = Objects.requireNonNull(topic, "topic");
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(
      DeadLetter letter, KafkaSinkContext context, Long timestamp) {
    if (serde == null) {
      serde = AvroSerde.of(DeadLetter.class);
    }
    return new ProducerRecord<>(
        topic,
        null,
        null, // wall-clock time, see AvroRecordSerializer
        DeadLetters.bytes(letter.getOriginalKey()),
        serde.encode(letter),
        DeadLetters.headers(letter));
  }

  /** The one topic written; the sink's POOLING transaction naming needs to know it. */
  @Override
  public Optional<KafkaDatasetFacet> getKafkaDatasetFacet() {
    return Optional.of(
        new DefaultKafkaDatasetFacet(DefaultKafkaDatasetIdentifier.ofTopics(List.of(topic))));
  }
}
