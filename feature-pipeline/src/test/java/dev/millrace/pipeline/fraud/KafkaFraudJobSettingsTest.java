package dev.millrace.pipeline.fraud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.pipeline.DeliveryGuarantee;
import dev.millrace.pipeline.StateBackendChoice;
import java.time.Duration;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.core.execution.CheckpointingMode;
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
    assertThat(s.transactionTimeout()).isEqualTo(Duration.ofMinutes(15));
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
  void stateCheckpointAndRestartFlags() {
    FraudPipelineSettings d =
        KafkaFraudJob.settings(new String[] {"--bootstrap-servers", "k:9092"});
    assertThat(d.stateBackend()).isEqualTo(StateBackendChoice.ROCKSDB);
    assertThat(d.checkpointDir()).as("left to the cluster's configuration").isNull();
    assertThat(d.checkpointTimeout()).isEqualTo(Duration.ofMinutes(3));
    assertThat(d.checkpointTimeout()).isLessThan(d.transactionTimeout());
    assertThat(d.minPauseBetweenCheckpoints()).isEqualTo(Duration.ofSeconds(1));
    assertThat(d.restartAttempts()).isEqualTo(8);
    assertThat(d.device()).isEqualTo(dev.millrace.scorer.DeviceChoice.AUTO);
    assertThat(
            KafkaFraudJob.settings(
                    new String[] {"--bootstrap-servers", "k:9092", "--device", "GPU"})
                .device())
        .isEqualTo(dev.millrace.scorer.DeviceChoice.GPU);

    FraudPipelineSettings s =
        KafkaFraudJob.settings(
            new String[] {
              "--bootstrap-servers", "k:9092",
              "--state-backend", "HashMap",
              "--checkpoint-dir", "s3://bucket/millrace/checkpoints",
              "--checkpoint-timeout", "2 min",
              "--min-pause-between-checkpoints", "3s",
              "--restart-attempts", "3",
              "--restart-max-delay", "1 min"
            });
    assertThat(s.stateBackend()).isEqualTo(StateBackendChoice.HASHMAP);
    assertThat(s.checkpointDir()).isEqualTo("s3://bucket/millrace/checkpoints");
    assertThat(s.checkpointTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(s.minPauseBetweenCheckpoints()).isEqualTo(Duration.ofSeconds(3));
    assertThat(s.restartAttempts()).isEqualTo(3);
    assertThat(s.restartMaxDelay()).isEqualTo(Duration.ofMinutes(1));

    FraudPipelineSettings local =
        KafkaFraudJob.settings(
            new String[] {"--bootstrap-servers", "k:9092", "--checkpoint-dir", "ckpt"});
    assertThat(local.checkpointDir())
        .as("a plain folder becomes an absolute file: URI")
        .startsWith("file:/")
        .endsWith("/ckpt");
    assertThat(
            FraudPipelineSettings.builder("k")
                .transactionTimeout(Duration.ofMinutes(2))
                .build()
                .checkpointTimeout())
        .as("unset, the checkpoint timeout stays below a short transaction timeout")
        .isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void theJobConfigurationAsksForWhatTheKafkaConnectorNeeds() {
    FraudPipelineSettings s =
        FraudPipelineSettings.builder("k:9092")
            .checkpointDir("file:///tmp/ckpt")
            .checkpointInterval(Duration.ofSeconds(5))
            .restartAttempts(4)
            .build();
    Configuration c = KafkaFraudJob.faultTolerance(s);
    assertThat(c.get(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE))
        .isEqualTo(CheckpointingMode.EXACTLY_ONCE);
    assertThat(c.get(CheckpointingOptions.CHECKPOINTING_INTERVAL)).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.get(CheckpointingOptions.MAX_CONCURRENT_CHECKPOINTS)).isEqualTo(1);
    assertThat(c.get(CheckpointingOptions.MIN_PAUSE_BETWEEN_CHECKPOINTS)).isPositive();
    assertThat(c.get(CheckpointingOptions.CHECKPOINTING_TIMEOUT))
        .isLessThan(s.transactionTimeout());
    assertThat(c.get(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION))
        .isEqualTo(ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
    assertThat(c.get(CheckpointingOptions.CHECKPOINT_STORAGE)).isEqualTo("filesystem");
    assertThat(c.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY)).isEqualTo("file:///tmp/ckpt");
    assertThat(c.get(CheckpointingOptions.INCREMENTAL_CHECKPOINTS)).isTrue();
    assertThat(c.get(StateBackendOptions.STATE_BACKEND)).isEqualTo("rocksdb");
    assertThat(c.get(RestartStrategyOptions.RESTART_STRATEGY)).isEqualTo("exponential-delay");
    assertThat(c.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS))
        .isEqualTo(4);
    assertThat(FraudPipelineSettings.builder("k").build().checkpointDir()).isNull();
    assertThat(
            KafkaFraudJob.faultTolerance(FraudPipelineSettings.builder("k").build())
                .getOptional(CheckpointingOptions.CHECKPOINTS_DIRECTORY))
        .as("no folder: the cluster's configuration decides")
        .isEmpty();
    assertThat(
            KafkaFraudJob.faultTolerance(FraudPipelineSettings.builder("k").build())
                .getOptional(CheckpointingOptions.INCREMENTAL_CHECKPOINTS))
        .isEmpty();
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
    assertThatThrownBy(
            () ->
                FraudPipelineSettings.builder("k:9092")
                    .transactionTimeout(Duration.ofMinutes(5))
                    .checkpointTimeout(Duration.ofMinutes(5))
                    .build())
        .hasMessageContaining("checkpointTimeout");
    assertThatThrownBy(
            () ->
                KafkaFraudJob.settings(
                    new String[] {"--bootstrap-servers", "k:9092", "--state-backend", "memory"}))
        .hasMessageContaining("unknown state backend 'memory'");
    assertThatThrownBy(
            () ->
                KafkaFraudJob.settings(
                    new String[] {"--bootstrap-servers", "k:9092", "--restart-attempts", "-1"}))
        .hasMessageContaining("restartAttempts");
  }

  @Test
  void theModelPublicKeyTravelsAsBase64AndReachesTheLoader() throws Exception {
    java.security.KeyPair keys = dev.millrace.scorer.model.ModelSigning.generate();
    dev.millrace.scorer.model.ModelSigning.Verifier verifier =
        new dev.millrace.scorer.model.ModelSigning.Verifier(
            dev.millrace.scorer.model.ModelSigning.pem(keys.getPublic()));
    FraudPipelineSettings s =
        KafkaFraudJob.settings(
            new String[] {
              "--bootstrap-servers", "k:9092", "--model-public-key", verifier.base64()
            });
    assertThat(s.modelVerifier()).isEqualTo(verifier);
    assertThat(KafkaFraudJob.loader(s).verifier()).isEqualTo(verifier);
    assertThat(s.toBuilder().build().modelVerifier()).isEqualTo(verifier);

    FraudPipelineSettings unsigned =
        KafkaFraudJob.settings(new String[] {"--bootstrap-servers", "k:9092"});
    assertThat(unsigned.modelVerifier()).isNull();
    assertThat(KafkaFraudJob.loader(unsigned).verifier()).isNull();

    assertThatThrownBy(
            () ->
                KafkaFraudJob.settings(
                    new String[] {"--bootstrap-servers", "k:9092", "--model-public-key", "AAAA"}))
        .hasMessageContaining("--model-public-key");
    assertThatThrownBy(
            () ->
                KafkaFraudJob.settings(
                    new String[] {"--bootstrap-servers", "k:9092", "--model-public-key"}))
        .hasMessageContaining("--model-public-key");
  }
}
