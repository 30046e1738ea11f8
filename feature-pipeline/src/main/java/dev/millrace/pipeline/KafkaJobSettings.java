package dev.millrace.pipeline;

import dev.millrace.schemas.TopicRegistry;
import dev.millrace.scorer.DeviceChoice;
import dev.millrace.scorer.model.ModelSigning;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How a task's job meets Kafka and keeps its state, whatever the task: the broker and topics, the
 * consumer group and transactional ids, the delivery guarantee, checkpoints, restarts, the device
 * models run on and the key they must be signed with. Each task's own settings (windows, label
 * rules) live in its definition.
 *
 * @param topics the topic names (a namespace in tests)
 * @param bootstrapServers the Kafka cluster
 * @param consumerGroupId prefix of the sources' consumer groups
 * @param transactionalIdPrefix prefix of the sinks' transactional ids
 * @param checkpointInterval exactly-once checkpoints this often
 * @param transactionTimeout the sinks' {@code transaction.timeout.ms}
 * @param stopAtLatestOffsets read each topic up to its end at start-up, then finish
 * @param deliveryGuarantee what the sinks promise to readers
 * @param stateBackend RocksDB or heap state
 * @param checkpointDir where checkpoints go (null: the cluster's setting)
 * @param checkpointTimeout a checkpoint taking longer fails
 * @param minPauseBetweenCheckpoints the least time between two checkpoints
 * @param restartAttempts failovers in a row before the job gives up
 * @param restartMaxDelay the longest back-off between restarts
 * @param device where models run
 * @param modelVerifier the public key models must be signed with (null: any intact model)
 * @param kafkaProperties extra client properties for every source and sink (security)
 */
public record KafkaJobSettings(
    TopicRegistry topics,
    String bootstrapServers,
    String consumerGroupId,
    String transactionalIdPrefix,
    Duration checkpointInterval,
    Duration transactionTimeout,
    boolean stopAtLatestOffsets,
    DeliveryGuarantee deliveryGuarantee,
    StateBackendChoice stateBackend,
    String checkpointDir,
    Duration checkpointTimeout,
    Duration minPauseBetweenCheckpoints,
    int restartAttempts,
    Duration restartMaxDelay,
    DeviceChoice device,
    ModelSigning.Verifier modelVerifier,
    Map<String, String> kafkaProperties) {

  /** The broker's default {@code transaction.max.timeout.ms}. */
  public static final Duration MAX_TRANSACTION_TIMEOUT = Duration.ofMinutes(15);

  public KafkaJobSettings {
    Objects.requireNonNull(topics, "topics");
    kafkaProperties = Map.copyOf(kafkaProperties);
    Objects.requireNonNull(consumerGroupId, "consumerGroupId");
    Objects.requireNonNull(transactionalIdPrefix, "transactionalIdPrefix");
    DurationChecks.positive(checkpointInterval, "checkpointInterval");
    DurationChecks.positive(transactionTimeout, "transactionTimeout");
    Objects.requireNonNull(deliveryGuarantee, "deliveryGuarantee");
    Objects.requireNonNull(stateBackend, "stateBackend");
    if (checkpointDir != null && checkpointDir.isBlank()) {
      throw new IllegalArgumentException("checkpointDir must not be blank (null: the cluster's)");
    }
    DurationChecks.positive(checkpointTimeout, "checkpointTimeout");
    DurationChecks.notNegative(minPauseBetweenCheckpoints, "minPauseBetweenCheckpoints");
    DurationChecks.positive(restartMaxDelay, "restartMaxDelay");
    Objects.requireNonNull(device, "device");
    if (restartAttempts < 0) {
      throw new IllegalArgumentException(
          "restartAttempts must not be negative, got " + restartAttempts);
    }
    if (checkpointTimeout.compareTo(transactionTimeout) >= 0) {
      throw new IllegalArgumentException(
          "checkpointTimeout ("
              + checkpointTimeout
              + ") must be shorter than the transaction timeout ("
              + transactionTimeout
              + "): a transaction must outlive the checkpoint that commits it");
    }
    if (transactionTimeout.compareTo(checkpointInterval) <= 0) {
      throw new IllegalArgumentException(
          "transactionTimeout ("
              + transactionTimeout
              + ") must be longer than the checkpoint interval ("
              + checkpointInterval
              + ")");
    }
    if (transactionTimeout.compareTo(MAX_TRANSACTION_TIMEOUT) > 0) {
      throw new IllegalArgumentException(
          "transactionTimeout ("
              + transactionTimeout
              + ") must not exceed the broker's transaction.max.timeout.ms ("
              + MAX_TRANSACTION_TIMEOUT
              + ")");
    }
  }

  /** These settings under another consumer group and transactional-id prefix (another job). */
  public KafkaJobSettings withIds(String groupId, String transactionalIds) {
    return new KafkaJobSettings(
        topics,
        bootstrapServers,
        groupId,
        transactionalIds,
        checkpointInterval,
        transactionTimeout,
        stopAtLatestOffsets,
        deliveryGuarantee,
        stateBackend,
        checkpointDir,
        checkpointTimeout,
        minPauseBetweenCheckpoints,
        restartAttempts,
        restartMaxDelay,
        device,
        modelVerifier,
        kafkaProperties);
  }
}
