package dev.millrace.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.schemas.fraud.FraudTransaction;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;

/** The compatibility check must catch the changes that break readers. */
class SchemaCompatibilityCheckTest {

  private static final Schema V1 = FraudTransaction.getClassSchema();

  @Test
  void addingAFieldWithoutDefaultBreaksBackwardCompatibility() {
    Schema v2 =
        base()
            .name("amount")
            .type()
            .doubleType()
            .noDefault()
            .name("currency")
            .type()
            .stringType()
            .noDefault()
            .endRecord();

    List<String> problems =
        SchemaCompatibilityCheck.BACKWARD_TRANSITIVE.violations(v2, List.of(V1));

    assertThat(problems).singleElement().asString().contains("currency");
  }

  @Test
  void addingAFieldWithDefaultIsCompatible() {
    Schema v2 =
        base()
            .name("amount")
            .type()
            .doubleType()
            .noDefault()
            .name("currency")
            .type()
            .stringType()
            .stringDefault("EUR")
            .endRecord();

    assertThat(SchemaCompatibilityCheck.FULL_TRANSITIVE.violations(v2, List.of(V1))).isEmpty();
  }

  @Test
  void changingAFieldTypeIsDetected() {
    Schema v2 = base().name("amount").type().stringType().noDefault().endRecord();

    assertThat(SchemaCompatibilityCheck.BACKWARD_TRANSITIVE.violations(v2, List.of(V1)))
        .singleElement()
        .asString()
        .contains("TYPE_MISMATCH")
        .contains("amount");
  }

  @Test
  void removingAFieldWithoutDefaultBreaksOldReaders() {
    // Readers of the new schema simply ignore the old field (backward compatible), but consumers
    // still on v1 cannot read records that lack it: FULL compatibility catches that.
    Schema v2 =
        SchemaBuilder.record("FraudTransaction")
            .namespace("dev.millrace.schemas.fraud")
            .fields()
            .requiredLong("transactionId")
            .name("eventTime")
            .type(V1.getField("eventTime").schema())
            .noDefault()
            .requiredString("customerId")
            .requiredDouble("amount")
            .endRecord();

    assertThat(SchemaCompatibilityCheck.BACKWARD_TRANSITIVE.violations(v2, List.of(V1))).isEmpty();
    assertThat(SchemaCompatibilityCheck.FULL_TRANSITIVE.violations(v2, List.of(V1)))
        .singleElement()
        .asString()
        .contains("v1 cannot read")
        .contains("terminalId");
  }

  @Test
  void transitiveCheckComparesWithEveryEarlierVersion() {
    Schema v2 =
        base()
            .name("amount")
            .type()
            .doubleType()
            .noDefault()
            .name("currency")
            .type()
            .stringType()
            .stringDefault("EUR")
            .endRecord();
    // v3 drops the default again: compatible with v2 alone, not with v1.
    Schema v3 =
        base()
            .name("amount")
            .type()
            .doubleType()
            .noDefault()
            .name("currency")
            .type()
            .stringType()
            .noDefault()
            .endRecord();

    assertThat(SchemaCompatibilityCheck.BACKWARD_TRANSITIVE.violations(v3, List.of(v2))).isEmpty();
    assertThat(SchemaCompatibilityCheck.BACKWARD_TRANSITIVE.violations(v3, List.of(V1, v2)))
        .singleElement()
        .asString()
        .contains("v1");
  }

  private static SchemaBuilder.FieldAssembler<Schema> base() {
    return SchemaBuilder.record("FraudTransaction")
        .namespace("dev.millrace.schemas.fraud")
        .fields()
        .requiredLong("transactionId")
        .name("eventTime")
        .type(V1.getField("eventTime").schema())
        .noDefault()
        .requiredString("customerId")
        .requiredString("terminalId");
  }
}
