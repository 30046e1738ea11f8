package dev.millrace.pipeline;

import dev.millrace.schemas.AvroSerde;
import java.io.IOException;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes a topic's Avro values with the registry's {@link AvroSerde}; a record that cannot be
 * decoded (or a tombstone) is logged and skipped, never thrown. Used for {@code millrace.models},
 * which has no dead-letter topic of its own: a bad announcement must not stop scoring.
 */
public final class AvroValueDeserializer<T extends SpecificRecord>
    implements KafkaRecordDeserializationSchema<T> {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(AvroValueDeserializer.class);

  private final Class<T> type;
  private transient AvroSerde<T> serde;

  public AvroValueDeserializer(Class<T> type) {
    this.type = Objects.requireNonNull(type, "type");
  }

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<T> out)
      throws IOException {
    if (record.value() == null) {
      return;
    }
    if (serde == null) {
      serde = AvroSerde.of(type);
    }
    T value;
    try {
      value = serde.decode(record.value());
    } catch (RuntimeException e) {
      LOG.warn(
          "skipping undecodable record {}-{}@{}: {}",
          record.topic(),
          record.partition(),
          record.offset(),
          e.getMessage());
      return;
    }
    out.collect(value);
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public TypeInformation<T> getProducedType() {
    return new AvroTypeInfo(type);
  }
}
