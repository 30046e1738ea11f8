package dev.millrace.pipeline.task;

import dev.millrace.pipeline.DeadLetters;
import dev.millrace.pipeline.ParsedRecords;
import dev.millrace.pipeline.ToScoreRecord;
import dev.millrace.pipeline.monitoring.PrequentialQuality;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelQuality;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.ScoredFeatures;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.scorer.ModelLoader;
import dev.millrace.scorer.flink.Scoring;
import java.time.Clock;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.types.Either;
import org.apache.flink.util.OutputTag;

/**
 * The job every task shares, as one chain with its sources and sinks passed in; the task is a
 * {@link TaskDefinition}, and nothing here names one.
 *
 * <pre>
 * events source: decode + validate (shared checks + the task's), watermarks per split ─(bad)─┐
 *   → keyBy entity → the task's feature functions (scoring points) ─(unusable)──────────────┤
 *   → Scoring (scorer's operator, models broadcast) → ScoredFeatures                       │
 *       ├→ ScoreRecord → &lt;task&gt;.scores                                                      │
 *       └→ keyBy entity → the task's label rule → &lt;task&gt;.training                          │
 *            └→ keyBy model version → PrequentialQuality → &lt;task&gt;.quality                  │
 *                                                                     dead letters ←─────┘
 * </pre>
 *
 * <p>Operator uids are the task's name plus a fixed suffix ({@code churn-features}, ...), so that
 * savepoints find their state; the scoring operator keeps the scorer's own uid.
 */
public final class TaskPipeline {

  /** Uid suffixes; the uid is {@code <task>-<suffix>}. */
  public static final String EVENTS_SOURCE = "events-source";

  public static final String PARSE_EVENTS = "parse-events";
  public static final String MODELS_SOURCE = "models-source";
  public static final String FEATURES = "features";
  public static final String SCORE_RECORDS = "score-records";
  public static final String SCORES_SINK = "scores-sink";
  public static final String LABEL_RULE = "label-rule";
  public static final String TRAINING_SINK = "training-sink";
  public static final String QUALITY = "prequential-quality";
  public static final String QUALITY_SINK = "quality-sink";
  public static final String DLQ_SINK = "dlq-sink";

  private TaskPipeline() {}

  /** The decoder and validator of the task's events, for its events source. */
  public static <E extends SpecificRecord> TaskEventParser<E> eventParser(
      TaskDefinition<E> task, TaskJobOptions options) {
    return new TaskEventParser<>(task, options.maxAheadOfStream(), Clock.systemUTC());
  }

  /** The uid of one of the task's operators. */
  public static String uid(TaskDefinition<?> task, String suffix) {
    return task.name() + "-" + suffix;
  }

  /**
   * Adds the task's job to {@code env}.
   *
   * @param task the task
   * @param events {@code <task>.events} records, decoded and validated in the source by {@link
   *     #eventParser}; watermarks are added here
   * @param models model announcements (no watermarks: they never hold back event time)
   * @param scores one score per scoring point: each accepted event, plus the task's own
   * @param training one training example per scoring point whose label the rule resolved
   * @param deadLetters every rejected or unusable event, with the reason
   * @param quality prequential quality per model version; null: discarded
   * @param loader loads announced models inside the scoring operator
   * @param options parallelism, event time and scoring settings
   */
  public static <E extends SpecificRecord> void build(
      StreamExecutionEnvironment env,
      TaskDefinition<E> task,
      Source<Either<E, DeadLetter>, ?, ?> events,
      Source<ModelAnnouncement, ?, ?> models,
      Sink<ScoreRecord> scores,
      Sink<TrainingExample> training,
      Sink<DeadLetter> deadLetters,
      Sink<ModelQuality> quality,
      ModelLoader loader,
      TaskJobOptions options) {
    if (options.scoring().task() != task.task()) {
      throw new IllegalArgumentException(
          "scoring settings of " + options.scoring().task() + " for the task " + task.task());
    }
    env.setParallelism(options.parallelism());
    OutputTag<DeadLetter> rejected = DeadLetters.tag(uid(task, "events-dlq"));

    SingleOutputStreamOperator<E> accepted =
        env.fromSource(
                events,
                ParsedRecords.watermarks(
                    eventParser(task, options), options.outOfOrderness(), options.idleness()),
                "Decode + validate " + task.name() + " events")
            .uid(uid(task, EVENTS_SOURCE))
            .process(ParsedRecords.split(task.eventType(), rejected))
            .uid(uid(task, PARSE_EVENTS))
            .name("Valid " + task.name() + " events");

    KeySelector<E, String> entity = new EntityKey<>(task);
    SingleOutputStreamOperator<FeatureVector> features =
        accepted
            .keyBy(entity, Types.STRING)
            .process(task.features(), new AvroTypeInfo<>(FeatureVector.class))
            .uid(uid(task, FEATURES))
            .name(task.name() + " features");

    DataStream<ModelAnnouncement> announcements =
        env.fromSource(models, WatermarkStrategy.noWatermarks(), "millrace.models")
            .uid(uid(task, MODELS_SOURCE));
    SingleOutputStreamOperator<ScoredFeatures> scored =
        Scoring.score(features, announcements, options.scoring(), loader, task.featureSchema());

    scored
        .map(new ToScoreRecord())
        .uid(uid(task, SCORE_RECORDS))
        .name("Score records")
        .sinkTo(scores)
        .uid(uid(task, SCORES_SINK))
        .name(task.name() + ".scores");

    SingleOutputStreamOperator<TrainingExample> examples =
        scored
            .keyBy(s -> s.getVector().getEntityId(), Types.STRING)
            .process(task.labelRule(), new AvroTypeInfo<>(TrainingExample.class))
            .uid(uid(task, LABEL_RULE))
            .name(task.name() + " label rule");
    examples.sinkTo(training).uid(uid(task, TRAINING_SINK)).name(task.name() + ".training");

    SingleOutputStreamOperator<ModelQuality> qualityRecords =
        examples
            .keyBy(TrainingExample::getModelVersion, Types.STRING)
            .process(
                new PrequentialQuality(
                    task.task(), task.qualityKind(), options.monitoring(), Clock.systemUTC()))
            .uid(uid(task, QUALITY))
            .name("Prequential quality");
    if (quality != null) {
      qualityRecords.sinkTo(quality).uid(uid(task, QUALITY_SINK)).name(task.name() + ".quality");
    } else {
      qualityRecords
          .sinkTo(new DiscardingSink<>())
          .uid(uid(task, QUALITY_SINK))
          .name("discard quality");
    }

    DataStream<DeadLetter> dead = accepted.getSideOutput(rejected);
    for (OutputTag<DeadLetter> tag : task.featureDeadLetters()) {
      dead = dead.union(features.getSideOutput(tag));
    }
    dead.sinkTo(deadLetters).uid(uid(task, DLQ_SINK)).name(task.name() + ".dlq");
  }

  /** The definition's entity key as a serializable key selector. */
  private static final class EntityKey<E extends SpecificRecord> implements KeySelector<E, String> {
    private static final long serialVersionUID = 1L;
    private final TaskDefinition<E> task;

    EntityKey(TaskDefinition<E> task) {
      this.task = task;
    }

    @Override
    public String getKey(E event) {
      return task.entityId(event);
    }
  }
}
