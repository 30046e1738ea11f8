package dev.millrace.pipeline.fraud;

import dev.millrace.pipeline.DeadLetters;
import dev.millrace.pipeline.RawRecord;
import dev.millrace.pipeline.monitoring.BroadcastWatermarks;
import dev.millrace.pipeline.monitoring.DriftBinning;
import dev.millrace.pipeline.monitoring.DriftCounts;
import dev.millrace.pipeline.monitoring.DriftMonitor;
import dev.millrace.pipeline.monitoring.PrequentialQuality;
import dev.millrace.pipeline.monitoring.ToDriftSample;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelQuality;
import dev.millrace.schemas.RetrainRequest;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.ScoredFeatures;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.schemas.fraud.FraudLabel;
import dev.millrace.schemas.fraud.FraudTransaction;
import dev.millrace.scorer.ModelLoader;
import dev.millrace.scorer.flink.Scoring;
import java.time.Clock;
import java.util.Set;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.OutputTag;

/**
 * The fraud job as one chain, with its sources and sinks passed in: tests pass bounded sources and
 * collecting sinks, {@link KafkaFraudJob} passes Kafka.
 *
 * <pre>
 * events (bytes) → decode + validate ──(bad)──────────────────────────────────────┐
 *   → watermarks (valid records only) → keyBy customer → CustomerFeatures          │
 *   → keyBy terminal ⋈ labels by terminal → TerminalFeatures → FeatureVector       │
 *   → Scoring (scorer's operator, models broadcast) → ScoredFeatures               │
 *       ├→ ScoreRecord → scores                                                    │
 *       ├→ DriftSample → DriftBinning ⋈ models → keyBy task → DriftMonitor → control  │
 *       └→ keyBy event id ⋈ labels by transaction id → LabelJoin → training        │
 *            └→ keyBy model version → PrequentialQuality → quality                 │
 * labels (bytes) → decode + validate ──(bad)────────────────────────────────────┴→ dead letters
 * </pre>
 */
public final class FraudPipeline {

  /** Operator uids; stable, since savepoints find their state by them. */
  public static final String UID_EVENTS_SOURCE = "fraud-events-source";

  public static final String UID_LABELS_SOURCE = "fraud-labels-source";
  public static final String UID_MODELS_SOURCE = "fraud-models-source";
  public static final String UID_PARSE_EVENTS = "fraud-parse-events";
  public static final String UID_PARSE_LABELS = "fraud-parse-labels";
  public static final String UID_EVENT_WATERMARKS = "fraud-event-watermarks";
  public static final String UID_LABEL_WATERMARKS = "fraud-label-watermarks";
  public static final String UID_CUSTOMER_FEATURES = "fraud-customer-features";
  public static final String UID_TERMINAL_FEATURES = "fraud-terminal-features";
  public static final String UID_SCORE_RECORDS = "fraud-score-records";
  public static final String UID_LABEL_JOIN = "fraud-label-join";
  public static final String UID_SCORES_SINK = "fraud-scores-sink";
  public static final String UID_TRAINING_SINK = "fraud-training-sink";
  public static final String UID_DLQ_SINK = "fraud-dlq-sink";
  public static final String UID_PREQUENTIAL_QUALITY = "fraud-prequential-quality";
  public static final String UID_QUALITY_SINK = "fraud-quality-sink";
  public static final String UID_MODEL_WATERMARKS = "fraud-model-watermarks";
  public static final String UID_DRIFT_MONITOR = "fraud-drift-monitor";
  public static final String UID_DRIFT_SAMPLES = "fraud-drift-samples";
  public static final String UID_DRIFT_BINNING = "fraud-drift-binning";
  public static final String UID_CONTROL_SINK = "fraud-control-sink";

  /**
   * Features whose drift is measured and reported but never requests a retrain: the weekend flag of
   * a one-day window is all 0 or all 1, never the multi-day mix of the training data.
   */
  public static final Set<String> DRIFT_NOT_TRIGGERING = Set.of("TX_DURING_WEEKEND");

  private static final String TASK_KEY = "fraud";

  /** Side output of rejected transactions. */
  public static final OutputTag<DeadLetter> EVENT_DEAD_LETTERS =
      DeadLetters.tag("fraud-events-dlq");

