package dev.millrace.pipeline.churn;

import dev.millrace.schemas.ScoredFeatures;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TrainingExample;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The churn label rule, in the stream. Keyed by customer id, on the scored points of {@link
 * ChurnScoringPoints} (after the scoring operator): every scoring point at time t waits for the
 * customer's next purchase, and becomes one {@link TrainingExample} (the features exactly as
 * scored, the model version and score):
 *
 * <ul>
 *   <li>label 0 at once when a purchase point arrives with a time in {@code (t, t + H]} (its time
 *       is the label time). Purchase lines at the same time t (the same basket) do not count;
 *   <li>label 1 when event time reaches {@code t + H} with no such purchase: an event-time timer at
 *       {@code t + H} (the label time).
 * </ul>
 *
 * Returns and re-scores are scoring points but not purchases. The state (the pending points) and
 * the timers of a customer are cleared once no point is pending.
 */
public final class ChurnLabels
    extends KeyedProcessFunction<String, ScoredFeatures, TrainingExample> {

  private static final long serialVersionUID = 1L;

  /** Counter of emitted training examples. */
  public static final String EXAMPLES_COUNTER = "trainingExamples";

  private final long horizonMs;
  private transient ListState<PendingPoint> pending;
  private transient Counter examples;

  public ChurnLabels(ChurnSettings settings) {
    this.horizonMs = settings.horizon().toMillis();
  }

  @Override
  public void open(OpenContext openContext) {
    pending =
        getRuntimeContext()
            .getListState(
                new ListStateDescriptor<>(
                    "pending-points", TypeInformation.of(PendingPoint.class)));
    examples = getRuntimeContext().getMetricGroup().counter(EXAMPLES_COUNTER);
  }

  @Override
  public void processElement(ScoredFeatures scored, Context ctx, Collector<TrainingExample> out)
      throws Exception {
    PendingPoint point = PendingPoint.of(scored);
    String kind = scored.getVector().getAttributes().get(ChurnScoringPoints.KIND);
    List<PendingPoint> keep = new ArrayList<>();
    List<Long> resolvedTimers = new ArrayList<>();
    for (PendingPoint p : pending.get()) {
      boolean resolved =
          ChurnScoringPoints.PURCHASE.equals(kind)
              && p.eventTime < point.eventTime
              && point.eventTime <= p.eventTime + horizonMs;
      if (resolved) {
        out.collect(example(ctx.getCurrentKey(), p, 0, point.eventTime));
        resolvedTimers.add(p.eventTime + horizonMs);
      } else {
        keep.add(p);
      }
    }
    keep.add(point);
    for (long timer : resolvedTimers) {
      if (keep.stream().noneMatch(p -> p.eventTime + horizonMs == timer)) {
        ctx.timerService().deleteEventTimeTimer(timer);
      }
    }
    ctx.timerService().registerEventTimeTimer(point.eventTime + horizonMs);
    pending.update(keep);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<TrainingExample> out)
      throws Exception {
    List<PendingPoint> keep = new ArrayList<>();
    for (PendingPoint p : pending.get()) {
      if (p.eventTime + horizonMs <= timestamp) {
        out.collect(example(ctx.getCurrentKey(), p, 1, timestamp));
      } else {
        keep.add(p);
      }
    }
    if (keep.isEmpty()) {
      pending.clear();
    } else {
      pending.update(keep);
    }
  }

  private TrainingExample example(String customerId, PendingPoint p, double label, long labelTime) {
    examples.inc();
    return TrainingExample.newBuilder()
        .setTask(Task.CHURN)
        .setEventId(p.eventId)
        .setEntityId(customerId)
        .setFeatureSchemaFingerprint(p.featureSchemaFingerprint)
        .setFeatures(ChurnFeatures.asList(p.features))
        .setLabel(label)
        .setEventTime(Instant.ofEpochMilli(p.eventTime))
        .setLabelTime(Instant.ofEpochMilli(labelTime))
        .setModelVersion(p.modelVersion)
        .setScore(p.score)
        .build();
  }
}
