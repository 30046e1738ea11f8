package dev.millrace.pipeline.task;

import dev.millrace.ingest.Rejection;
import dev.millrace.pipeline.monitoring.PrequentialQuality;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.ScoredFeatures;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.scorer.FeatureSchema;
import java.io.Serializable;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.OutputTag;

/**
 * Everything that makes a task, for the shared job ({@link TaskPipeline}): its event record and
 * entity key, how an event is validated and when it happened, its feature functions (keyed state,
 * emitting scoring points), its label rule (scored vectors in, matured training examples out) and
 * the kind of quality it is measured by. A definition is configured when it is built (e.g. a churn
 * horizon), so one instance is one task as a job runs it. The shared job names no task: adding one
 * means writing a definition, its schemas and its dataset mapping.
 *
 * @param <E> the task's Avro event record
 */
public interface TaskDefinition<E extends SpecificRecord> extends Serializable {

  /** The task, naming its topics and its models. */
  Task task();

  /** The Avro record of {@code <task>.events}. */
  Class<E> eventType();

  /** The entity an event belongs to: the key of its feature state (customer, store, ...). */
  String entityId(E event);

  /** The event time of an event, in epoch milliseconds: its timestamp in the job. */
  long eventTimeMillis(E event);

  /**
   * The first problem of a decoded event, or empty when it is acceptable; a rejected event goes to
   * {@code <task>.dlq} with this reason and changes no state.
   */
  Optional<Rejection> validate(E event, Instant wallClockNow);

  /** The feature names in the order the vectors and models use. */
  FeatureSchema featureSchema();

  /**
   * The feature functions, keyed by {@link #entityId}: each emits the vectors to score (one per
   * accepted event, plus any scoring points of the task's own, e.g. re-scores while an entity is
   * inactive). Events it cannot use go to one of {@link #featureDeadLetters()}.
   */
  KeyedProcessFunction<String, E, FeatureVector> features();

  /** Side outputs of {@link #features()} whose dead letters go to {@code <task>.dlq}. */
  default List<OutputTag<DeadLetter>> featureDeadLetters() {
    return List.of();
  }

  /**
   * The label rule, keyed by entity: scored vectors in, each one's training example out once its
   * label is known in event time (a label derived in the stream, such as no purchase within a
   * horizon, or the next period's realised value).
   */
  KeyedProcessFunction<String, ScoredFeatures, TrainingExample> labelRule();

  /** How the examples' quality is measured: classification or regression. */
  PrequentialQuality.Kind qualityKind();

  /** The task's short name, lower case, as in its topic names and operator uids. */
  default String name() {
    return task().name().toLowerCase(Locale.ROOT);
  }
}