  /** Side output of rejected labels. */
  public static final OutputTag<DeadLetter> LABEL_DEAD_LETTERS =
      DeadLetters.tag("fraud-labels-dlq");

  private FraudPipeline() {}

  /**
   * Adds the fraud job to {@code env}.
   *
   * @param events raw {@code fraud.events} records (Avro {@code FraudTransaction} bytes)
   * @param labels raw {@code fraud.labels} records (Avro {@code FraudLabel} bytes)
   * @param models model announcements (no watermarks needed: they never hold back event time)
   * @param scores one score per accepted transaction
   * @param training one matured training example per accepted transaction
   * @param deadLetters every rejected event or label, with the reason
   * @param loader loads announced models inside the scoring operator
   */
  public static void build(
      StreamExecutionEnvironment env,
      Source<RawRecord, ?, ?> events,
      Source<RawRecord, ?, ?> labels,
      Source<ModelAnnouncement, ?, ?> models,
      Sink<ScoreRecord> scores,
      Sink<TrainingExample> training,
      Sink<DeadLetter> deadLetters,
      ModelLoader loader,
      FraudPipelineSettings settings) {
    build(env, events, labels, models, scores, training, deadLetters, null, null, loader, settings);
  }

  /**
   * Adds the fraud job to {@code env}, with its monitoring outputs.
   *
   * @param quality prequential quality per model version ({@code fraud.quality}); null: only the
   *     gauges report it
   * @param control early-retrain requests on drift ({@code millrace.control}); null: only the
   *     gauges report drift
   * @see #build(StreamExecutionEnvironment, Source, Source, Source, Sink, Sink, Sink, ModelLoader,
   *     FraudPipelineSettings)
   */
  public static void build(
      StreamExecutionEnvironment env,
      Source<RawRecord, ?, ?> events,
      Source<RawRecord, ?, ?> labels,
      Source<ModelAnnouncement, ?, ?> models,
      Sink<ScoreRecord> scores,
      Sink<TrainingExample> training,
      Sink<DeadLetter> deadLetters,
      Sink<ModelQuality> quality,
      Sink<RetrainRequest> control,
      ModelLoader loader,
      FraudPipelineSettings settings) {
    env.setParallelism(settings.parallelism());
    Clock clock = Clock.systemUTC();
    long lateness = settings.allowedLateness().toMillis();

    SingleOutputStreamOperator<FraudTransaction> parsedEvents =
        env.fromSource(events, WatermarkStrategy.noWatermarks(), "fraud.events")
            .uid(UID_EVENTS_SOURCE)
            .process(new ParseTransactions(settings.validation(), EVENT_DEAD_LETTERS, clock))
            .uid(UID_PARSE_EVENTS)
            .name("Decode + validate transactions");
    SingleOutputStreamOperator<FraudLabel> parsedLabels =
        env.fromSource(labels, WatermarkStrategy.noWatermarks(), "fraud.labels")
            .uid(UID_LABELS_SOURCE)
            .process(new ParseLabels(LABEL_DEAD_LETTERS, clock))
            .uid(UID_PARSE_LABELS)
            .name("Decode + validate labels");

    // Watermarks come from valid records only: poison never moves event time.
    DataStream<FraudTransaction> transactions =
        parsedEvents
            .assignTimestampsAndWatermarks(
                WatermarkStrategy.<FraudTransaction>forBoundedOutOfOrderness(
                        settings.outOfOrderness())
                    .withTimestampAssigner((tx, ts) -> tx.getEventTime().toEpochMilli())
                    .withIdleness(settings.idleness()))
            .uid(UID_EVENT_WATERMARKS)
            .name("Transaction event time");
    DataStream<FraudLabel> fraudLabels =
        parsedLabels
            .assignTimestampsAndWatermarks(
                WatermarkStrategy.<FraudLabel>forBoundedOutOfOrderness(settings.outOfOrderness())
                    .withTimestampAssigner((label, ts) -> label.getLabelTime().toEpochMilli())
                    .withIdleness(settings.idleness()))
            .uid(UID_LABEL_WATERMARKS)
            .name("Label event time");

    DataStream<FeatureVector> features =
        transactions
            .keyBy(FraudTransaction::getCustomerId, Types.STRING)
            .process(new CustomerFeatures(lateness))
            .uid(UID_CUSTOMER_FEATURES)
            .name("Customer features")
            .keyBy(v -> v.getAttributes().get(CustomerFeatures.TERMINAL_ID), Types.STRING)
            .connect(fraudLabels.keyBy(FraudLabel::getTerminalId, Types.STRING))
            .process(new TerminalFeatures(lateness))
            .uid(UID_TERMINAL_FEATURES)
            .name("Terminal features");

    DataStream<ModelAnnouncement> announcements =
        env.fromSource(models, WatermarkStrategy.noWatermarks(), "millrace.models")
            .uid(UID_MODELS_SOURCE);
    SingleOutputStreamOperator<ScoredFeatures> scored =
        Scoring.score(features, announcements, settings.scoring(), loader, FraudFeatures.SCHEMA);

    scored
        .map(new ToScoreRecord())
        .uid(UID_SCORE_RECORDS)
        .name("Score records")
        .sinkTo(scores)
        .uid(UID_SCORES_SINK)
        .name("fraud.scores");

    // Drift: every vector binned where it was scored (DriftBinning, in each parallel instance);
    // one record per slide and instance meets at the single-key DriftMonitor.
    DataStream<ModelAnnouncement> announcementTimes =
        announcements
            .assignTimestampsAndWatermarks(new BroadcastWatermarks<>())
            .uid(UID_MODEL_WATERMARKS)
            .name("Model announcements never hold back event time");
    SingleOutputStreamOperator<DriftCounts> driftCounts =
        scored
            .map(new ToDriftSample())
            .uid(UID_DRIFT_SAMPLES)
            .name("Drift samples")
            .connect(announcementTimes.broadcast())
            .transform(
                "Drift bins per slide",
                TypeInformation.of(DriftCounts.class),
                new DriftBinning(Task.FRAUD, FraudFeatures.SCHEMA.names(), settings.monitoring()))
            .uid(UID_DRIFT_BINNING);
    SingleOutputStreamOperator<RetrainRequest> retrainRequests =
        driftCounts
            .keyBy(c -> TASK_KEY, Types.STRING)
            .connect(announcementTimes.broadcast(DriftMonitor.REFERENCES))
            .process(
                new DriftMonitor(
                    Task.FRAUD,
                    FraudFeatures.SCHEMA.names(),
                    settings.monitoring(),
                    DRIFT_NOT_TRIGGERING,
                    clock))
            .uid(UID_DRIFT_MONITOR)
            .name("Drift monitor");
    if (control != null) {
      retrainRequests.sinkTo(control).uid(UID_CONTROL_SINK).name("millrace.control");
    } else {
      retrainRequests.sinkTo(new DiscardingSink<>()).uid(UID_CONTROL_SINK).name("discard requests");
    }

    SingleOutputStreamOperator<TrainingExample> examples =
        scored
            .keyBy(s -> s.getVector().getEventId(), Types.STRING)
            .connect(fraudLabels.keyBy(l -> Long.toString(l.getTransactionId()), Types.STRING))
            .process(
                new LabelJoin(settings.labelDelay().toMillis(), settings.labelGrace().toMillis()))
            .uid(UID_LABEL_JOIN)
            .name("Label join");
    examples.sinkTo(training).uid(UID_TRAINING_SINK).name("fraud.training");

    SingleOutputStreamOperator<ModelQuality> qualityRecords =
        examples
            .keyBy(TrainingExample::getModelVersion, Types.STRING)
            .process(
                new PrequentialQuality(
                    Task.FRAUD,
                    PrequentialQuality.Kind.CLASSIFICATION,
                    settings.monitoring(),
                    clock))
            .uid(UID_PREQUENTIAL_QUALITY)
            .name("Prequential quality");
    if (quality != null) {
      qualityRecords.sinkTo(quality).uid(UID_QUALITY_SINK).name("fraud.quality");
    } else {
      qualityRecords.sinkTo(new DiscardingSink<>()).uid(UID_QUALITY_SINK).name("discard quality");
    }

    parsedEvents
        .getSideOutput(EVENT_DEAD_LETTERS)
        .union(parsedLabels.getSideOutput(LABEL_DEAD_LETTERS))
        .sinkTo(deadLetters)
        .uid(UID_DLQ_SINK)
        .name("fraud.dlq");
  }
}
