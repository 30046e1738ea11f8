package dev.millrace.schemas;

import java.nio.ByteBuffer;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for a generated Avro record, in Avro's single-object encoding: a two-byte marker, the
 * 8-byte CRC-64 fingerprint of the writer schema, then the binary record. No schema registry is
 * needed; the reader resolves every writer schema in the record's {@link SchemaHistory}.
 *
 * <p>The deserializer throws {@link SerializationException} with a clear message on bad bytes;
 * pipeline stages catch it and send the record to the dead-letter topic.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {

  private final Class<T> type;
  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;

  private AvroSerde(Class<T> type) {
    this.type = type;
    SpecificData model = SpecificData.getForClass(type);
    Schema schema = model.getSchema(type);
    this.encoder = new BinaryMessageEncoder<>(model, schema);
    this.decoder = new BinaryMessageDecoder<>(model, schema);
    for (Schema old : SchemaHistory.versions(schema.getFullName())) {
      decoder.addSchema(old);
    }
  }

  public static <T extends SpecificRecord> AvroSerde<T> of(Class<T> type) {
    return new AvroSerde<>(Objects.requireNonNull(type, "type"));
  }

  public Class<T> type() {
    return type;
  }

  /** Encodes one record; never returns null for a non-null record. */
  public byte[] encode(T record) {
    if (record == null) {
      return null;
    }
    try {
      ByteBuffer buffer = encoder.encode(record);
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (Exception e) {
      throw new SerializationException(
          "cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  /** Decodes one record; throws {@link SerializationException} saying what is wrong. */
  public T decode(byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    try {
      return decoder.decode(bytes);
    } catch (Exception e) {
      throw new SerializationException(
          "not a valid " + type.getSimpleName() + " record: " + describe(e), e);
    }
  }

  private static String describe(Exception e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, data) -> encode(data);
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, data) -> decode(data);
  }
}
