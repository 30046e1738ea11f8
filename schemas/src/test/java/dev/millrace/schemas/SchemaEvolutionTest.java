package dev.millrace.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.RandomData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.params.provider.MethodSource;

class SchemaEvolutionTest {

  static final List<Class<? extends SpecificRecord>> TYPES = RecordTypes.ALL;

  @ParameterizedTest
  @FieldSource("TYPES")
  void currentSchemaIsTheLatestRecordedVersion(Class<? extends SpecificRecord> type) {
    Schema current = SpecificData.get().getSchema(type);
    List<Schema> history = SchemaHistory.versions(current.getFullName());

    assertThat(history)
        .as("src/main/resources/avro-history/%s/v1.avsc must exist", current.getFullName())
        .isNotEmpty();
    Schema latest = history.get(history.size() - 1);
    assertThat(SchemaNormalization.parsingFingerprint64(latest))
        .as(
            "%s changed without a new version in avro-history: add v%d.avsc",
            current.getFullName(), history.size() + 1)
        .isEqualTo(SchemaNormalization.parsingFingerprint64(current));
  }

  @ParameterizedTest
  @FieldSource("TYPES")
  void everyVersionIsBackwardTransitiveCompatibleWithAllEarlierOnes(
      Class<? extends SpecificRecord> type) {
    Schema current = SpecificData.get().getSchema(type);
    List<Schema> history = SchemaHistory.versions(current.getFullName());

    for (int v = 1; v < history.size(); v++) {
      assertThat(
              SchemaCompatibilityCheck.BACKWARD_TRANSITIVE.violations(
                  history.get(v), history.subList(0, v)))
          .as("%s v%d", current.getFullName(), v + 1)
          .isEmpty();
    }
    assertThat(SchemaCompatibilityCheck.BACKWARD_TRANSITIVE.violations(current, history)).isEmpty();
  }

  /** The types with more than one recorded version; the tests below are about them. */
  static List<Class<? extends SpecificRecord>> evolved() {
    return TYPES.stream()
        .filter(
            t -> SchemaHistory.versions(SpecificData.get().getSchema(t).getFullName()).size() > 1)
        .toList();
  }

  @Test
  void someSchemasHaveRealLaterVersions() {
    // Without a v2 the compatibility tests above would pass by looping over nothing.
    assertThat(evolved()).contains(ScoreRecord.class, ScoredFeatures.class, DeadLetter.class);
  }

  /**
   * Every pair of recorded versions, in both directions, with real bytes: data written with vN is
   * read with vM by Avro's schema resolution, each field the two share keeps its value and a field
   * only the reader has gets its default. (The project's rule is BACKWARD_TRANSITIVE, new readers
   * read old data; the later versions so far only add optional fields, so old readers that know the
   * new version also read new data.)
   */
  @ParameterizedTest
  @MethodSource("evolved")
  void everyVersionReadsDataWrittenWithEveryOtherOne(Class<? extends SpecificRecord> type)
      throws IOException {
    List<Schema> history = SchemaHistory.versions(SpecificData.get().getSchema(type).getFullName());
    for (int w = 0; w < history.size(); w++) {
      for (int r = 0; r < history.size(); r++) {
        Schema writer = history.get(w);
        Schema reader = history.get(r);
        for (Object o : new RandomData(GenericData.get(), writer, 20, 7L + w)) {
          GenericRecord written = (GenericRecord) o;
          GenericRecord read = resolve(write(written, writer), writer, reader);
          assertFieldsCarriedOver(written, read, reader, "v" + (w + 1) + " -> v" + (r + 1));
        }
      }
    }
  }

  /**
   * The serde the stages use (single-object encoding): bytes written with any recorded version
   * decode into the current generated class; a field added later gets its default.
   */
  @ParameterizedTest
  @MethodSource("evolved")
  void theSerdeDecodesEveryRecordedVersion(Class<? extends SpecificRecord> type)
      throws IOException {
    Schema current = SpecificData.get().getSchema(type);
    List<Schema> history = SchemaHistory.versions(current.getFullName());
    AvroSerde<? extends SpecificRecord> serde = AvroSerde.of(type);
    for (int w = 0; w < history.size(); w++) {
      Schema writer = history.get(w);
      BinaryMessageEncoder<GenericRecord> encoder =
          new BinaryMessageEncoder<>(GenericData.get(), writer);
      for (Object o : new RandomData(GenericData.get(), writer, 20, 11L + w)) {
        GenericRecord written = (GenericRecord) o;
        ByteBuffer buffer = encoder.encode(written);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        SpecificRecord decoded = serde.decode(bytes);
        // back to generic form (logical types as their base values) to compare field by field
        GenericRecord read = resolve(specificBytes(decoded, current), current, current);
        assertFieldsCarriedOver(written, read, current, "v" + (w + 1) + " -> current");
      }
    }
  }

