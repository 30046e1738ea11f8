package dev.millrace.pipeline.demand;

import dev.millrace.ingest.Rejection;
import dev.millrace.ingest.ValidationRules;
import dev.millrace.pipeline.monitoring.PrequentialQuality;
import dev.millrace.pipeline.task.TaskDefinition;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.ScoredFeatures;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.schemas.demand.DemandObservation;
import dev.millrace.schemas.demand.StoreDaySales;
import dev.millrace.scorer.FeatureSchema;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.OutputTag;

/**
 * Store-day demand (Rossmann shape) as a definition of the shared job: each store's daily rows,
 * joined with the store reference data, scored at every open day for the store's next open day
 * ({@link DemandScoringPoints}), labelled with that day's realised sales ({@link DemandLabels}),
 * measured as a regression. Rows are refused with a reason when they are not store-day rows, name
 * another store than their key, have no store id, or carry sales that are not a finite,
 * non-negative number.
 */
public final class DemandTask implements TaskDefinition<DemandObservation> {

  private static final long serialVersionUID = 1L;

  public static final String NOT_A_STORE_DAY = "NOT_A_STORE_DAY";
  public static final String MISSING_STORE_ID = "MISSING_STORE_ID";
  public static final String SERIES_NOT_STORE = "SERIES_NOT_STORE";
  public static final String BAD_SALES = "BAD_SALES";

  private final byte[] storeCsv;
  private final String eventsTopic;
  private final Instant earliest;
  private final Duration maxAheadOfWallClock;
  private transient ValidationRules rules;

  /**
   * @param storeCsv the store reference data ({@code store.csv} bytes)
   * @param rules the time bounds events must fall within
   * @param eventsTopic the events topic, named as the source of refused rows' dead letters
   */
  public DemandTask(byte[] storeCsv, ValidationRules rules, String eventsTopic) {
    DemandScoringPoints.stores(storeCsv); // fail now on unreadable reference data
    this.storeCsv = storeCsv.clone();
    this.eventsTopic = Objects.requireNonNull(eventsTopic, "eventsTopic");
    this.earliest = rules.earliest();
    this.maxAheadOfWallClock = rules.maxAheadOfWallClock();
  }

  @Override
  public Task task() {
    return Task.DEMAND;
  }

  @Override
  public Class<DemandObservation> eventType() {
    return DemandObservation.class;
  }

  @Override
  public String entityId(DemandObservation event) {
    return event.getSeriesId();
  }

  @Override
  public long eventTimeMillis(DemandObservation event) {
    return event.getEventTime().toEpochMilli();
  }

  @Override
  public Optional<Rejection> validate(DemandObservation event, Instant wallClockNow) {
    if (rules == null) {
      rules = new ValidationRules(earliest, maxAheadOfWallClock);
    }
    if (!(event.getObservation() instanceof StoreDaySales row)) {
      return reject(
          NOT_A_STORE_DAY,
          "not a store-day row: " + event.getObservation().getClass().getSimpleName());
    }
    if (row.getStoreId() == null || row.getStoreId().isBlank()) {
      return reject(MISSING_STORE_ID, "no store id");
    }
    if (!row.getStoreId().equals(event.getSeriesId())) {
      return reject(
          SERIES_NOT_STORE,
          "series '" + event.getSeriesId() + "' carries a row of store '" + row.getStoreId() + "'");
    }
    if (!Double.isFinite(row.getSales()) || row.getSales() < 0) {
      return reject(
          BAD_SALES, "sales " + row.getSales() + " are not a finite, non-negative number");
    }
    Instant t = event.getEventTime();
    if (t.isBefore(rules.earliest())) {
      return reject(
          dev.millrace.ingest.ReasonCodes.TIME_TOO_FAR_IN_PAST,
          "day " + t + " is before " + rules.earliest());
    }
    if (t.isAfter(rules.latest(wallClockNow))) {
      return reject(
          dev.millrace.ingest.ReasonCodes.TIME_TOO_FAR_IN_FUTURE, "day " + t + " is in the future");
    }
    return Optional.empty();
  }

  private static Optional<Rejection> reject(String code, String reason) {
    return Optional.of(new Rejection(code, reason));
  }

  @Override
  public FeatureSchema featureSchema() {
    return DemandFeatures.SCHEMA;
  }

  @Override
  public KeyedProcessFunction<String, DemandObservation, FeatureVector> features() {
    return new DemandScoringPoints(storeCsv, eventsTopic);
  }

  @Override
  public List<OutputTag<DeadLetter>> featureDeadLetters() {
    return List.of(DemandScoringPoints.REFUSED);
  }

  @Override
  public KeyedProcessFunction<String, ScoredFeatures, TrainingExample> labelRule() {
    return new DemandLabels();
  }

  @Override
  public PrequentialQuality.Kind qualityKind() {
    return PrequentialQuality.Kind.REGRESSION;
  }
}
