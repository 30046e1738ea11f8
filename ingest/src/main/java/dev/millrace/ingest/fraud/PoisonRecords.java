package dev.millrace.ingest.fraud;

import dev.millrace.ingest.ReasonCodes;
import dev.millrace.schemas.AvroSerde;
import dev.millrace.schemas.fraud.FraudLabel;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;

/**
 * Bad records for tests and the demo, each with the dead-letter reason code a stage must give it.
 *
 * <p>{@link #forEvents} gives values for the Avro topic {@code fraud.events}: random and truncated
 * bytes ({@link ReasonCodes#UNDECODABLE}), Avro of a newer schema version ({@link
 * ReasonCodes#UNKNOWN_SCHEMA}), a valid header of the current schema followed by garbage ({@link
 * ReasonCodes#UNDECODABLE}), empty bytes ({@link ReasonCodes#EMPTY_VALUE}), and well-formed Avro
 * {@code FraudTransaction}s that fail {@link FraudValidation}. {@link #forRaw} gives values for the
 * JSON topic {@code fraud.raw}. Keys are the template's customer id in UTF-8.
 */
public final class PoisonRecords {

  /** One bad record: what it is, its key and value bytes, and the reason code it must get. */
  public record PoisonRecord(String name, byte[] key, byte[] value, String expectedReasonCode) {
    public PoisonRecord {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(expectedReasonCode, "expectedReasonCode");
    }

    @Override
    public String toString() {
      return "PoisonRecord[" + name + " -> " + expectedReasonCode + "]";
    }
  }

  private static final AvroSerde<FraudTransaction> AVRO = AvroSerde.of(FraudTransaction.class);

  private static final AvroSerde<FraudLabel> LABELS = AvroSerde.of(FraudLabel.class);

  /** The reason codes of the Flink job's label parser ({@code ParseLabels}) that are its own. */
  public static final String LABEL_BEFORE_TRANSACTION = "LABEL_BEFORE_TRANSACTION";

  private PoisonRecords() {}

  /**
   * Poison for {@code fraud.labels}, built from a valid {@code template} label; {@code now} is the
   * wall clock the job's label parser will see. Reason codes as the job's {@code ParseLabels} gives
   * them: bytes ({@link ReasonCodes#UNDECODABLE}, {@link ReasonCodes#EMPTY_VALUE}, {@link
   * ReasonCodes#UNKNOWN_SCHEMA} for a transaction sent to the labels topic), and labels whose times
   * cannot be ({@link #LABEL_BEFORE_TRANSACTION}: known years before the payment happened; {@link
   * ReasonCodes#TIME_TOO_FAR_IN_FUTURE}: ten years ahead of the wall clock) or whose ids are empty.
   */
  public static List<PoisonRecord> forLabels(FraudLabel template, Instant now) {
    byte[] key = template.getCustomerId().getBytes(StandardCharsets.UTF_8);
    byte[] good = LABELS.encode(template);
    SplittableRandom random = new SplittableRandom(template.getTransactionId() * 31 + 7);
    byte[] noise = new byte[32];
    random.nextBytes(noise);
    noise[0] = 'x'; // never the Avro single-object marker
    FraudTransaction tx =
        new FraudTransaction(
            template.getTransactionId(),
            template.getTransactionTime(),
            template.getCustomerId(),
            template.getTerminalId(),
            10.0);
    List<PoisonRecord> out = new ArrayList<>();
    out.add(new PoisonRecord("label: random bytes", key, noise, ReasonCodes.UNDECODABLE));
    out.add(new PoisonRecord("label: empty value", key, new byte[0], ReasonCodes.EMPTY_VALUE));
    out.add(
        new PoisonRecord(
            "label: truncated Avro",
            key,
            Arrays.copyOf(good, good.length / 2),
            ReasonCodes.UNDECODABLE));
    out.add(
        new PoisonRecord(
            "label: a transaction (FraudTransaction Avro) on the labels topic",
            key,
            AVRO.encode(tx),
            ReasonCodes.UNKNOWN_SCHEMA));
    out.add(
        new PoisonRecord(
            "label: label time 5 years before its transaction",
            key,
            LABELS.encode(
                label(
                    template,
                    l ->
                        l.setLabelTime(
                            template.getTransactionTime().minus(Duration.ofDays(5 * 365))))),
            LABEL_BEFORE_TRANSACTION));
    out.add(
        new PoisonRecord(
            "label: label time 10 years in the future",
            key,
            LABELS.encode(label(template, l -> l.setLabelTime(now.plus(Duration.ofDays(3650))))),
            ReasonCodes.TIME_TOO_FAR_IN_FUTURE));
    out.add(
        new PoisonRecord(
            "label: empty customer id",
            key,
            LABELS.encode(label(template, l -> l.setCustomerId(""))),
            ReasonCodes.EMPTY_CUSTOMER_ID));
    out.add(
        new PoisonRecord(
            "label: empty terminal id",
            key,
            LABELS.encode(label(template, l -> l.setTerminalId(" "))),
            ReasonCodes.EMPTY_TERMINAL_ID));
    return out;
  }

