package dev.millrace.pipeline.fraud;

import dev.millrace.ingest.ValidationRules;
import dev.millrace.pipeline.Checkpoints;
import dev.millrace.pipeline.DeliveryGuarantee;
import dev.millrace.pipeline.DurationChecks;
import dev.millrace.pipeline.KafkaJobSettings;
import dev.millrace.pipeline.StateBackendChoice;
import dev.millrace.pipeline.monitoring.MonitoringSettings;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.scorer.DeviceChoice;
import dev.millrace.scorer.flink.ScoringSettings;
import dev.millrace.scorer.model.ModelSigning;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the fraud job is configured with, parsed once (see {@link KafkaFraudJob#settings}).
 *
 * <pre>{@code
 * FraudPipelineSettings s = FraudPipelineSettings.builder("localhost:9092")
 *     .topics(TopicRegistry.namespaced("demo"))
 *     .parallelism(2)
 *     .build();
 * }</pre>
 *
 * @param topics topic names (standard or namespaced)
 * @param bootstrapServers Kafka bootstrap servers (only {@link KafkaFraudJob} needs them)
 * @param consumerGroupId group id of the Kafka sources (offsets are also kept in checkpoints)
 * @param transactionalIdPrefix prefix of the transactional ids of the exactly-once sinks; unique
 *     per job on a Kafka cluster
 * @param parallelism default parallelism of the job
 * @param checkpointInterval exactly-once checkpoints; output becomes visible to read_committed
 *     readers when a checkpoint completes
 * @param transactionTimeout Kafka {@code transaction.timeout.ms} of the sinks: above the checkpoint
 *     interval plus restart time, at most 15 minutes (the broker's default maximum)
 * @param outOfOrderness bounded out-of-orderness of event time
 * @param idleness a split of the events topic without valid records for this long (wall clock)
 *     stops holding back event time
 * @param allowedLateness how far behind the newest transaction of a customer or terminal a late one
 *     still gets exact windows (extra feature-state retention)
 * @param labelDelay how long after a transaction its fraud label may take (the handbook: 7 days)
 * @param labelGrace extra event time the label join waits before declaring "no label = genuine"
 * @param scoring micro-batching and fallback of the scoring operator
 * @param validation the time bounds of accepted events
 * @param stopAtLatestOffsets read the input topics up to the offsets that are latest at start and
 *     then finish (tests, one-off replays); false runs forever
 * @param monitoring prequential quality and drift settings
 * @param labelIdleness a split of the labels topic without labels for this long (wall clock) stops
 *     holding back event time. Long on purpose: while the labels side is not idle, the label join
 *     only declares "no label = genuine" once the labels' own event time has passed the maturity,
 *     so no label is lost to replay speed, backlog or which topic is read first. A label can be
 *     late only if its labels split had nothing for longer than this while events kept flowing (see
 *     {@link LabelJoin}); until the first labels arrive, or after they pause this long, the label
 *     join, the terminal features' cleanup and the drift windows wait at most this long
 * @param maxAheadOfStream a transaction more than this ahead of the newest accepted event time of
 *     its partition, plus the wall-clock time since that one was accepted, goes to the dead letters
 *     and never moves the watermark (see {@link dev.millrace.pipeline.AvroParser}; labels, which
 *     are sparse, are bounded by the wall clock only, see {@link ParseLabels})
 * @param deliveryGuarantee what the Kafka sinks promise: {@link DeliveryGuarantee#EXACTLY_ONCE}
 *     (transactions committed at each checkpoint, the default) or {@link
 *     DeliveryGuarantee#AT_LEAST_ONCE} (plain producers flushed at each checkpoint: output is
 *     visible at once, and a recovery may write some of it twice)
 * @param stateBackend where keyed state lives between checkpoints: RocksDB (on disk, incremental
 *     checkpoints; the default, since a week of pending labels outgrows a heap) or the heap
 * @param checkpointDir URI of the checkpoint storage ({@code file:///...}, {@code s3://...}); null
 *     leaves it to the Flink cluster's configuration ({@code execution.checkpointing.dir})
 * @param checkpointTimeout a checkpoint that takes longer is declined; below the transaction
 *     timeout, so that a transaction never expires before its checkpoint can commit it
 * @param minPauseBetweenCheckpoints the least time between the end of one checkpoint and the start
 *     of the next (one checkpoint at a time)
 * @param restartAttempts failovers in a row (without a stable period in between) after which the
 *     job fails instead of restarting again; restarts back off exponentially
 * @param restartMaxDelay the longest back-off between two restarts
 * @param device where the scoring operator runs models ({@code --device auto|cpu|gpu})
 * @param modelVerifier the public key every model bundle must be signed with ({@code
 *     <bundle>.sig}); an unsigned or wrongly signed bundle is refused. Null: signatures are not
 *     checked ({@code --model-public-key})
 * @param kafkaProperties client properties merged into every Kafka source and sink of the job (e.g.
 *     SASL_SSL security from {@code --kafka-config}); the job's own settings win
 * @param terminalOrder hold each transaction until the events' watermark reaches its delayed
 *     terminal windows ({@link TerminalOrder}), so that the terminal features do not depend on
 *     which partition is read first; on in {@code millrace backtest}, off by default (see the
 *     README: with idle events and labels ahead it delayed scored events past their labels'
 *     maturity)
 */
public record FraudPipelineSettings(
    TopicRegistry topics,
    String bootstrapServers,
    String consumerGroupId,
    String transactionalIdPrefix,
    int parallelism,
    Duration checkpointInterval,
    Duration transactionTimeout,
    Duration outOfOrderness,
    Duration idleness,
    Duration allowedLateness,
    Duration labelDelay,
    Duration labelGrace,
    ScoringSettings scoring,
    ValidationRules validation,
    boolean stopAtLatestOffsets,
    MonitoringSettings monitoring,
    Duration labelIdleness,
    Duration maxAheadOfStream,
    DeliveryGuarantee deliveryGuarantee,
    StateBackendChoice stateBackend,
    String checkpointDir,
    Duration checkpointTimeout,
    Duration minPauseBetweenCheckpoints,
    int restartAttempts,
    Duration restartMaxDelay,
    DeviceChoice device,
    ModelSigning.Verifier modelVerifier,
    Map<String, String> kafkaProperties,
    boolean terminalOrder) {

  /** The broker's default {@code transaction.max.timeout.ms}. */
  public static final Duration MAX_TRANSACTION_TIMEOUT = KafkaJobSettings.MAX_TRANSACTION_TIMEOUT;

  /** The checkpoint timeout unless set (or half the transaction timeout when that is shorter). */
  public static final Duration DEFAULT_CHECKPOINT_TIMEOUT = Duration.ofMinutes(3);

  public FraudPipelineSettings {
    Objects.requireNonNull(topics, "topics");
    kafkaProperties = Map.copyOf(kafkaProperties);
    DurationChecks.notNegative(outOfOrderness, "outOfOrderness");
    DurationChecks.positive(idleness, "idleness");
    DurationChecks.notNegative(allowedLateness, "allowedLateness");
    DurationChecks.positive(labelDelay, "labelDelay");
    DurationChecks.notNegative(labelGrace, "labelGrace");
    Objects.requireNonNull(scoring, "scoring");
    Objects.requireNonNull(validation, "validation");
    Objects.requireNonNull(monitoring, "monitoring");
    DurationChecks.positive(labelIdleness, "labelIdleness");
    DurationChecks.positive(maxAheadOfStream, "maxAheadOfStream");
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be at least 1, got " + parallelism);
    }
    if (scoring.task() != Task.FRAUD) {
      throw new IllegalArgumentException("the fraud job needs fraud scoring settings");
    }
    // The Kafka, checkpoint and restart settings are checked as every task's job checks them.
    new KafkaJobSettings(
        topics,
        bootstrapServers,
        consumerGroupId,
        transactionalIdPrefix,
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

  /** The Kafka, checkpoint and restart part of these settings, as every task's job takes it. */
  public KafkaJobSettings kafkaJob() {
    return new KafkaJobSettings(
        topics,
        bootstrapServers,
        consumerGroupId,
        transactionalIdPrefix,
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

  /**
   * Defaults: standard topics, parallelism 1, 10 s checkpoints (3 min timeout, 1 s pause), 15 min
   * transactions, RocksDB state, checkpoint storage from the cluster, 8 restarts, 7-day label
   * delay.
   */
  public static Builder builder(String bootstrapServers) {
    return new Builder(bootstrapServers);
  }

  public Builder toBuilder() {
    Builder b = new Builder(bootstrapServers);
    b.topics = topics;
    b.consumerGroupId = consumerGroupId;
    b.transactionalIdPrefix = transactionalIdPrefix;
    b.parallelism = parallelism;
    b.checkpointInterval = checkpointInterval;
    b.transactionTimeout = transactionTimeout;
    b.outOfOrderness = outOfOrderness;
    b.idleness = idleness;
    b.allowedLateness = allowedLateness;
    b.labelDelay = labelDelay;
    b.labelGrace = labelGrace;
    b.scoring = scoring;
    b.validation = validation;
    b.stopAtLatestOffsets = stopAtLatestOffsets;
    b.monitoring = monitoring;
    b.labelIdleness = labelIdleness;
    b.maxAheadOfStream = maxAheadOfStream;
    b.deliveryGuarantee = deliveryGuarantee;
    b.stateBackend = stateBackend;
    b.checkpointDir = checkpointDir;
    b.checkpointTimeout = checkpointTimeout;
    b.minPauseBetweenCheckpoints = minPauseBetweenCheckpoints;
    b.restartAttempts = restartAttempts;
    b.restartMaxDelay = restartMaxDelay;
    b.device = device;
    b.modelVerifier = modelVerifier;
    b.kafkaProperties = kafkaProperties;
    b.terminalOrder = terminalOrder;
    return b;
  }

  /** Builds {@link FraudPipelineSettings}; every value starts at its default. */
  public static final class Builder {
    private final String bootstrapServers;
    private TopicRegistry topics = TopicRegistry.standard();
    private String consumerGroupId = "millrace-fraud-pipeline";
    private String transactionalIdPrefix = "millrace-fraud";
    private int parallelism = 1;
    private Duration checkpointInterval = Duration.ofSeconds(10);
    private Duration transactionTimeout = MAX_TRANSACTION_TIMEOUT;
    private Duration outOfOrderness = Duration.ofSeconds(30);
    private Duration idleness = Duration.ofSeconds(30);
    private Duration allowedLateness = Duration.ofHours(1);
    private Duration labelDelay = FraudFeatures.TERMINAL_DELAY;
    private Duration labelGrace = Duration.ofHours(1);
    private ScoringSettings scoring = ScoringSettings.defaults(Task.FRAUD);
    private ValidationRules validation = ValidationRules.defaults();
    private boolean stopAtLatestOffsets;
    private MonitoringSettings monitoring = MonitoringSettings.defaults();
    private Duration labelIdleness = Duration.ofMinutes(5);
    private Duration maxAheadOfStream = Duration.ofDays(1);
    private DeliveryGuarantee deliveryGuarantee = DeliveryGuarantee.EXACTLY_ONCE;
    private StateBackendChoice stateBackend = StateBackendChoice.ROCKSDB;
    private String checkpointDir;
    private Duration checkpointTimeout; // null: the default below
    private Duration minPauseBetweenCheckpoints = Duration.ofSeconds(1);
    private int restartAttempts = 8;
    private Duration restartMaxDelay = Duration.ofSeconds(30);
    private DeviceChoice device = DeviceChoice.AUTO;
    private ModelSigning.Verifier modelVerifier;
    private Map<String, String> kafkaProperties = Map.of();
    private boolean terminalOrder;

    private Builder(String bootstrapServers) {
      this.bootstrapServers = bootstrapServers;
    }

    public Builder topics(TopicRegistry v) {
      topics = v;
      return this;
    }

    public Builder consumerGroupId(String v) {
      consumerGroupId = v;
      return this;
    }

    public Builder transactionalIdPrefix(String v) {
      transactionalIdPrefix = v;
      return this;
    }

    public Builder parallelism(int v) {
      parallelism = v;
      return this;
    }

    public Builder checkpointInterval(Duration v) {
      checkpointInterval = v;
      return this;
    }

    public Builder transactionTimeout(Duration v) {
      transactionTimeout = v;
      return this;
    }

    public Builder outOfOrderness(Duration v) {
      outOfOrderness = v;
      return this;
    }

    public Builder idleness(Duration v) {
      idleness = v;
      return this;
    }

    public Builder allowedLateness(Duration v) {
      allowedLateness = v;
      return this;
    }

    public Builder labelDelay(Duration v) {
      labelDelay = v;
      return this;
    }

    public Builder labelGrace(Duration v) {
      labelGrace = v;
      return this;
    }

    public Builder scoring(ScoringSettings v) {
      scoring = v;
      return this;
    }

    public Builder validation(ValidationRules v) {
      validation = v;
      return this;
    }

    public Builder monitoring(MonitoringSettings v) {
      monitoring = v;
      return this;
    }

    public Builder deliveryGuarantee(DeliveryGuarantee v) {
      deliveryGuarantee = v;
      return this;
    }

    public Builder stopAtLatestOffsets(boolean v) {
      stopAtLatestOffsets = v;
      return this;
    }

    public Builder labelIdleness(Duration v) {
      labelIdleness = v;
      return this;
    }

    public Builder maxAheadOfStream(Duration v) {
      maxAheadOfStream = v;
      return this;
    }

    /** 3 minutes, or half the transaction timeout when that is shorter. */
    private Duration defaultCheckpointTimeout() {
      Duration half =
          transactionTimeout == null ? DEFAULT_CHECKPOINT_TIMEOUT : transactionTimeout.dividedBy(2);
      return half.compareTo(DEFAULT_CHECKPOINT_TIMEOUT) < 0 ? half : DEFAULT_CHECKPOINT_TIMEOUT;
    }

    public Builder stateBackend(StateBackendChoice v) {
      stateBackend = v;
      return this;
    }

    /** A checkpoint storage URI or local path (made absolute); null leaves it to the cluster. */
    public Builder checkpointDir(String v) {
      checkpointDir = v;
      return this;
    }

    public Builder checkpointTimeout(Duration v) {
      checkpointTimeout = v;
      return this;
    }

    public Builder minPauseBetweenCheckpoints(Duration v) {
      minPauseBetweenCheckpoints = v;
      return this;
    }

    public Builder restartAttempts(int v) {
      restartAttempts = v;
      return this;
    }

    public Builder restartMaxDelay(Duration v) {
      restartMaxDelay = v;
      return this;
    }

    public Builder device(DeviceChoice v) {
      device = v;
      return this;
    }

    /** The public key models must be signed with; null (the default) checks no signatures. */
    public Builder modelVerifier(ModelSigning.Verifier v) {
      modelVerifier = v;
      return this;
    }

    /** Kafka client properties merged into every source and sink (e.g. SASL_SSL security). */
    /** Whether {@link TerminalOrder} holds transactions for their delayed windows. */
    public Builder terminalOrder(boolean v) {
      terminalOrder = v;
      return this;
    }

    public Builder kafkaProperties(Map<String, String> v) {
      kafkaProperties = v;
      return this;
    }

    public FraudPipelineSettings build() {
      return new FraudPipelineSettings(
          topics,
          bootstrapServers,
          consumerGroupId,
          transactionalIdPrefix,
          parallelism,
          checkpointInterval,
          transactionTimeout,
          outOfOrderness,
          idleness,
          allowedLateness,
          labelDelay,
          labelGrace,
          scoring,
          validation,
          stopAtLatestOffsets,
          monitoring,
          labelIdleness,
          maxAheadOfStream,
          deliveryGuarantee,
          stateBackend,
          checkpointDir == null ? null : Checkpoints.storageUri(checkpointDir),
          checkpointTimeout != null ? checkpointTimeout : defaultCheckpointTimeout(),
          minPauseBetweenCheckpoints,
          restartAttempts,
          restartMaxDelay,
          device,
          modelVerifier,
          kafkaProperties,
          terminalOrder);
    }
  }
}
