package dev.millrace.schemas;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
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
 *
 * <p><b>Compatibility direction.</b> Schemas evolve BACKWARD_TRANSITIVE: a reader reads data
 * written with its own schema and every earlier version in the history (readers upgrade first). A
 * record written with a schema version this reader does not know (a producer upgraded before the
 * job, or a record of another type) is refused with {@link UnknownSchemaException}, naming the
 * writer's fingerprint; stages dead-letter it with reason {@code UNKNOWN_SCHEMA}. It is never
 * guessed at: once the reader's history holds that version, the same bytes decode by schema
 * resolution.
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
    } catch (MissingSchemaException e) {
      throw new UnknownSchemaException(
          "not a valid "
              + type.getSimpleName()
              + " record: written with a schema this reader does not know (fingerprint "
              + fingerprintOf(bytes)
              + "): a newer version (upgrade the reader first) or another record type",
          e);
    } catch (Exception e) {
      throw new SerializationException(
          "not a valid " + type.getSimpleName() + " record: " + describe(e), e);
    }
  }

  /** The writer-schema fingerprint of single-object bytes, as hex (little-endian CRC-64). */
  static String fingerprintOf(byte[] bytes) {
    if (bytes.length < 10) {
      return "?";
    }
    long fp = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    return String.format("%016x", fp);
  }

  /**
   * The bytes are single-object Avro whose writer schema is not in this reader's history: a newer
   * version or another record type.
   */
  public static final class UnknownSchemaException extends SerializationException {
    private static final long serialVersionUID = 1L;

    UnknownSchemaException(String message, Throwable cause) {
      super(message, cause);
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
