package dev.millrace.pipeline.fraud;

import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Keyed by customer id: computes the transaction features and the six customer features with a
 * {@link CustomerHistory} in keyed state, and emits a {@link FeatureVector} whose terminal features
 * are still zero (filled in by {@link TerminalFeatures}); its attributes carry the terminal id and
 * the transaction id.
 *
 * <p>State stays bounded: entries older than 30 days (+ allowed lateness) are dropped on every
 * update, and an event-time timer clears the whole state of a customer that has been idle that long
 * (one timer per customer, re-armed when it fires early; see {@link CleanupTimer}).
 */
public final class CustomerFeatures
    extends KeyedProcessFunction<String, FraudTransaction, FeatureVector> {

  private static final long serialVersionUID = 1L;

  /** Attribute names on the feature vector. */
  public static final String TERMINAL_ID = "terminalId";

  public static final String TRANSACTION_ID = "transactionId";

  private final long allowedLatenessMs;
  private transient ValueState<CustomerHistory> history;
  private transient CleanupTimer cleanup;

  public CustomerFeatures(long allowedLatenessMs) {
    this.allowedLatenessMs = allowedLatenessMs;
  }

  @Override
  public void open(OpenContext openContext) {
    history =
        getRuntimeContext()
            .getState(
                new ValueStateDescriptor<>(
                    "customer-history", TypeInformation.of(CustomerHistory.class)));
    cleanup = CleanupTimer.create(getRuntimeContext());
  }

  @Override
  public void processElement(FraudTransaction tx, Context ctx, Collector<FeatureVector> out)
      throws Exception {
    CustomerHistory h = history.value();
    if (h == null) {
      h = new CustomerHistory();
    }
    long time = tx.getEventTime().toEpochMilli();
    float[] features = FraudFeatures.transactionFeatures(tx.getEventTime(), tx.getAmount());
    FraudFeatures.setCustomer(features, h.observe(time, tx.getAmount(), allowedLatenessMs));
    history.update(h);
    cleanup.moveTo(ctx.timerService(), h.expiresAt(allowedLatenessMs));
    out.collect(vector(tx, features));
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<FeatureVector> out)
      throws Exception {
    // The timer sits at or before the expiry of the newest transaction: re-armed if one arrived.
    CustomerHistory h = history.value();
    if (h == null) {
      cleanup.clear();
    } else if (cleanup.fired(ctx.timerService(), timestamp, h.expiresAt(allowedLatenessMs))) {
      history.clear();
    }
  }

  static FeatureVector vector(FraudTransaction tx, float[] features) {
    Map<String, String> attributes = new HashMap<>(4);
    attributes.put(TERMINAL_ID, tx.getTerminalId());
    attributes.put(TRANSACTION_ID, Long.toString(tx.getTransactionId()));
    return FeatureVector.newBuilder()
        .setTask(Task.FRAUD)
        .setEventId(Long.toString(tx.getTransactionId()))
        .setEntityId(tx.getCustomerId())
        .setEventTime(tx.getEventTime())
        .setFeatureSchemaFingerprint(FraudFeatures.FINGERPRINT)
        .setFeatures(FraudFeatures.asList(features))
        .setAttributes(attributes)
        .build();
  }
}
