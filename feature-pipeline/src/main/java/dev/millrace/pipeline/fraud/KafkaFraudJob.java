package dev.millrace.pipeline.fraud;

import dev.millrace.pipeline.AvroParser;
import dev.millrace.pipeline.AvroRecordSerializer;
import dev.millrace.pipeline.AvroValueDeserializer;
import dev.millrace.pipeline.DeadLetterSerializer;
import dev.millrace.pipeline.ParsingDeserializer;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelQuality;
import dev.millrace.schemas.RetrainRequest;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.scorer.ModelLoader;
import dev.millrace.scorer.model.DjlModelLoader;
import java.time.Duration;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaSinkBuilder;
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

  /** The job name. */
  public static final String JOB_NAME = "millrace-fraud";

  private KafkaFraudJob() {}

  public static void main(String[] args) throws Exception {
    FraudPipelineSettings settings = settings(args);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    attach(env, settings, new DjlModelLoader());
    env.execute(JOB_NAME);
  }

  /** Attaches the job to {@code env} and starts it without waiting; models load with DJL. */
  public static JobClient start(StreamExecutionEnvironment env, FraudPipelineSettings settings)
      throws Exception {
    return start(env, settings, new DjlModelLoader());
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
    env.enableCheckpointing(
        settings.checkpointInterval().toMillis(), CheckpointingMode.EXACTLY_ONCE);
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
   * Parses command-line arguments into settings. {@code --bootstrap-servers} is required; the rest
   * default as in {@link FraudPipelineSettings#builder}: {@code --topic-namespace}, {@code
   * --parallelism}, {@code --group-id}, {@code --transactional-id-prefix}, {@code
   * --checkpoint-interval}, {@code --transaction-timeout}, {@code --out-of-orderness}, {@code
   * --idleness}, {@code --allowed-lateness}, {@code --label-delay}, {@code --label-grace}, {@code
   * --batch-size}, {@code --batch-max-wait}, {@code --quality-window}, {@code --quality-every},
   * {@code --quality-idle-timeout}, {@code --drift-window}, {@code --drift-slide}, {@code
   * --drift-min-examples}, {@code --drift-threshold}, {@code --drift-cooldown}, {@code --bounded},
   * {@code --label-idleness}, {@code --max-ahead-of-stream}, {@code --delivery-guarantee
   * exactly-once|at-least-once} (durations like {@code 10s}, {@code 5 min}, {@code 7d}).
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
        .build();
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

  static <T> KafkaSink<T> sink(
      FraudPipelineSettings settings, String name, KafkaRecordSerializationSchema<T> serializer) {
    Properties producer = new Properties();
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
      builder.setTransactionalIdPrefix(settings.transactionalIdPrefix() + "-" + name);
    }
    return builder.build();
  }
}
