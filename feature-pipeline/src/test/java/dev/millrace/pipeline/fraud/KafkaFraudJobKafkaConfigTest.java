package dev.millrace.pipeline.fraud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --kafka-config FILE}: the job's Kafka client properties (security), parsed once. */
class KafkaFraudJobKafkaConfigTest {

  @TempDir Path dir;

  @Test
  void theFileBecomesTheSettingsKafkaProperties() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("job.properties"),
            "security.protocol=SASL_SSL\n"
                + "sasl.mechanism=SCRAM-SHA-512\n"
                + "ssl.truststore.location=/etc/millrace/truststore.p12\n");
    FraudPipelineSettings s =
        KafkaFraudJob.settings(
            new String[] {"--bootstrap-servers", "k:9093", "--kafka-config", file.toString()});
    assertThat(s.kafkaProperties())
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry("ssl.truststore.location", "/etc/millrace/truststore.p12")
        .hasSize(3);
    // Flink ships what the sources and sinks hold: the map must serialise.
    try (ObjectOutputStream out = new ObjectOutputStream(new ByteArrayOutputStream())) {
      out.writeObject(s.kafkaProperties());
    }
  }

  @Test
  void withoutTheFlagThereAreNone() {
    assertThat(
            KafkaFraudJob.settings(new String[] {"--bootstrap-servers", "k:9092"})
                .kafkaProperties())
        .isEmpty();
  }

  @Test
  void aMissingFileIsAClearError() {
    String missing = dir.resolve("nope.properties").toString();
    assertThatThrownBy(
            () ->
                KafkaFraudJob.settings(
                    new String[] {"--bootstrap-servers", "k:9092", "--kafka-config", missing}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("--kafka-config: cannot read " + missing);
  }
}
