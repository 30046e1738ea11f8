package dev.millrace.pipeline.demand;

import dev.millrace.schemas.ScoredFeatures;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TrainingExample;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The demand label rule, keyed by store, on the scored points of {@link DemandScoringPoints}: a
 * forecast for day T becomes a {@link TrainingExample} with the realised sales of T when the
 * store's scored point of day T arrives (it carries those sales). A forecast whose target day
 * brought no scored point (closed after all, no sales, or no plan in its row) is dropped, counted
 * in {@link #UNLABELLED_COUNTER}, when a later point arrives or when event time passes T plus a
 * day; the state and the timer are then cleared.
 */
public final class DemandLabels
    extends KeyedProcessFunction<String, ScoredFeatures, TrainingExample> {

  private static final long serialVersionUID = 1L;

  /** Counter of forecasts dropped without a label. */
  public static final String UNLABELLED_COUNTER = "unlabelledForecasts";

  private static final long DAY_MS = 86_400_000L;

  private transient ValueState<ScoredFeatures> pending;
  private transient Counter unlabelled;

  @Override
  public void open(OpenContext openContext) {
    pending =
        getRuntimeContext()
            .getState(
                new ValueStateDescriptor<>(
                    "pending-forecast", new AvroTypeInfo<>(ScoredFeatures.class)));
    unlabelled = getRuntimeContext().getMetricGroup().counter(UNLABELLED_COUNTER);
  }

  private static long attribute(ScoredFeatures s, String name) {
    return Long.parseLong(s.getVector().getAttributes().get(name));
  }

  @Override
  public void processElement(ScoredFeatures point, Context ctx, Collector<TrainingExample> out)
      throws Exception {
    ScoredFeatures p = pending.value();
    long day = attribute(point, DemandScoringPoints.DAY);
    if (p != null) {
      long target = attribute(p, DemandScoringPoints.TARGET_DAY);
      ctx.timerService().deleteEventTimeTimer(expiry(target));
      if (target == day) {
        double sales =
            Double.parseDouble(point.getVector().getAttributes().get(DemandScoringPoints.SALES));
        out.collect(
            TrainingExample.newBuilder()
                .setTask(Task.DEMAND)
                .setEventId(p.getVector().getEventId())
                .setEntityId(p.getVector().getEntityId())
                .setFeatureSchemaFingerprint(p.getVector().getFeatureSchemaFingerprint())
                .setFeatures(p.getVector().getFeatures())
                .setLabel(sales)
                .setEventTime(p.getVector().getEventTime())
                .setLabelTime(point.getVector().getEventTime())
                .setModelVersion(p.getModelVersion())
                .setScore(p.getPrediction())
                .build());
      } else {
        unlabelled.inc();
      }
    }
    pending.update(point);
    ctx.timerService()
        .registerEventTimeTimer(expiry(attribute(point, DemandScoringPoints.TARGET_DAY)));
  }

  /** The end of the day after the target day: its row must have come by then. */
  private static long expiry(long targetDay) {
    return (targetDay + 2) * DAY_MS - 1;
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<TrainingExample> out)
      throws Exception {
    ScoredFeatures p = pending.value();
    if (p != null && expiry(attribute(p, DemandScoringPoints.TARGET_DAY)) == timestamp) {
      pending.clear();
      unlabelled.inc();
    }
  }
}