  private static FraudLabel label(
      FraudLabel template, java.util.function.Consumer<FraudLabel> change) {
    FraudLabel copy = FraudLabel.newBuilder(template).build();
    change.accept(copy);
    return copy;
  }

  /**
   * Poison for {@code fraud.events}, built from a valid {@code template}; {@code now} is the wall
   * clock that the validating stage will see (for the far-future case).
   */
  public static List<PoisonRecord> forEvents(FraudTransaction template, Instant now) {
    byte[] key = key(template);
    byte[] good = AVRO.encode(template);
    SplittableRandom random = new SplittableRandom(template.getTransactionId());
    byte[] noise = new byte[32];
    random.nextBytes(noise);
    noise[0] = 'x'; // never the Avro single-object marker
    List<PoisonRecord> out = new ArrayList<>();
    out.add(new PoisonRecord("random bytes", key, noise, ReasonCodes.UNDECODABLE));
    out.add(new PoisonRecord("empty value", key, new byte[0], ReasonCodes.EMPTY_VALUE));
    out.add(
        new PoisonRecord(
            "truncated Avro", key, Arrays.copyOf(good, good.length / 2), ReasonCodes.UNDECODABLE));
    out.add(
        new PoisonRecord(
            "Avro with JSON instead", key, FraudJson.toJson(template), ReasonCodes.UNDECODABLE));
    out.add(
        new PoisonRecord(
            "Avro of a newer, unknown schema version",
            key,
            newerSchema(template),
            ReasonCodes.UNKNOWN_SCHEMA));
    out.add(
        new PoisonRecord(
            "Avro header of the current schema, then garbage",
            key,
            currentHeaderThenGarbage(good),
            ReasonCodes.UNDECODABLE));
    for (Semantic s : semantic(template, now)) {
      out.add(new PoisonRecord(s.name, key, AVRO.encode(s.tx), s.code));
    }
    return out;
  }

  /**
   * Crafted single-object Avro: a valid marker ({@code C3 01}) and the real fingerprint of {@code
   * FraudTransaction}'s current schema, taken from {@code good}, then 16 bytes {@code 0xFF}: the
   * first field, a long, never ends (every byte says "more follows"), so a reader that trusts the
   * header still cannot decode it.
   */
  static byte[] currentHeaderThenGarbage(byte[] good) {
    byte[] out = Arrays.copyOf(good, SINGLE_OBJECT_HEADER + 16);
    Arrays.fill(out, SINGLE_OBJECT_HEADER, out.length, (byte) 0xFF);
    return out;
  }

  /** The single-object encoding's header: the 2-byte marker and the 8-byte schema fingerprint. */
  private static final int SINGLE_OBJECT_HEADER = 10;

