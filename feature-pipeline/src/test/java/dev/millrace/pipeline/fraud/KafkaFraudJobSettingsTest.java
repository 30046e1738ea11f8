package dev.millrace.pipeline.fraud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class KafkaFraudJobSettingsTest {

  @Test
  void parsesArgumentsOnceIntoTypedSettings() {
    FraudPipelineSettings s =
        KafkaFraudJob.settings(
            new String[] {
              "--bootstrap-servers", "kafka:9092",
              "--topic-namespace", "staging",
              "--parallelism", "4",
              "--checkpoint-interval", "5 s",
              "--label-delay", "3d",
              "--batch-size", "128",
              "--quality-window", "2000",
              "--drift-window", "12h",
              "--drift-threshold", "0.25",
              "--bounded", "true",
              "--delivery-guarantee", "at-least-once"
            });
    assertThat(s.bootstrapServers()).isEqualTo("kafka:9092");
    assertThat(s.topics().fraudEvents().name()).isEqualTo("staging.fraud.events");
    assertThat(s.parallelism()).isEqualTo(4);
    assertThat(s.checkpointInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.labelDelay()).isEqualTo(Duration.ofDays(3));
    assertThat(s.scoring().batchSize()).isEqualTo(128);
    assertThat(s.stopAtLatestOffsets()).isTrue();
    assertThat(s.transactionTimeout()).isEqualTo(Duration.ofMinutes(10));
    assertThat(s.monitoring().qualityWindow()).isEqualTo(2000);
    assertThat(s.monitoring().qualityEvery()).isEqualTo(500);
    assertThat(s.monitoring().driftWindow()).isEqualTo(Duration.ofHours(12));
    assertThat(s.monitoring().driftThreshold()).isEqualTo(0.25);
    assertThat(s.monitoring().driftCooldown()).isEqualTo(Duration.ofDays(7));
    assertThat(s.deliveryGuarantee()).isEqualTo(DeliveryGuarantee.AT_LEAST_ONCE);
    assertThat(
            KafkaFraudJob.settings(new String[] {"--bootstrap-servers", "k:9092"})
                .deliveryGuarantee())
        .isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
  }

  @Test
  void labelIdlenessAndTheStreamBoundHaveTheirOwnFlags() {
    FraudPipelineSettings d =
        KafkaFraudJob.settings(new String[] {"--bootstrap-servers", "k:9092"});
    assertThat(d.labelIdleness()).isEqualTo(Duration.ofMinutes(5));
    assertThat(d.maxAheadOfStream()).isEqualTo(Duration.ofDays(1));
    assertThat(d.idleness()).isEqualTo(Duration.ofSeconds(30));
    FraudPipelineSettings s =
        KafkaFraudJob.settings(
            new String[] {
              "--bootstrap-servers", "k:9092",
              "--idleness", "10s",
              "--label-idleness", "20 min",
              "--max-ahead-of-stream", "6h"
            });
    assertThat(s.idleness()).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.labelIdleness()).isEqualTo(Duration.ofMinutes(20));
    assertThat(s.maxAheadOfStream()).isEqualTo(Duration.ofHours(6));
    assertThat(s.toBuilder().build()).isEqualTo(s);
    assertThatThrownBy(
            () -> FraudPipelineSettings.builder("k:9092").maxAheadOfStream(Duration.ZERO).build())
        .hasMessageContaining("maxAheadOfStream");
  }

  @Test
  void refusesMissingBrokersBadDurationsAndUnsafeTransactionTimeouts() {
    assertThatThrownBy(() -> KafkaFraudJob.settings(new String[] {}))
        .hasMessageContaining("--bootstrap-servers");
    assertThatThrownBy(
            () ->
                KafkaFraudJob.settings(
                    new String[] {"--bootstrap-servers", "k:9092", "--idleness", "soon"}))
        .hasMessageContaining("--idleness");
    assertThatThrownBy(
            () ->
                KafkaFraudJob.settings(
                    new String[] {"--bootstrap-servers", "k:9092", "--drift-threshold", "-1"}))
        .hasMessageContaining("driftThreshold");
    assertThatThrownBy(
            () ->
                KafkaFraudJob.settings(
                    new String[] {
                      "--bootstrap-servers", "k:9092", "--delivery-guarantee", "maybe"
                    }))
        .hasMessageContaining("--delivery-guarantee");
    assertThatThrownBy(
            () ->
                FraudPipelineSettings.builder("k:9092")
                    .transactionTimeout(Duration.ofMinutes(20))
                    .build())
        .hasMessageContaining("transaction.max.timeout.ms");
    assertThatThrownBy(
            () ->
                FraudPipelineSettings.builder("k:9092")
                    .checkpointInterval(Duration.ofMinutes(10))
                    .transactionTimeout(Duration.ofMinutes(5))
                    .build())
        .hasMessageContaining("longer than the checkpoint interval");
  }
}
