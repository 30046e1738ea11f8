package dev.millrace.pipeline.churn;

import dev.millrace.ingest.Rejection;
import dev.millrace.ingest.ValidationRules;
import dev.millrace.ingest.churn.ChurnValidation;
import dev.millrace.pipeline.monitoring.PrequentialQuality;
import dev.millrace.pipeline.task.TaskDefinition;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.ScoredFeatures;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.schemas.churn.ChurnActivity;
import dev.millrace.scorer.FeatureSchema;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.OutputTag;

/**
 * The churn task as a definition of the shared job: purchase and return lines keyed by customer
 * ({@link ChurnValidation} refuses what cannot be keyed or used), scored at every line and again
 * every {@link ChurnSettings#rescoreEvery()} while the customer is inactive ({@link
 * ChurnScoringPoints}), labelled in the stream by whether they buy again within the horizon ({@link
 * ChurnLabels}), measured as a classification.
 */
public final class ChurnTask implements TaskDefinition<ChurnActivity> {

  private static final long serialVersionUID = 1L;

  private final ChurnSettings settings;
  private final String eventsTopic;
  private final Instant earliest;
  private final Duration maxAheadOfWallClock;
  private transient ValidationRules rules;

  /**
   * @param settings re-scoring, horizon, lateness and retention
   * @param rules the time bounds events must fall within
   * @param eventsTopic the events topic, named as the source of the operator's dead letters
   */
  public ChurnTask(ChurnSettings settings, ValidationRules rules, String eventsTopic) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.eventsTopic = Objects.requireNonNull(eventsTopic, "eventsTopic");
    this.earliest = rules.earliest();
    this.maxAheadOfWallClock = rules.maxAheadOfWallClock();
  }

  public ChurnSettings settings() {
    return settings;
  }

  @Override
  public Task task() {
    return Task.CHURN;
  }

  @Override
  public Class<ChurnActivity> eventType() {
    return ChurnActivity.class;
  }

  @Override
  public String entityId(ChurnActivity event) {
    return event.getCustomerId();
  }

  @Override
  public long eventTimeMillis(ChurnActivity event) {
    return event.getEventTime().toEpochMilli();
  }

  @Override
  public Optional<Rejection> validate(ChurnActivity event, Instant wallClockNow) {
    if (rules == null) {
      rules = new ValidationRules(earliest, maxAheadOfWallClock);
    }
    return ChurnValidation.check(event, rules, wallClockNow);
  }

  @Override
  public FeatureSchema featureSchema() {
    return ChurnFeatures.SCHEMA;
  }

  @Override
  public KeyedProcessFunction<String, ChurnActivity, FeatureVector> features() {
    return new ChurnScoringPoints(settings, eventsTopic);
  }

  @Override
  public List<OutputTag<DeadLetter>> featureDeadLetters() {
    return List.of(ChurnScoringPoints.LATE_ACTIVITY);
  }

  @Override
  public KeyedProcessFunction<String, ScoredFeatures, TrainingExample> labelRule() {
    return new ChurnLabels(settings);
  }

  @Override
  public PrequentialQuality.Kind qualityKind() {
    return PrequentialQuality.Kind.CLASSIFICATION;
  }
}
