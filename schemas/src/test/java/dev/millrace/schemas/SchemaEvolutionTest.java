package dev.millrace.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

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
}
