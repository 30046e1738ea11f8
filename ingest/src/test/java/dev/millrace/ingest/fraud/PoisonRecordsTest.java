package dev.millrace.ingest.fraud;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.ingest.ReasonCodes;
import dev.millrace.ingest.Rejection;
import dev.millrace.ingest.ValidationRules;
import dev.millrace.schemas.AvroSerde;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class PoisonRecordsTest {

  static final Instant NOW = Instant.parse("2024-06-01T00:00:00Z");
  static final FraudTransaction TEMPLATE =
      new FraudTransaction(42L, Instant.parse("2024-05-31T10:00:00Z"), "c7", "t9", 31.5);
  static final AvroSerde<FraudTransaction> AVRO = AvroSerde.of(FraudTransaction.class);

  static String classifyAvro(byte[] value) {
    if (value == null || value.length == 0) {
      return ReasonCodes.EMPTY_VALUE;
    }
    FraudTransaction tx;
    try {
      tx = AVRO.decode(value);
      if (tx == null) {
        return ReasonCodes.UNDECODABLE;
      }
    } catch (AvroSerde.UnknownSchemaException e) {
      return ReasonCodes.UNKNOWN_SCHEMA;
    } catch (SerializationException e) {
      return ReasonCodes.UNDECODABLE;
    }
    return FraudValidation.check(tx, ValidationRules.defaults(), NOW)
        .map(Rejection::code)
        .orElse("VALID");
  }

  static String classifyJson(byte[] value) {
    FraudJson.Parsed parsed = FraudJson.parse(value);
    if (!parsed.ok()) {
      return parsed.rejection().code();
    }
    return FraudValidation.check(parsed.transaction(), ValidationRules.defaults(), NOW)
        .map(Rejection::code)
        .orElse("VALID");
  }

  @Test
  void templateIsValidBothWays() {
    assertThat(classifyAvro(AVRO.encode(TEMPLATE))).isEqualTo("VALID");
    assertThat(classifyJson(FraudJson.toJson(TEMPLATE))).isEqualTo("VALID");
    assertThat(FraudJson.parse(FraudJson.toJson(TEMPLATE)).transaction()).isEqualTo(TEMPLATE);
  }

  @Test
  void eachEventPoisonGetsItsExpectedCode() {
    List<PoisonRecords.PoisonRecord> all = PoisonRecords.forEvents(TEMPLATE, NOW);
    assertThat(all).hasSizeGreaterThanOrEqualTo(10);
    for (PoisonRecords.PoisonRecord p : all) {
      assertThat(classifyAvro(p.value())).as(p.name()).isEqualTo(p.expectedReasonCode());
      assertThat(p.key()).isEqualTo("c7".getBytes());
    }
    assertThat(all.stream().map(PoisonRecords.PoisonRecord::expectedReasonCode).distinct())
        .contains(
            "UNDECODABLE",
            "EMPTY_VALUE",
            "NEGATIVE_AMOUNT",
            "NON_FINITE_AMOUNT",
            "EMPTY_CUSTOMER_ID",
            "TIME_TOO_FAR_IN_FUTURE");
  }

  @Test
  void craftedAvroHasTheRealHeaderOfTheCurrentSchemaAndStillDoesNotDecode() {
    PoisonRecords.PoisonRecord p =
        PoisonRecords.forEvents(TEMPLATE, NOW).stream()
            .filter(x -> x.name().startsWith("Avro header of the current schema"))
            .findFirst()
            .orElseThrow();
    byte[] good = AVRO.encode(TEMPLATE);
    // marker C3 01 and the same 8-byte fingerprint as a real record of today's schema
    assertThat(java.util.Arrays.copyOf(p.value(), 10)).isEqualTo(java.util.Arrays.copyOf(good, 10));
    assertThat(p.value()[0]).isEqualTo((byte) 0xC3);
    assertThat(p.value()[1]).isEqualTo((byte) 0x01);
    // so it is not refused as an unknown schema, but as undecodable
    assertThat(classifyAvro(p.value())).isEqualTo(ReasonCodes.UNDECODABLE);
  }

  @Test
  void amountBeyondTheFloatRangeIsRefusedBothWays() {
    for (List<PoisonRecords.PoisonRecord> all :
        List.of(PoisonRecords.forEvents(TEMPLATE, NOW), PoisonRecords.forRaw(TEMPLATE, NOW))) {
      PoisonRecords.PoisonRecord p =
          all.stream()
              .filter(x -> x.name().startsWith("finite amount beyond the float range"))
              .findFirst()
              .orElseThrow();
      assertThat(p.expectedReasonCode()).isEqualTo(ReasonCodes.AMOUNT_OUT_OF_RANGE);
    }
    assertThat(
            classifyAvro(
                PoisonRecords.forEvents(TEMPLATE, NOW).stream()
                    .filter(x -> x.name().startsWith("finite amount beyond"))
                    .findFirst()
                    .orElseThrow()
                    .value()))
        .isEqualTo(ReasonCodes.AMOUNT_OUT_OF_RANGE);
  }

  @Test
  void eachRawPoisonGetsItsExpectedCode() {
    List<PoisonRecords.PoisonRecord> all = PoisonRecords.forRaw(TEMPLATE, NOW);
    for (PoisonRecords.PoisonRecord p : all) {
      assertThat(classifyJson(p.value())).as(p.name()).isEqualTo(p.expectedReasonCode());
    }
    assertThat(
            all.stream()
                .map(PoisonRecords.PoisonRecord::expectedReasonCode)
                .collect(Collectors.toSet()))
        .contains("MALFORMED_JSON", "MISSING_FIELD", "WRONG_TYPE", "NEGATIVE_AMOUNT");
  }

  @Test
  void jsonAcceptsEpochMillisAndOffsets() {
    FraudJson.Parsed p =
        FraudJson.parse(
            ("{\"transactionId\":1,\"eventTime\":1717200000000,\"customerId\":\"a\","
                    + "\"terminalId\":\"b\",\"amount\":3,\"extra\":true}")
                .getBytes());
    assertThat(p.ok()).isTrue();
    assertThat(p.transaction().getEventTime()).isEqualTo(Instant.ofEpochMilli(1717200000000L));
    assertThat(p.transaction().getAmount()).isEqualTo(3.0);
    FraudJson.Parsed offset =
        FraudJson.parse(
            ("{\"transactionId\":1,\"eventTime\":\"2024-06-01T02:00:00+02:00\",\"customerId\":\"a\","
                    + "\"terminalId\":\"b\",\"amount\":3}")
                .getBytes());
    assertThat(offset.transaction().getEventTime())
        .isEqualTo(Instant.parse("2024-06-01T00:00:00Z"));
  }

  @Test
  void wrongTypeReasonNamesTheFieldAndValue() {
    Optional<Rejection> r =
        Optional.ofNullable(
            FraudJson.parse(
                    PoisonRecords.forRaw(TEMPLATE, NOW).stream()
                        .filter(p -> p.name().equals("amount is a string"))
                        .findFirst()
                        .orElseThrow()
                        .value())
                .rejection());
    assertThat(r).isPresent();
    assertThat(r.get().reason()).contains("amount").contains("abc");
  }

  @Test
  void randomPicksAreDeterministicForASeed() {
    var a = PoisonRecords.randomEvent(TEMPLATE, NOW, new SplittableRandom(3));
    var b = PoisonRecords.randomEvent(TEMPLATE, NOW, new SplittableRandom(3));
    assertThat(a.name()).isEqualTo(b.name());
    assertThat(a.value()).isEqualTo(b.value());
  }
}
