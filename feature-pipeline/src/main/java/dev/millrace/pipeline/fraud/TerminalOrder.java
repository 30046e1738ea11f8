package dev.millrace.pipeline.fraud;

import dev.millrace.schemas.FeatureVector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Keyed by terminal, just before {@link TerminalFeatures}: hands on a transaction at {@code t} once
 * the transactions' event time has reached {@code t - }{@link FraudFeatures#TERMINAL_DELAY}, so
 * that every transaction of the terminal's delayed windows {@code (t - d - w, t - d]} has reached
 * the terminal's state before {@code t}'s features are computed.
 *
 * <p>Live, and in any replay whose Kafka partitions move at about the same event time, the
 * watermark is far past {@code t - d} when {@code t} arrives and the vector passes at once. At full
 * speed one partition can run days of event time ahead of another (a fetch of a few thousand small
 * records): a transaction from the fast partition would then miss the slow partition's older
 * transactions on the same terminal, and the terminal features would depend on read order. Such a
 * vector waits, in keyed state, for an event-time timer at {@code t - d}; {@code
 * heldForOlderTransactions} counts them. Before the first watermark every vector waits for it: a
 * replay's first days can all arrive before it, from partitions read at different speeds. The first
 * watermark comes once every split of the events topic has had a record or has been idle for the
 * events' idleness (30 s by default), so a topic with an empty partition delays the first scores of
 * a job by that much.
 *
 * <p>The watermark here is the transactions' alone (the labels join later), each split's from the
 * sources' per-split watermarks: every transaction at or before it has been received.
 */
public final class TerminalOrder
    extends KeyedProcessFunction<String, FeatureVector, FeatureVector> {

  private static final long serialVersionUID = 1L;

  /** Counter of vectors that waited for older transactions. */
  public static final String HELD = "heldForOlderTransactions";

  private final long delayMs;
  private transient MapState<Long, List<FeatureVector>> waiting;
  private transient Counter held;

  public TerminalOrder(Duration delay) {
    this.delayMs = delay.toMillis();
  }

  @Override
  public void open(OpenContext openContext) {
    waiting =
        getRuntimeContext()
            .getMapState(
                new MapStateDescriptor<>(
                    "waiting-for-older",
                    Types.LONG,
                    Types.LIST(TypeInformation.of(FeatureVector.class))));
    held = getRuntimeContext().getMetricGroup().counter(HELD);
  }

  @Override
  public void processElement(FeatureVector vector, Context ctx, Collector<FeatureVector> out)
      throws Exception {
    long release = vector.getEventTime().toEpochMilli() - delayMs;
    long watermark = ctx.timerService().currentWatermark();
    if (release <= watermark) {
      out.collect(vector);
      return;
    }
    List<FeatureVector> at = waiting.get(release);
    if (at == null) {
      at = new ArrayList<>(1);
    }
    at.add(vector);
    waiting.put(release, at);
    ctx.timerService().registerEventTimeTimer(release);
    held.inc();
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<FeatureVector> out)
      throws Exception {
    List<FeatureVector> at = waiting.get(timestamp);
    if (at != null) {
      at.forEach(out::collect);
      waiting.remove(timestamp);
    }
  }

  /** The {@link #HELD} count of this instance (0 before open). */
  long heldCount() {
    return held == null ? 0 : held.getCount();
  }
}