  /**
   * {@code template} written by a producer that upgraded first: its schema has one more optional
   * field, so its fingerprint is not in the readers' history.
   */
  public static byte[] newerSchema(FraudTransaction template) {
    Schema current = FraudTransaction.getClassSchema();
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field f : current.getFields()) {
      fields.add(new Schema.Field(f, f.schema()));
    }
    fields.add(
        new Schema.Field(
            "channel",
            Schema.createUnion(Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.STRING)),
            "how the payment was made (a field the job does not know yet)",
            Schema.Field.NULL_DEFAULT_VALUE));
    Schema newer =
        Schema.createRecord(
            current.getName(), current.getDoc(), current.getNamespace(), false, fields);
    GenericRecord record = new GenericData.Record(newer);
    record.put("transactionId", template.getTransactionId());
    record.put("eventTime", template.getEventTime().toEpochMilli());
    record.put("customerId", template.getCustomerId());
    record.put("terminalId", template.getTerminalId());
    record.put("amount", template.getAmount());
    record.put("channel", "web");
    try {
      ByteBuffer buffer =
          new BinaryMessageEncoder<GenericRecord>(GenericData.get(), newer).encode(record);
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Poison for {@code fraud.raw} (JSON), built from a valid {@code template}. */
  public static List<PoisonRecord> forRaw(FraudTransaction template, Instant now) {
    byte[] key = key(template);
    String id = Long.toString(template.getTransactionId());
    String time = '"' + template.getEventTime().toString() + '"';
    String customer = quote(template.getCustomerId());
    String terminal = quote(template.getTerminalId());
    String amount = Double.toString(template.getAmount());
    List<PoisonRecord> out = new ArrayList<>();
    out.add(
        raw(
            "unparseable JSON",
            key,
            "{\"transactionId\": " + id + ", \"amount\": ",
            ReasonCodes.MALFORMED_JSON));
    out.add(raw("not JSON at all", key, "hello, world", ReasonCodes.MALFORMED_JSON));
    out.add(raw("JSON array", key, "[1, 2, 3]", ReasonCodes.MALFORMED_JSON));
    out.add(new PoisonRecord("empty value", key, new byte[0], ReasonCodes.EMPTY_VALUE));
    out.add(
        new PoisonRecord(
            "invalid UTF-8",
            key,
            new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'},
            ReasonCodes.MALFORMED_JSON));
    out.add(
        raw(
            "missing amount",
            key,
            obj(id, time, customer, terminal, null),
            ReasonCodes.MISSING_FIELD));
    out.add(
        raw(
            "null customerId",
            key,
            obj(id, time, "null", terminal, amount),
            ReasonCodes.MISSING_FIELD));
    out.add(
        raw(
            "amount is a string",
            key,
            obj(id, time, customer, terminal, "\"abc\""),
            ReasonCodes.WRONG_TYPE));
    out.add(
        raw(
            "transactionId is a fraction",
            key,
            obj("1.5", time, customer, terminal, amount),
            ReasonCodes.WRONG_TYPE));
    out.add(
        raw(
            "eventTime is not a time",
            key,
            obj(id, "\"yesterday\"", customer, terminal, amount),
            ReasonCodes.WRONG_TYPE));
    out.add(
        raw(
            "customerId is an object",
            key,
            obj(id, time, "{\"id\": 1}", terminal, amount),
            ReasonCodes.WRONG_TYPE));
    for (Semantic s : semantic(template, now)) {
      if (Double.isFinite(s.tx.getAmount())) { // JSON has no NaN or Infinity
        out.add(new PoisonRecord(s.name, key, FraudJson.toJson(s.tx), s.code));
      }
    }
    out.add(
        raw(
            "amount overflows to infinity",
            key,
            obj(id, time, customer, terminal, "1e400"),
            ReasonCodes.NON_FINITE_AMOUNT));
    return out;
  }

  /** One poison record for {@code fraud.events} picked at random. */
  public static PoisonRecord randomEvent(
      FraudTransaction template, Instant now, SplittableRandom random) {
    List<PoisonRecord> all = forEvents(template, now);
    return all.get(random.nextInt(all.size()));
  }

  /** One poison record for {@code fraud.raw} picked at random. */
  public static PoisonRecord randomRaw(
      FraudTransaction template, Instant now, SplittableRandom random) {
    List<PoisonRecord> all = forRaw(template, now);
    return all.get(random.nextInt(all.size()));
  }

  private record Semantic(String name, FraudTransaction tx, String code) {}

  private static List<Semantic> semantic(FraudTransaction template, Instant now) {
    return List.of(
        new Semantic(
            "negative amount",
            with(template, t -> t.setAmount(-12.5)),
            ReasonCodes.NEGATIVE_AMOUNT),
        new Semantic(
            "NaN amount",
            with(template, t -> t.setAmount(Double.NaN)),
            ReasonCodes.NON_FINITE_AMOUNT),
        new Semantic(
            "finite amount beyond the float range (1e300)",
            with(template, t -> t.setAmount(1e300)),
            ReasonCodes.AMOUNT_OUT_OF_RANGE),
        new Semantic(
            "infinite amount",
            with(template, t -> t.setAmount(Double.POSITIVE_INFINITY)),
            ReasonCodes.NON_FINITE_AMOUNT),
        new Semantic(
            "empty customer id",
            with(template, t -> t.setCustomerId("")),
            ReasonCodes.EMPTY_CUSTOMER_ID),
        new Semantic(
            "empty terminal id",
            with(template, t -> t.setTerminalId("")),
            ReasonCodes.EMPTY_TERMINAL_ID),
        new Semantic(
            "time far in the future",
            with(template, t -> t.setEventTime(now.plus(Duration.ofDays(3650)))),
            ReasonCodes.TIME_TOO_FAR_IN_FUTURE),
        new Semantic(
            "customer id of 10,000 characters",
            with(template, t -> t.setCustomerId("c".repeat(10_000))),
            ReasonCodes.ID_TOO_LONG),
        new Semantic(
            "terminal id of 300 characters",
            with(template, t -> t.setTerminalId("t".repeat(300))),
            ReasonCodes.ID_TOO_LONG),
        new Semantic(
            "time far in the past",
            with(template, t -> t.setEventTime(Instant.parse("1990-01-01T00:00:00Z"))),
            ReasonCodes.TIME_TOO_FAR_IN_PAST));
  }

  private static FraudTransaction with(
      FraudTransaction template, java.util.function.Consumer<FraudTransaction> change) {
    FraudTransaction copy = FraudTransaction.newBuilder(template).build();
    change.accept(copy);
    return copy;
  }

  private static PoisonRecord raw(String name, byte[] key, String json, String code) {
    return new PoisonRecord(name, key, json.getBytes(StandardCharsets.UTF_8), code);
  }

  private static String obj(
      String id, String time, String customer, String terminal, String amount) {
    StringBuilder b = new StringBuilder("{");
    b.append("\"transactionId\": ").append(id);
    b.append(", \"eventTime\": ").append(time);
    b.append(", \"customerId\": ").append(customer);
    b.append(", \"terminalId\": ").append(terminal);
    if (amount != null) {
      b.append(", \"amount\": ").append(amount);
    }
    return b.append('}').toString();
  }

  private static String quote(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  private static byte[] key(FraudTransaction template) {
    return template.getCustomerId().getBytes(StandardCharsets.UTF_8);
  }
}
