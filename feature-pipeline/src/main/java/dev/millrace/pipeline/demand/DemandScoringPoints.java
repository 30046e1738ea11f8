package dev.millrace.pipeline.demand;

import dev.millrace.pipeline.DeadLetters;
import dev.millrace.pipeline.RawRecord;
import dev.millrace.schemas.AvroSerde;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.demand.DemandObservation;
import dev.millrace.schemas.demand.StoreDaySales;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Keyed by store: keeps a {@link StoreSalesHistory} in keyed state and, at each open day with sales
 * that carries the plan of the store's next open day, emits the features for that day ({@link
 * DemandFeatureEngine#step}, the same code as outside Flink). Closed days and days without sales
 * are not scored. Each vector carries its own day's realised sales ({@link #SALES}), its day
 * ({@link #DAY}) and the day it forecasts ({@link #TARGET_DAY}), which the label rule ({@link
 * DemandLabels}) needs. Rows of unknown stores, rows not after the store's latest and plans not in
 * the future go to {@link #REFUSED} with their reason and change nothing.
 */
public final class DemandScoringPoints
    extends KeyedProcessFunction<String, DemandObservation, FeatureVector> {

  private static final long serialVersionUID = 1L;

  /** Stage name in dead letters. */
  public static final String STAGE = "demand-pipeline/scoring-points";

  /** Side output of refused rows. */
  public static final OutputTag<DeadLetter> REFUSED = DeadLetters.tag("demand-refused-rows");

  /** Attribute: the epoch day of the row that was scored. */
  public static final String DAY = "day";

  /** Attribute: the epoch day the vector forecasts. */
  public static final String TARGET_DAY = "targetDay";

  /** Attribute: the realised sales of the row's own day. */
  public static final String SALES = "sales";

  private final byte[] storeCsv;
  private final String eventsTopic;
  private transient StoreTable stores;
  private transient Map<String, Integer> storeIndex;
  private transient ValueState<StoreSalesHistory> history;
  private transient AvroSerde<DemandObservation> serde;

  /**
   * @param storeCsv the reference data, {@code store.csv} as bytes (it travels with the job)
   * @param eventsTopic the events topic, named as the source of refused rows' dead letters
   */
  public DemandScoringPoints(byte[] storeCsv, String eventsTopic) {
    this.storeCsv = storeCsv.clone();
    this.eventsTopic = eventsTopic;
  }

  /** Parses the reference data. */
  public static StoreTable stores(byte[] storeCsv) {
    try {
      return StoreTable.read(new ByteArrayInputStream(storeCsv));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the store reference data", e);
    }
  }

  @Override
  public void open(OpenContext openContext) {
    stores = stores(storeCsv);
    storeIndex = new HashMap<>();
    List<String> ids = stores.storeIds();
    for (int i = 0; i < ids.size(); i++) {
      storeIndex.put(ids.get(i), i);
    }
    history =
        getRuntimeContext()
            .getState(
                new ValueStateDescriptor<>(
                    "store-sales", TypeInformation.of(StoreSalesHistory.class)));
    serde = AvroSerde.of(DemandObservation.class);
  }

  @Override
  public void processElement(DemandObservation o, Context ctx, Collector<FeatureVector> out)
      throws Exception {
    StoreDaySales row = (StoreDaySales) o.getObservation();
    StoreInfo store = stores.get(row.getStoreId());
    DemandFeatureEngine.Step step;
    StoreSalesHistory h = history.value();
    if (store == null) {
      step =
          DemandFeatureEngine.Step.refused(
              DemandFeatureEngine.UNKNOWN_STORE,
              "store " + row.getStoreId() + " is not in the store reference data");
    } else {
      if (h == null) {
        h = new StoreSalesHistory();
      }
      step =
          DemandFeatureEngine.step(
              storeIndex.get(row.getStoreId()), store, h, o.getEventTime().toEpochMilli(), row);
    }
    if (step.refusal() != null) {
      ctx.output(
          REFUSED,
          DeadLetters.of(
              RawRecord.of(
                  eventsTopic, o.getSeriesId().getBytes(StandardCharsets.UTF_8), serde.encode(o)),
              step.refusal(),
              step.detail(),
              STAGE,
              Instant.now()));
      return;
    }
    history.update(h);
    if (step.scored() == null) {
      return;
    }
    long day = Math.floorDiv(o.getEventTime().toEpochMilli(), 86_400_000L);
    Map<String, String> attributes = new HashMap<>(4);
    attributes.put(DAY, Long.toString(day));
    attributes.put(TARGET_DAY, Long.toString(step.targetDay()));
    attributes.put(SALES, Double.toString(row.getSales()));
    List<Float> features = new java.util.ArrayList<>(step.scored().length);
    for (float f : step.scored()) {
      features.add(f);
    }
    out.collect(
        FeatureVector.newBuilder()
            .setTask(Task.DEMAND)
            .setEventId(row.getStoreId() + "/" + java.time.LocalDate.ofEpochDay(day))
            .setEntityId(o.getSeriesId())
            .setEventTime(o.getEventTime())
            .setFeatureSchemaFingerprint(DemandFeatures.FINGERPRINT)
            .setFeatures(features)
            .setAttributes(attributes)
            .build());
  }
}
