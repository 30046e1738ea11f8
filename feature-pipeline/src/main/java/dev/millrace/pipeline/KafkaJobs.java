package dev.millrace.pipeline;

import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.scorer.model.DjlModelLoader;
import java.time.Duration;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateChangelogOptions;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaSinkBuilder;
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.types.Either;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * Kafka sources and sinks, checkpoints and restarts as every task's job uses them: sources that
 * decode and validate in the deserializer and read {@code read_committed}; exactly-once
 * (transactional) sinks, or at-least-once ones; exactly-once checkpoints, retained on cancel.
 */
public final class KafkaJobs {

  private KafkaJobs() {}

  /**
   * Checks the settings and applies {@link #faultTolerance} to {@code env}; without a checkpoint
   * folder anywhere, checkpoints go to JobManager memory (5 MB at most, tests only), where
   * RocksDB's incremental uploads fail ("streamStateHandle cannot be null"), so they are off.
   */
  public static void configure(StreamExecutionEnvironment env, KafkaJobSettings settings) {
    if (settings.bootstrapServers() == null || settings.bootstrapServers().isBlank()) {
      throw new IllegalArgumentException("the job needs Kafka bootstrap servers");
    }
    Configuration faultTolerance = faultTolerance(settings);
    if (settings.checkpointDir() == null
        && env.getConfiguration()
            .getOptional(CheckpointingOptions.CHECKPOINTS_DIRECTORY)
            .isEmpty()) {
      faultTolerance.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, false);
    }
    env.configure(faultTolerance);
  }

  /**
   * The DJL loader the settings ask for: models on {@link KafkaJobSettings#device()}, signed under
   * {@link KafkaJobSettings#modelVerifier()} when it is set.
   */
  public static DjlModelLoader loader(KafkaJobSettings settings) {
    return new DjlModelLoader(
        settings.device(), DjlModelLoader.DEFAULT_MAX_ARTIFACT_BYTES, settings.modelVerifier());
  }

  /**
   * The job's state, checkpoint and restart configuration, as the Kafka connector asks for
   * exactly-once: exactly-once checkpoints, one at a time with a minimum pause, a checkpoint
   * timeout below the transaction timeout; RocksDB (or heap) state with incremental checkpoints,
   * retained when the job is cancelled so that a later start can resume from them;
   * exponential-delay restarts that give up after {@link KafkaJobSettings#restartAttempts}
   * failovers in a row. Applied to the job itself, so it holds on a Flink cluster as on a local
   * MiniCluster.
   */
  public static Configuration faultTolerance(KafkaJobSettings settings) {
    Configuration c = new Configuration();
    c.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, settings.checkpointInterval());
    c.set(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE, CheckpointingMode.EXACTLY_ONCE);
    c.set(CheckpointingOptions.CHECKPOINTING_TIMEOUT, settings.checkpointTimeout());
    c.set(CheckpointingOptions.MAX_CONCURRENT_CHECKPOINTS, 1);
    c.set(
        CheckpointingOptions.MIN_PAUSE_BETWEEN_CHECKPOINTS, settings.minPauseBetweenCheckpoints());
    c.set(
        CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
        ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
    c.set(StateBackendOptions.STATE_BACKEND, settings.stateBackend().flinkName());
    // Plain checkpoints: no changelog, no file merging (Flink's test environments switch these
    // on at random, and with them RocksDB's uploads fail: "streamStateHandle cannot be null").
    c.set(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG, false);
    c.set(CheckpointingOptions.FILE_MERGING_ENABLED, false);
    if (settings.checkpointDir() != null) {
      c.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
      c.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, settings.checkpointDir());
      // Incremental RocksDB checkpoints need a file system to upload to (in JobManager memory
      // they fail with "streamStateHandle cannot be null"); without a folder the cluster decides.
      c.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
    }
    c.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
    c.set(
        RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF,
        Duration.ofSeconds(1));
    c.set(
        RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF,
        settings.restartMaxDelay());
    c.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER, 2.0);
    c.set(
        RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD,
        Duration.ofMinutes(10));
    c.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_JITTER_FACTOR, 0.1);
    c.set(
        RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS,
        settings.restartAttempts());
    return c;
  }

  /**
   * A Kafka source that decodes and validates each record once ({@link ParsingDeserializer}), so
   * that the per-split watermarks the job puts on it come from valid records only.
   */
  public static <T extends SpecificRecord> Source<Either<T, DeadLetter>, ?, ?> source(
      KafkaJobSettings settings, String topic, String name, AvroParser<T> parser) {
    KafkaSourceBuilder<Either<T, DeadLetter>> builder =
        KafkaSource.<Either<T, DeadLetter>>builder()
            .setProperties(kafkaProperties(settings))
            .setBootstrapServers(settings.bootstrapServers())
            .setTopics(topic)
            .setGroupId(settings.consumerGroupId() + "-" + name)
            .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
            .setDeserializer(new ParsingDeserializer<>(parser))
            .setProperty("isolation.level", "read_committed")
            .setProperty("commit.offsets.on.checkpoint", "true");
    if (settings.stopAtLatestOffsets()) {
      builder.setBounded(OffsetsInitializer.latest());
    }
    return builder.build();
  }

  public static Source<ModelAnnouncement, ?, ?> modelSource(KafkaJobSettings settings) {
    // Compacted topic: always read it from the start to find the current champion.
    KafkaSourceBuilder<ModelAnnouncement> builder =
        KafkaSource.<ModelAnnouncement>builder()
            .setProperties(kafkaProperties(settings))
            .setBootstrapServers(settings.bootstrapServers())
            .setTopics(settings.topics().models().name())
            .setGroupId(settings.consumerGroupId() + "-models")
            .setStartingOffsets(OffsetsInitializer.earliest())
            .setDeserializer(new AvroValueDeserializer<>(ModelAnnouncement.class))
            .setProperty("isolation.level", "read_committed");
    if (settings.stopAtLatestOffsets()) {
      builder.setBounded(OffsetsInitializer.latest());
    }
    return builder.build();
  }

  /** The settings' extra client properties (security), below what the job sets itself. */
  private static Properties kafkaProperties(KafkaJobSettings settings) {
    Properties p = new Properties();
    p.putAll(settings.kafkaProperties());
    return p;
  }

  public static <T> KafkaSink<T> sink(
      KafkaJobSettings settings, String name, KafkaRecordSerializationSchema<T> serializer) {
    Properties producer = kafkaProperties(settings);
    boolean exactlyOnce = settings.deliveryGuarantee() == DeliveryGuarantee.EXACTLY_ONCE;
    if (exactlyOnce) {
      producer.setProperty(
          "transaction.timeout.ms", Long.toString(settings.transactionTimeout().toMillis()));
    }
    KafkaSinkBuilder<T> builder =
        KafkaSink.<T>builder()
            .setBootstrapServers(settings.bootstrapServers())
            .setDeliveryGuarantee(settings.deliveryGuarantee().connector())
            .setKafkaProducerConfig(producer)
            .setRecordSerializer(serializer);
    if (exactlyOnce) {
      // Stable across restarts (the prefix is fixed per job and sink); POOLING reuses a few
      // transactional ids per subtask instead of one new id per checkpoint, which the broker
      // would keep for transactional.id.expiration.ms (7 days).
      builder
          .setTransactionalIdPrefix(settings.transactionalIdPrefix() + "-" + name)
          .setTransactionNamingStrategy(TransactionNamingStrategy.POOLING);
    }
    return builder.build();
  }
}
