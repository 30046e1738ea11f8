package dev.millrace.pipeline.fraud;

import dev.millrace.pipeline.DeadLetters;
import dev.millrace.pipeline.ParsedRecords;
import dev.millrace.pipeline.ParsingDeserializer;
import dev.millrace.pipeline.ToScoreRecord;
import dev.millrace.pipeline.monitoring.BroadcastWatermarks;
import dev.millrace.pipeline.monitoring.DriftBinning;
import dev.millrace.pipeline.monitoring.DriftCounts;
import dev.millrace.pipeline.monitoring.DriftMonitor;
import dev.millrace.pipeline.monitoring.PrequentialQuality;
import dev.millrace.pipeline.monitoring.ToDriftSample;
import dev.millrace.pipeline.monitoring.WarmUps;
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
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.types.Either;
import org.apache.flink.util.OutputTag;

/**
 * The fraud job as one chain, with its sources and sinks passed in: tests pass bounded sources and
 * collecting sinks, {@link KafkaFraudJob} passes Kafka.
 *
 * <pre>
 * events source: decode + validate, watermarks per split (valid records only) ─(bad)┐
 *   → keyBy customer → CustomerFeatures                                            │
 *   → keyBy terminal (→ TerminalOrder) ⋈ labels by terminal → TerminalFeatures     │
 *   → Scoring (scorer's operator, models broadcast) → ScoredFeatures               │
 *       ├→ ScoreRecord → scores                                                    │
 *       ├→ DriftSample → DriftBinning ⋈ models → keyBy task → DriftMonitor → control  │
 *       └→ keyBy event id ⋈ labels by transaction id → LabelJoin → training        │
 *            ├→ (late labels) ────────────────────────────────────────────────────┤
 *            └→ keyBy model version → PrequentialQuality → quality                 │
 * labels source: decode + validate, watermarks per split, long idleness ─(bad)───┴→ dead letters
 * </pre>
 *
 * <p>Event time: each Kafka partition (split) has its own watermark, from valid records only, and
 * an operator with two inputs (terminal features, label join) follows the smaller of its inputs.
 * The labels' splits go idle only after {@link FraudPipelineSettings#labelIdleness()}, so the label
 * join declares "no label = genuine" only once the labels' own event time has passed a
 * transaction's maturity: at any replay speed, with a backlog, after a restart, whichever topic is
 * read first. Until the first labels arrive the terminal features' cleanup timers, the drift
 * windows and the label join wait (at most the label idleness of wall clock); scoring never waits.
 */
public final class FraudPipeline {

  /** Operator uids; stable, since savepoints find their state by them. */
  public static final String UID_EVENTS_SOURCE = "fraud-events-source";

  public static final String UID_LABELS_SOURCE = "fraud-labels-source";
  public static final String UID_MODELS_SOURCE = "fraud-models-source";
  public static final String UID_PARSE_EVENTS = "fraud-parse-events";
  public static final String UID_PARSE_LABELS = "fraud-parse-labels";
  public static final String UID_CUSTOMER_FEATURES = "fraud-customer-features";
  public static final String UID_TERMINAL_ORDER = "fraud-terminal-order";
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

  /** The decoder and validator of {@code fraud.events} records, for the events source. */
  public static ParseTransactions eventParser(FraudPipelineSettings settings) {
    return new ParseTransactions(
        settings.validation(), settings.maxAheadOfStream(), Clock.systemUTC());
  }

  /** The decoder and validator of {@code fraud.labels} records, for the labels source. */
  public static ParseLabels labelParser(FraudPipelineSettings settings) {
    return new ParseLabels(settings.validation(), Clock.systemUTC());
  }

