package dev.millrace.pipeline.churn;

import dev.millrace.pipeline.DeadLetters;
import dev.millrace.pipeline.RawRecord;
import dev.millrace.schemas.AvroSerde;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.churn.ChurnActivity;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Keyed by customer id: keeps a {@link CustomerActivity} in keyed state and emits the scoring
 * points of the churn task as {@link FeatureVector}s.
 *
 * <ul>
 *   <li><b>One scoring point per accepted activity line</b> (purchase or return), with the features
 *       as of that line (the line included), so that every accepted event yields exactly one score.
 *       Lines of one invoice share its event time and form one basket; each line's point sees the
 *       basket so far. Attribute {@link #KIND} is {@link #PURCHASE} or {@link #RETURN}.
 *   <li><b>Re-scores while inactive</b>: an event-time timer at {@code newest + rescoreEvery}
 *       (newest = the customer's newest activity) emits a point of kind {@link #RESCORE} with the
 *       features as of the timer's time (recency, tenure and the windows move on), and re-arms
 *       itself {@code rescoreEvery} later. Any newer activity moves the timer to its own time plus
 *       {@code rescoreEvery}. The latest score of a customer at any date therefore reflects at most
 *       {@code rescoreEvery} of unseen inactivity. The re-scores do not depend on how fast the
 *       watermark moves: when an activity arrives after re-scores that were due before it but not
 *       yet fired (the watermark lags), they are emitted first, with the state they would have
 *       seen, so a customer's re-scores are always at {@code newest + k * rescoreEvery} before the
 *       next activity and before the retention ends, whatever the replay speed. Likewise an
 *       activity at or after the retention starts a new state, as if the cleanup had fired.
 *   <li><b>Cleanup</b>: when event time reaches {@code newest + retention} without activity, the
 *       state and the timer are cleared (no more re-scores; the customer is forgotten).
 *   <li><b>Bad input</b>: an activity dated more than the allowed lateness before the customer's
 *       newest one goes to {@link #LATE_ACTIVITY} as a dead letter with reason {@link
 *       #PURCHASE_BEFORE_PREVIOUS}, and changes nothing.
 * </ul>
 */
public final class ChurnScoringPoints
    extends KeyedProcessFunction<String, ChurnActivity, FeatureVector> {

  private static final long serialVersionUID = 1L;

  /** Stage name in dead letters. */
  public static final String STAGE = "churn-pipeline/scoring-points";

  /**
   * Reason code: the activity is dated more than the allowed lateness before the customer's newest
   * activity.
   */
  public static final String PURCHASE_BEFORE_PREVIOUS = "PURCHASE_BEFORE_PREVIOUS";

  /** Side output of activities refused as too late for their customer. */
  public static final OutputTag<DeadLetter> LATE_ACTIVITY = DeadLetters.tag("churn-late-activity");

  /** Attribute: the kind of scoring point. */
  public static final String KIND = "kind";

  /** Attribute: the invoice id of the line (absent on re-scores). */
  public static final String INVOICE_ID = "invoiceId";

  /** Kinds of scoring point. */
  public static final String PURCHASE = "purchase";

  public static final String RETURN = "return";
  public static final String RESCORE = "rescore";

  private final long rescoreEveryMs;
  private final long allowedLatenessMs;
  private final long retentionMs;
  private final String eventsTopic;
  private transient ValueState<CustomerActivity> activity;
  private transient ValueState<Long> timerAt;
  private transient AvroSerde<ChurnActivity> serde;

  /**
   * @param settings re-score period, allowed lateness and retention
   * @param eventsTopic the events topic, named as the source of late activities' dead letters
   */
  public ChurnScoringPoints(ChurnSettings settings, String eventsTopic) {
    this.rescoreEveryMs = settings.rescoreEvery().toMillis();
    this.allowedLatenessMs = settings.allowedLateness().toMillis();
    this.retentionMs = settings.retention().toMillis();
    this.eventsTopic = eventsTopic;
  }

  @Override
  public void open(OpenContext openContext) {
    activity =
        getRuntimeContext()
            .getState(
                new ValueStateDescriptor<>(
                    "customer-activity", TypeInformation.of(CustomerActivity.class)));
    timerAt = getRuntimeContext().getState(new ValueStateDescriptor<>("rescore-at", Types.LONG));
    serde = AvroSerde.of(ChurnActivity.class);
  }

  @Override
  public void processElement(ChurnActivity a, Context ctx, Collector<FeatureVector> out)
      throws Exception {
    CustomerActivity c = activity.value();
    if (c == null) {
      c = new CustomerActivity();
    }
    long time = a.getEventTime().toEpochMilli();
    if (c.newest != Long.MIN_VALUE && time < c.newest - allowedLatenessMs) {
      ctx.output(
          LATE_ACTIVITY,
          DeadLetters.of(
              RawRecord.of(
                  eventsTopic, a.getCustomerId().getBytes(StandardCharsets.UTF_8), serde.encode(a)),
              PURCHASE_BEFORE_PREVIOUS,
              "activity at "
                  + a.getEventTime()
                  + " is more than the allowed lateness of "
                  + allowedLatenessMs
                  + " ms before the customer's newest activity at "
                  + Instant.ofEpochMilli(c.newest),
              STAGE,
              Instant.now()));
      return;
    }
    if (c.newest != Long.MIN_VALUE && time > c.newest) {
      // re-scores due before this activity that the watermark has not fired yet
      long expiry = c.newest + retentionMs;
      Long due = timerAt.value();
      for (long t = due == null ? expiry : due; t < time && t < expiry; t += rescoreEveryMs) {
        out.collect(rescore(ctx.getCurrentKey(), c, t));
      }
      if (time >= expiry) {
        c = new CustomerActivity(); // expired, as if the cleanup timer had fired
      }
    }
    int country = ChurnFeatures.countryIndex(a.getCountry());
    boolean purchase = a.getQuantity() > 0;
    if (purchase) {
      c.purchase(time, a.getQuantity(), a.getUnitPrice(), country, allowedLatenessMs);
    } else {
      c.returnLine(time, a.getQuantity(), a.getUnitPrice(), country);
    }
    activity.update(c);
    moveTimer(ctx.timerService(), c.newest + rescoreEveryMs);
    Map<String, String> attributes = new HashMap<>(4);
    attributes.put(KIND, purchase ? PURCHASE : RETURN);
    attributes.put(INVOICE_ID, a.getInvoiceId());
    out.collect(
        vector(
            a.getCustomerId(),
            a.getInvoiceId() + "/" + a.getItemId(),
            time,
            c.features(time),
            attributes));
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<FeatureVector> out)
      throws Exception {
    CustomerActivity c = activity.value();
    timerAt.clear();
    if (c == null) {
      return;
    }
    long expiry = c.newest + retentionMs;
    if (timestamp >= expiry) {
      activity.clear();
      return;
    }
    out.collect(rescore(ctx.getCurrentKey(), c, timestamp));
    moveTimer(ctx.timerService(), Math.min(timestamp + rescoreEveryMs, expiry));
  }

  private static FeatureVector rescore(String customerId, CustomerActivity c, long time) {
    return vector(customerId, RESCORE + "/" + time, time, c.features(time), Map.of(KIND, RESCORE));
  }

  private void moveTimer(org.apache.flink.streaming.api.TimerService timers, long at)
      throws Exception {
    Long current = timerAt.value();
    if (current != null) {
      if (current == at) {
        return;
      }
      timers.deleteEventTimeTimer(current);
    }
    timers.registerEventTimeTimer(at);
    timerAt.update(at);
  }

  static FeatureVector vector(
      String customerId,
      String eventId,
      long time,
      float[] features,
      Map<String, String> attributes) {
    return FeatureVector.newBuilder()
        .setTask(Task.CHURN)
        .setEventId(eventId)
        .setEntityId(customerId)
        .setEventTime(Instant.ofEpochMilli(time))
        .setFeatureSchemaFingerprint(ChurnFeatures.FINGERPRINT)
        .setFeatures(ChurnFeatures.asList(features))
        .setAttributes(attributes)
        .build();
  }
}
