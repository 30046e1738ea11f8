package dev.millrace.pipeline.fraud;

import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.fraud.FraudLabel;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Keyed by terminal id, two inputs: the feature vectors from {@link CustomerFeatures} and the
 * {@code fraud.labels} stream. Fills in the six terminal features from a {@link TerminalHistory} in
 * keyed state. A label counts only once it has been received and only from its label time on, so no
 * future outcome leaks into a feature.
 *
 * <p>State stays bounded: entries older than delay + 30 days (+ allowed lateness) are dropped on
 * every update, and an event-time timer clears the state of a terminal idle that long.
 */
public final class TerminalFeatures
    extends KeyedCoProcessFunction<String, FeatureVector, FraudLabel, FeatureVector> {

  private static final long serialVersionUID = 1L;

  /**
   * Counter of fraud labels that reached this operator after a transaction at or past their label
   * time on the same terminal: that transaction's features could not count them, although in event
   * time they were known. Live, where labels come after their label time, this is normal; in a
   * replay it measures how much the terminal features depended on which topic the job read first
   * (0: not at all).
   */
  public static final String LABELS_AFTER_THEIR_TIME = "labelsAfterTheirTime";

  private final long allowedLatenessMs;
  private transient ValueState<TerminalHistory> history;
  private transient CleanupTimer cleanup;
  private transient Counter staleLabels;
  private transient Counter labelsAfterTheirTime;

  public TerminalFeatures(long allowedLatenessMs) {
    this.allowedLatenessMs = allowedLatenessMs;
  }

  @Override
  public void open(OpenContext openContext) {
    history =
        getRuntimeContext()
            .getState(
                new ValueStateDescriptor<>(
                    "terminal-history", TypeInformation.of(TerminalHistory.class)));
    cleanup = CleanupTimer.create(getRuntimeContext());
    staleLabels = getRuntimeContext().getMetricGroup().counter("staleLabels");
    labelsAfterTheirTime = getRuntimeContext().getMetricGroup().counter(LABELS_AFTER_THEIR_TIME);
  }

  @Override
  public void processElement1(FeatureVector vector, Context ctx, Collector<FeatureVector> out)
      throws Exception {
    TerminalHistory h = current();
    long time = vector.getEventTime().toEpochMilli();
    long transactionId =
        Long.parseLong(vector.getAttributes().get(CustomerFeatures.TRANSACTION_ID));
    float[] features = FraudFeatures.toArray(vector.getFeatures());
    FraudFeatures.setTerminal(
        features,
        h.observe(time, transactionId, allowedLatenessMs, ctx.timerService().currentWatermark()));
    save(ctx, h);
    // The vector is this operator's own (deserialised from the keyBy): completed in place rather
    // than deep-copied through a builder.
    vector.setFeatures(FraudFeatures.asList(features));
    out.collect(vector);
  }

  @Override
  public void processElement2(FraudLabel label, Context ctx, Collector<FeatureVector> out)
      throws Exception {
    if (!label.getFraud()) {
      return; // a confirmed genuine transaction does not change any terminal feature
    }
    TerminalHistory h = current();
    if (h.newest != Long.MIN_VALUE && label.getLabelTime().toEpochMilli() <= h.newest) {
      labelsAfterTheirTime.inc();
    }
    boolean kept =
        h.fraudLabel(
            label.getTransactionId(),
            label.getTransactionTime().toEpochMilli(),
            label.getLabelTime().toEpochMilli(),
            allowedLatenessMs);
    if (!kept) {
      staleLabels.inc(); // its transaction is older than any window still needs
      return;
    }
    save(ctx, h);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<FeatureVector> out)
      throws Exception {
    // The timer sits at or before the expiry of the newest transaction or label: re-armed if a
    // newer one arrived.
    TerminalHistory h = history.value();
    if (h == null) {
      cleanup.clear();
    } else if (cleanup.fired(ctx.timerService(), timestamp, h.expiresAt(allowedLatenessMs))) {
      history.clear();
    }
  }

  private TerminalHistory current() throws Exception {
    TerminalHistory h = history.value();
    return h == null ? new TerminalHistory() : h;
  }

  private void save(Context ctx, TerminalHistory h) throws Exception {
    history.update(h);
    cleanup.moveTo(ctx.timerService(), h.expiresAt(allowedLatenessMs));
  }

  /** The {@link #LABELS_AFTER_THEIR_TIME} count of this instance (0 before open). */
  long labelsAfterTheirTimeCount() {
    return labelsAfterTheirTime == null ? 0 : labelsAfterTheirTime.getCount();
  }
}