  /**
   * Adds the fraud job to {@code env}.
   *
   * @param events {@code fraud.events} records, decoded and validated by {@link #eventParser} in
   *     the source (see {@link ParsingDeserializer}); watermarks are added here
   * @param labels {@code fraud.labels} records, decoded and validated by {@link #labelParser}
   * @param models model announcements (no watermarks needed: they never hold back event time)
   * @param scores one score per accepted transaction
   * @param training one matured training example per accepted transaction
   * @param deadLetters every rejected event or label, with the reason
   * @param loader loads announced models inside the scoring operator
   */
  public static void build(
      StreamExecutionEnvironment env,
      Source<Either<FraudTransaction, DeadLetter>, ?, ?> events,
      Source<Either<FraudLabel, DeadLetter>, ?, ?> labels,
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
      Source<Either<FraudTransaction, DeadLetter>, ?, ?> events,
      Source<Either<FraudLabel, DeadLetter>, ?, ?> labels,
      Source<ModelAnnouncement, ?, ?> models,
      Sink<ScoreRecord> scores,
      Sink<TrainingExample> training,
      Sink<DeadLetter> deadLetters,
      Sink<ModelQuality> quality,
      Sink<RetrainRequest> control,
      ModelLoader loader,
      FraudPipelineSettings settings) {
    env.setParallelism(settings.parallelism());
    // Chained operators hand records on by reference instead of deep-copying them through their
    // serializers (the scored vector has three chained consumers). Safe for this chain: no operator
    // changes a record after emitting it or changes one it received from a chained predecessor
    // (TerminalFeatures completes vectors that arrive over the network, deserialised into fresh
    // objects), and every record kept across calls (scoring buffer, label join state) arrives over
    // the network, not from a chained operator.
    env.getConfig().enableObjectReuse();
    Clock clock = Clock.systemUTC();
    long lateness = settings.allowedLateness().toMillis();

    // Decoded and validated in the sources; watermarks per Kafka split, from valid records only.
    SingleOutputStreamOperator<FraudTransaction> transactions =
        env.fromSource(
                events,
                ParsedRecords.watermarks(
                    eventParser(settings), settings.outOfOrderness(), settings.idleness()),
                "Decode + validate transactions")
            .uid(UID_EVENTS_SOURCE)
            .process(ParsedRecords.split(FraudTransaction.class, EVENT_DEAD_LETTERS))
            .uid(UID_PARSE_EVENTS)
            .name("Valid transactions");
    // Labels keep their own, long idleness: the label join's maturity waits for their event time.
    SingleOutputStreamOperator<FraudLabel> fraudLabels =
        env.fromSource(
                labels,
                ParsedRecords.watermarks(
                    labelParser(settings), settings.outOfOrderness(), settings.labelIdleness()),
                "Decode + validate labels")
            .uid(UID_LABELS_SOURCE)
            .process(ParsedRecords.split(FraudLabel.class, LABEL_DEAD_LETTERS))
            .uid(UID_PARSE_LABELS)
            .name("Valid labels");

    KeySelector<FeatureVector, String> terminal =
        v -> v.getAttributes().get(CustomerFeatures.TERMINAL_ID);
    SingleOutputStreamOperator<FeatureVector> customerFeatures =
        transactions
            .keyBy(FraudTransaction::getCustomerId, Types.STRING)
            .process(new CustomerFeatures(lateness))
            .uid(UID_CUSTOMER_FEATURES)
            .name("Customer features");
    KeyedStream<FeatureVector, String> byTerminal;
    if (settings.terminalOrder()) {
      // Already partitioned by terminal: TerminalFeatures follows on the same subtask, in order.
      byTerminal =
          DataStreamUtils.reinterpretAsKeyedStream(
              customerFeatures
                  .keyBy(terminal, Types.STRING)
                  .process(new TerminalOrder(FraudFeatures.TERMINAL_DELAY))
                  .uid(UID_TERMINAL_ORDER)
                  .name("Terminal order"),
              terminal,
              Types.STRING);
    } else {
      byTerminal = customerFeatures.keyBy(terminal, Types.STRING);
    }
    DataStream<FeatureVector> features =
        byTerminal
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
                    WarmUps.of(FraudFeatures.SCHEMA.warmUp()),
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
                new LabelJoin(
                    settings.labelDelay().toMillis(),
                    settings.labelGrace().toMillis(),
                    settings.topics().fraudLabels().name()))
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

    transactions
        .getSideOutput(EVENT_DEAD_LETTERS)
        .union(
            fraudLabels.getSideOutput(LABEL_DEAD_LETTERS),
            examples.getSideOutput(LabelJoin.LATE_LABELS))
        .sinkTo(deadLetters)
        .uid(UID_DLQ_SINK)
        .name("fraud.dlq");
  }
}
