package dev.millrace.pipeline.fraud;

import dev.millrace.pipeline.AvroParser;
import dev.millrace.pipeline.AvroRecordSerializer;
import dev.millrace.pipeline.AvroValueDeserializer;
import dev.millrace.pipeline.DeadLetterSerializer;
import dev.millrace.pipeline.ParsingDeserializer;
import dev.millrace.pipeline.StateBackendChoice;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelQuality;
import dev.millrace.schemas.RetrainRequest;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.scorer.DeviceChoice;
import dev.millrace.scorer.ModelLoader;
import dev.millrace.scorer.model.DjlModelLoader;
import dev.millrace.scorer.model.ModelSigning;
import java.time.Duration;
import java.util.Map;
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
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.types.Either;
import org.apache.flink.util.ParameterTool;
import org.apache.flink.util.TimeUtils;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fraud job on Kafka: {@link FraudPipeline} with Kafka sources ({@code fraud.events}, {@code
 * fraud.labels} decoded and validated in the source, {@code millrace.models} as announcements) and
 * exactly-once (transactional) Kafka sinks for {@code fraud.scores}, {@code fraud.training}, {@code
 * fraud.quality}, {@code millrace.control} and {@code fraud.dlq}. Checkpointing runs in
 * exactly-once mode; readers use {@code read_committed}. With {@link
 * FraudPipelineSettings#deliveryGuarantee()} at-least-once the sinks are plain producers instead
 * (state stays exactly-once; output may repeat after a recovery).
 *
 * <p>From code (the {@code millrace pipeline} / {@code demo} commands, e2e tests):
 *
 * <pre>{@code
 * FraudPipelineSettings settings = FraudPipelineSettings.builder(broker.bootstrapServers())
 *     .topics(TopicRegistry.namespaced(ns)).build();
 * JobClient job = KafkaFraudJob.start(StreamExecutionEnvironment.getExecutionEnvironment(), settings);
 * ...
 * job.cancel().get();
 * }</pre>
 *
 * <p>On a Flink cluster: {@code flink run -c dev.millrace.pipeline.fraud.KafkaFraudJob job.jar
 * --bootstrap-servers kafka:9092 [--topic-namespace ns] [--parallelism 4] [--checkpoint-interval
 * 10s] ...} (see {@link #settings(String[])}).
 */
public final class KafkaFraudJob {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaFraudJob.class);

  /** The job name. */
  public static final String JOB_NAME = "millrace-fraud";

  private KafkaFraudJob() {}

  public static void main(String[] args) throws Exception {
    FraudPipelineSettings settings = settings(args);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    attach(env, settings, loader(settings));
    env.execute(JOB_NAME);
  }

  /** Attaches the job to {@code env} and starts it without waiting; models load with DJL. */
  public static JobClient start(StreamExecutionEnvironment env, FraudPipelineSettings settings)
      throws Exception {
    return start(env, settings, loader(settings));
  }

  /**
   * The DJL loader the settings ask for: models on {@link FraudPipelineSettings#device()}, signed
   * under {@link FraudPipelineSettings#modelVerifier()} when it is set.
   */
  public static DjlModelLoader loader(FraudPipelineSettings settings) {
    return new DjlModelLoader(
        settings.device(), DjlModelLoader.DEFAULT_MAX_ARTIFACT_BYTES, settings.modelVerifier());
  }

  /** Attaches the job to {@code env} and starts it without waiting. */
  public static JobClient start(
      StreamExecutionEnvironment env, FraudPipelineSettings settings, ModelLoader loader)
      throws Exception {
    attach(env, settings, loader);
    return env.executeAsync(JOB_NAME);
  }

  /**
   * Adds the job with its Kafka sources and sinks and exactly-once checkpointing to {@code env}.
   */
  public static void attach(
      StreamExecutionEnvironment env, FraudPipelineSettings settings, ModelLoader loader) {
    if (settings.bootstrapServers() == null || settings.bootstrapServers().isBlank()) {
      throw new IllegalArgumentException("the fraud job needs Kafka bootstrap servers");
    }
    Configuration faultTolerance = faultTolerance(settings);
    if (settings.checkpointDir() == null
        && env.getConfiguration()
            .getOptional(CheckpointingOptions.CHECKPOINTS_DIRECTORY)
            .isEmpty()) {
      // No checkpoint folder anywhere: checkpoints go to JobManager memory (5 MB at most, tests
      // only), where RocksDB's incremental uploads fail ("streamStateHandle cannot be null").
      faultTolerance.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, false);
    }
    env.configure(faultTolerance);
    TopicRegistry topics = settings.topics();
    FraudPipeline.build(
        env,
        source(
            settings, topics.fraudEvents().name(), "events", FraudPipeline.eventParser(settings)),
        source(
            settings, topics.fraudLabels().name(), "labels", FraudPipeline.labelParser(settings)),
        modelSource(settings),
        sink(
            settings,
            "scores",
            new AvroRecordSerializer<>(
                topics.scores(Task.FRAUD).name(), ScoreRecord.class, ScoreRecord::getEntityId)),
        sink(
            settings,
            "training",
            new AvroRecordSerializer<>(
                topics.training(Task.FRAUD).name(),
                TrainingExample.class,
                TrainingExample::getEntityId)),
        sink(settings, "dlq", new DeadLetterSerializer(topics.dlq(Task.FRAUD).name())),
        sink(
            settings,
            "quality",
            new AvroRecordSerializer<>(
                topics.quality(Task.FRAUD).name(),
                ModelQuality.class,
                ModelQuality::getModelVersion)),
        sink(
            settings,
            "control",
            new AvroRecordSerializer<>(
                topics.control().name(),
                RetrainRequest.class,
                r -> TopicRegistry.taskName(r.getTask()))),
        loader,
        settings);
  }

  /**
   * The job's state, checkpoint and restart configuration, as the Kafka connector asks for
   * exactly-once: exactly-once checkpoints, one at a time with a minimum pause, a checkpoint
   * timeout below the transaction timeout; RocksDB (or heap) state with incremental checkpoints,
   * retained when the job is cancelled so that a later start can resume from them;
   * exponential-delay restarts that give up after {@link FraudPipelineSettings#restartAttempts}
   * failovers in a row. Applied to the job itself, so it holds on a Flink cluster as on a local
   * MiniCluster.
   */
  public static Configuration faultTolerance(FraudPipelineSettings settings) {
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
   * Parses command-line arguments into settings. {@code --bootstrap-servers} is required; the rest
   * default as in {@link FraudPipelineSettings#builder}: {@code --topic-namespace}, {@code
   * --parallelism}, {@code --group-id}, {@code --transactional-id-prefix}, {@code
   * --checkpoint-interval}, {@code --transaction-timeout}, {@code --out-of-orderness}, {@code
   * --idleness}, {@code --allowed-lateness}, {@code --label-delay}, {@code --label-grace}, {@code
   * --batch-size}, {@code --batch-max-wait}, {@code --quality-window}, {@code --quality-every},
   * {@code --quality-idle-timeout}, {@code --drift-window}, {@code --drift-slide}, {@code
   * --drift-min-examples}, {@code --drift-threshold}, {@code --drift-cooldown}, {@code --bounded},
   * {@code --label-idleness}, {@code --max-ahead-of-stream}, {@code --delivery-guarantee
   * exactly-once|at-least-once} (durations like {@code 10s}, {@code 5 min}, {@code 7d}). {@code
   * --state-backend rocksdb|hashmap}, {@code --checkpoint-dir URI} (e.g. {@code
   * s3://bucket/millrace/checkpoints}, {@code file:///data/checkpoints}; default: the cluster's
   * {@code execution.checkpointing.dir}), {@code --checkpoint-timeout}, {@code
   * --min-pause-between-checkpoints}, {@code --restart-attempts}, {@code --restart-max-delay},
   * {@code --device auto|cpu|gpu} (durations like {@code 10s}, {@code 5 min}, {@code 7d}), {@code
   * --model-public-key BASE64} (the one line between the {@code BEGIN} and {@code END} lines of the
   * PEM public key: only models signed with its private key are applied). Resume with {@code flink
   * run -s <checkpoint-dir>/<job id>/chk-<n>}. {@code --device auto|cpu|gpu}, {@code --kafka-config
   * FILE} (Kafka client properties merged into every source and sink, e.g. {@code
   * security.protocol=SASL_SSL}) (durations like {@code 10s}, {@code 5 min}, {@code 7d}). Resume
   * with {@code flink run -s <checkpoint-dir>/<job id>/chk-<n>}.
   */
  public static FraudPipelineSettings settings(String[] args) {
    ParameterTool p = ParameterTool.fromArgs(args);
    String bootstrap = p.get("bootstrap-servers");
    if (bootstrap == null || bootstrap.isBlank()) {
      throw new IllegalArgumentException("--bootstrap-servers is required");
    }
    FraudPipelineSettings.Builder b = FraudPipelineSettings.builder(bootstrap);
    FraudPipelineSettings d = b.build();
    return b.topics(TopicRegistry.namespaced(p.get("topic-namespace", "")))
        .parallelism(p.getInt("parallelism", d.parallelism()))
        .consumerGroupId(p.get("group-id", d.consumerGroupId()))
        .transactionalIdPrefix(p.get("transactional-id-prefix", d.transactionalIdPrefix()))
        .checkpointInterval(duration(p, "checkpoint-interval", d.checkpointInterval()))
        .transactionTimeout(duration(p, "transaction-timeout", d.transactionTimeout()))
        .outOfOrderness(duration(p, "out-of-orderness", d.outOfOrderness()))
        .idleness(duration(p, "idleness", d.idleness()))
        .allowedLateness(duration(p, "allowed-lateness", d.allowedLateness()))
        .labelDelay(duration(p, "label-delay", d.labelDelay()))
        .labelGrace(duration(p, "label-grace", d.labelGrace()))
        .scoring(
            d.scoring()
                .withBatchSize(p.getInt("batch-size", d.scoring().batchSize()))
                .withMaxWait(duration(p, "batch-max-wait", d.scoring().maxWait())))
        .monitoring(
            d.monitoring()
                .withQuality(
                    p.getInt("quality-window", d.monitoring().qualityWindow()),
                    p.getInt("quality-every", d.monitoring().qualityEvery()),
                    duration(p, "quality-idle-timeout", d.monitoring().qualityIdleTimeout()))
                .withDrift(
                    duration(p, "drift-window", d.monitoring().driftWindow()),
                    duration(p, "drift-slide", d.monitoring().driftSlide()),
                    p.getInt("drift-min-examples", d.monitoring().driftMinExamples()),
                    p.getDouble("drift-threshold", d.monitoring().driftThreshold()),
                    duration(p, "drift-cooldown", d.monitoring().driftCooldown())))
        .stopAtLatestOffsets(p.getBoolean("bounded", false))
        .labelIdleness(duration(p, "label-idleness", d.labelIdleness()))
        .maxAheadOfStream(duration(p, "max-ahead-of-stream", d.maxAheadOfStream()))
        .deliveryGuarantee(
            p.has("delivery-guarantee")
                ? DeliveryGuarantee.parse(p.get("delivery-guarantee"))
                : d.deliveryGuarantee())
        .stateBackend(
            StateBackendChoice.parse(p.get("state-backend", d.stateBackend().flinkName())))
        .checkpointDir(p.get("checkpoint-dir", d.checkpointDir()))
        // Unset, it follows the transaction timeout (half of a short one), not the default's.
        .checkpointTimeout(
            p.has("checkpoint-timeout")
                ? duration(p, "checkpoint-timeout", d.checkpointTimeout())
                : null)
        .minPauseBetweenCheckpoints(
            duration(p, "min-pause-between-checkpoints", d.minPauseBetweenCheckpoints()))
        .restartAttempts(p.getInt("restart-attempts", d.restartAttempts()))
        .restartMaxDelay(duration(p, "restart-max-delay", d.restartMaxDelay()))
        .device(p.has("device") ? DeviceChoice.parse(p.get("device")) : d.device())
        .modelVerifier(modelVerifier(p.get("model-public-key")))
        .kafkaProperties(p.has("kafka-config") ? loadKafkaConfig(p.get("kafka-config")) : Map.of())
        .build();
  }

  private static ModelSigning.Verifier modelVerifier(String base64) {
    if (base64 == null) {
      return null;
    }
    if (base64.isBlank() || base64.equals("__NO_VALUE_KEY")) {
      throw new IllegalArgumentException(
          "--model-public-key needs the Base64 of the public key (the line between BEGIN and END"
              + " in the .pub file)");
    }
    try {
      return ModelSigning.Verifier.fromBase64(base64);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("--model-public-key: " + e.getMessage(), e);
    }
  }

  private static Duration duration(ParameterTool p, String name, Duration fallback) {
    String value = p.get(name);
    if (value == null) {
      return fallback;
    }
    try {
      return TimeUtils.parseDuration(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--" + name + ": '" + value + "' is not a duration (e.g. 10s, 5 min, 7d)", e);
    }
  }

  /**
   * A Kafka source that decodes and validates each record once ({@link ParsingDeserializer}), so
   * that the per-split watermarks {@link FraudPipeline} puts on it come from valid records only.
   */
  static <T extends SpecificRecord> Source<Either<T, DeadLetter>, ?, ?> source(
      FraudPipelineSettings settings, String topic, String name, AvroParser<T> parser) {
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

  static Source<ModelAnnouncement, ?, ?> modelSource(FraudPipelineSettings settings) {
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
  private static Properties kafkaProperties(FraudPipelineSettings settings) {
    Properties p = new Properties();
    p.putAll(settings.kafkaProperties());
    return p;
  }

  /** A Kafka client properties file ({@code --kafka-config}) as a map. */
  static Map<String, String> loadKafkaConfig(String file) {
    Properties p = new Properties();
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(java.nio.file.Path.of(file))) {
      p.load(in);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(
          "--kafka-config: cannot read " + file + ": " + e.getMessage(), e);
    }
    Map<String, String> m = new java.util.TreeMap<>();
    p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
    return m;
  }

  static <T> KafkaSink<T> sink(
      FraudPipelineSettings settings, String name, KafkaRecordSerializationSchema<T> serializer) {
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
