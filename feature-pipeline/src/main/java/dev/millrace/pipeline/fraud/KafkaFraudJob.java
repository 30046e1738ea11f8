package dev.millrace.pipeline.fraud;

import dev.millrace.pipeline.AvroRecordSerializer;
import dev.millrace.pipeline.DeadLetterSerializer;
import dev.millrace.pipeline.DeliveryGuarantee;
import dev.millrace.pipeline.KafkaJobSettings;
import dev.millrace.pipeline.KafkaJobs;
import dev.millrace.pipeline.StateBackendChoice;
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
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.ParameterTool;
import org.apache.flink.util.TimeUtils;
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
    return KafkaJobs.loader(settings.kafkaJob());
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
    KafkaJobSettings kafka = settings.kafkaJob();
    KafkaJobs.configure(env, kafka);
    TopicRegistry topics = settings.topics();
    FraudPipeline.build(
        env,
        KafkaJobs.source(
            kafka, topics.fraudEvents().name(), "events", FraudPipeline.eventParser(settings)),
        KafkaJobs.source(
            kafka, topics.fraudLabels().name(), "labels", FraudPipeline.labelParser(settings)),
        KafkaJobs.modelSource(kafka),
        KafkaJobs.sink(
            kafka,
            "scores",
            new AvroRecordSerializer<>(
                topics.scores(Task.FRAUD).name(), ScoreRecord.class, ScoreRecord::getEntityId)),
        KafkaJobs.sink(
            kafka,
            "training",
            new AvroRecordSerializer<>(
                topics.training(Task.FRAUD).name(),
                TrainingExample.class,
                TrainingExample::getEntityId)),
        KafkaJobs.sink(kafka, "dlq", new DeadLetterSerializer(topics.dlq(Task.FRAUD).name())),
        KafkaJobs.sink(
            kafka,
            "quality",
            new AvroRecordSerializer<>(
                topics.quality(Task.FRAUD).name(),
                ModelQuality.class,
                ModelQuality::getModelVersion)),
        KafkaJobs.sink(
            kafka,
            "control",
            new AvroRecordSerializer<>(
                topics.control().name(),
                RetrainRequest.class,
                r -> TopicRegistry.taskName(r.getTask()))),
        loader,
        settings);
  }

  /**
   * The job's state, checkpoint and restart configuration: {@link KafkaJobs#faultTolerance}, as for
   * every task's job.
   */
  public static Configuration faultTolerance(FraudPipelineSettings settings) {
    return KafkaJobs.faultTolerance(settings.kafkaJob());
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
   * {@code --terminal-order true|false} (adds the {@link TerminalOrder} operator), {@code
   * --label-idleness}, {@code --max-ahead-of-stream}, {@code --delivery-guarantee
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
        .terminalOrder(p.getBoolean("terminal-order", d.terminalOrder()))
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
}
