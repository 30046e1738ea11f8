package dev.millrace.pipeline;

import dev.millrace.schemas.AvroSerde;
import dev.millrace.schemas.DeadLetter;
import java.util.Objects;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes a {@link DeadLetter} to the dead-letter topic: key = the original key bytes, value = the
 * Avro dead letter, headers = {@link dev.millrace.schemas.DeadLetterHeaders} (source topic,
 * partition, offset, reason code, stage).
 */
public final class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter> {

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
}