  /**
   * A record written with a schema version the reader does not know, i.e. by a producer upgraded
   * before the job, is refused with a clear error naming its fingerprint (stages dead-letter it as
   * UNKNOWN_SCHEMA), not guessed at.
   */
  @Test
  void aRecordWrittenWithANewerUnknownVersionIsRefusedClearly() throws IOException {
    Schema current = SpecificData.get().getSchema(ScoreRecord.class);
    Schema newer = withExtraOptionalField(current, "channel");
    GenericRecord record = new GenericData.Record(newer);
    ScoreRecord score = scoreRecord();
    for (Schema.Field f : current.getFields()) {
      Object v = score.get(f.pos());
      record.put(f.name(), v instanceof java.time.Instant i ? i.toEpochMilli() : v);
    }
    record.put("task", new GenericData.EnumSymbol(current.getField("task").schema(), "FRAUD"));
    record.put("channel", "web");
    ByteBuffer buffer =
        new BinaryMessageEncoder<GenericRecord>(GenericData.get(), newer).encode(record);
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);

    assertThatThrownBy(() -> AvroSerde.of(ScoreRecord.class).decode(bytes))
        .isInstanceOf(AvroSerde.UnknownSchemaException.class)
        .hasMessageContaining("does not know")
        .hasMessageContaining(
            String.format("%016x", SchemaNormalization.parsingFingerprint64(newer)));
  }

  private static ScoreRecord scoreRecord() {
    return ScoreRecord.newBuilder()
        .setTask(Task.FRAUD)
        .setEventId("e1")
        .setEntityId("c1")
        .setPrediction(0.25)
        .setModelVersion("v3")
        .setEventTime(java.time.Instant.ofEpochMilli(1_000))
        .setScoringTime(java.time.Instant.ofEpochMilli(2_000))
        .build();
  }

  private static Schema withExtraOptionalField(Schema schema, String name) {
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field f : schema.getFields()) {
      fields.add(new Schema.Field(f, f.schema()));
    }
    fields.add(
        new Schema.Field(
            name,
            Schema.createUnion(Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.STRING)),
            null,
            Schema.Field.NULL_DEFAULT_VALUE));
    return Schema.createRecord(
        schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
  }

  private static void assertFieldsCarriedOver(
      GenericRecord written, GenericRecord read, Schema reader, String what) {
    for (Schema.Field f : reader.getFields()) {
      Schema.Field source = written.getSchema().getField(f.name());
      Object expected =
          source != null ? written.get(f.name()) : GenericData.get().getDefaultValue(f);
      assertThat(plain(read.get(f.name()), f.schema()))
          .as("%s field %s", what, f.name())
          .isEqualTo(plain(expected, f.schema()));
    }
  }

  /** A value as plain Java values, maps sorted by key (GenericData cannot compare maps). */
  private static Object plain(Object value, Schema schema) {
    if (value == null) {
      return null;
    }
    switch (schema.getType()) {
      case UNION:
        return plain(value, schema.getTypes().get(GenericData.get().resolveUnion(schema, value)));
      case RECORD:
        {
          GenericRecord r = (GenericRecord) value;
          java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
          for (Schema.Field f : schema.getFields()) {
            // a field added to a nested record later: a record written before it has its default
            Object v =
                r.getSchema().getField(f.name()) != null
                    ? r.get(f.name())
                    : GenericData.get().getDefaultValue(f);
            out.put(f.name(), plain(v, f.schema()));
          }
          return out;
        }
      case MAP:
        {
          java.util.Map<String, Object> out = new java.util.TreeMap<>();
          ((java.util.Map<?, ?>) value)
              .forEach((k, v) -> out.put(k.toString(), plain(v, schema.getValueType())));
          return out;
        }
      case ARRAY:
        return ((java.util.Collection<?>) value)
            .stream().map(v -> plain(v, schema.getElementType())).toList();
      case BYTES:
        {
          ByteBuffer b = ((ByteBuffer) value).duplicate();
          byte[] bytes = new byte[b.remaining()];
          b.get(bytes);
          return java.util.HexFormat.of().formatHex(bytes);
        }
      case STRING:
      case ENUM:
        return value.toString();
      default:
        return value;
    }
  }

  private static byte[] write(GenericRecord record, Schema writer) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(writer).write(record, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  private static byte[] specificBytes(SpecificRecord record, Schema schema) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<SpecificRecord>(schema).write(record, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  private static GenericRecord resolve(byte[] bytes, Schema writer, Schema reader)
      throws IOException {
    return new GenericDatumReader<GenericRecord>(writer, reader)
        .read(null, DecoderFactory.get().binaryDecoder(bytes, null));
  }
}
