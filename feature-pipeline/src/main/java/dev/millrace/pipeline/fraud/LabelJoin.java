package dev.millrace.pipeline.fraud;

import dev.millrace.pipeline.DeadLetters;
import dev.millrace.pipeline.RawRecord;
import dev.millrace.schemas.AvroSerde;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.ScoredFeatures;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.schemas.fraud.FraudLabel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keyed by event id (the transaction id as a string), two inputs: scored feature vectors and fraud
 * labels. Waits in event time until the label has matured, at {@code eventTime + labelDelay +
 * grace}, and then emits one {@link TrainingExample}: the features exactly as scored, the model
 * version and score, and label 1 if a fraud label arrived by then, 0 otherwise ("no chargeback by
 * then = genuine"). Its state and timers are cleared when it fires.
 *
 * <p>A label counts only if it was known by the maturity time. This keeps the outcome deterministic
 * in event time: the same input gives the same examples in every run, at any speed. The operator's
 * watermark is the smaller of the scored events' and the labels' watermarks, each the minimum over
 * its Kafka partitions (per-split watermarks in the sources), so the timer at maturity fires only
 * once the labels' own event time has passed it: every label with {@code labelTime <=
 * transactionTime + labelDelay + grace} that was published in label-time order (within the
 * out-of-orderness) on its partition has been received by then, whatever the replay speed, the
 * backlog, a restart or which topic was read first.
 *
 * <p><b>The bound.</b> A label is truly late, and is counted ({@code lateLabels}) and sent to the
 * {@link #LATE_LABELS} side output (on to the dead-letter topic, never turned into "genuine"):
 *
 * <ul>
 *   <li>{@link #LABEL_AFTER_MATURITY}: its label time is after {@code transactionTime + labelDelay
 *       + grace};
 *   <li>{@link #LATE_LABEL}: it arrives after the watermark passed its maturity, i.e. after its
 *       example was emitted. With per-split watermarks this happens only when its labels partition
 *       was idle (no label for {@link FraudPipelineSettings#labelIdleness()} of wall clock) while
 *       events moved event time past the maturity, or when it was published more than the
 *       out-of-orderness behind the labels before it on its partition.
 * </ul>
 *
 * A late label leaves no state and no timer behind. A label whose event never came by the maturity
 * (e.g. the event was dead-lettered) is counted ({@code orphanLabels}) and sent to the same side
 * output ({@link #ORPHAN_LABEL}) at maturity.
 */
public final class LabelJoin
    extends KeyedCoProcessFunction<String, ScoredFeatures, FraudLabel, TrainingExample> {

  private static final long serialVersionUID = 1L;

  /**
   * Counter of labels dead-lettered as late ({@link #LATE_LABEL}, {@link #LABEL_AFTER_MATURITY}).
   */
  public static final String LATE_LABELS_COUNTER = "lateLabels";

  /** Counter of labels dead-lettered as orphans ({@link #ORPHAN_LABEL}). */
  public static final String ORPHAN_LABELS_COUNTER = "orphanLabels";

  private static final Logger LOG = LoggerFactory.getLogger(LabelJoin.class);

  /** Stage name in dead letters. */
  public static final String STAGE = "fraud-pipeline/label-join";

  /** Reason code: the label arrived after its training example was emitted. */
  public static final String LATE_LABEL = "LATE_LABEL";

  /** Reason code: the label time is after the transaction time plus label delay plus grace. */
  public static final String LABEL_AFTER_MATURITY = "LABEL_AFTER_MATURITY";

  /**
   * Reason code: the label's transaction was not scored by the maturity (it was dead-lettered,
   * never sent, or arrived behind the watermark).
   */
  public static final String ORPHAN_LABEL = "ORPHAN_LABEL";

  /** Side output of truly late labels, as dead letters (the label re-encoded as Avro). */
  public static final OutputTag<DeadLetter> LATE_LABELS = DeadLetters.tag("fraud-late-labels");

  private final long maturityMs;
  private final String labelsTopic;
  private transient AvroSerde<FraudLabel> serde;
  private transient ValueState<PendingExample> scored;
  private transient ValueState<FraudLabel> label;
  private transient Counter lateLabels;
  private transient Counter orphanLabels;
  private transient Counter examples;

  /**
   * @param labelDelayMs how long after an event its label may take to arrive
   * @param graceMs extra event time to wait for labels that are a little late
   * @param labelsTopic the labels topic, named as the source of late labels' dead letters
   */
  public LabelJoin(long labelDelayMs, long graceMs, String labelsTopic) {
    this.maturityMs = Math.addExact(labelDelayMs, graceMs);
    this.labelsTopic = labelsTopic;
  }

  @Override
  public void open(OpenContext openContext) {
    scored =
        getRuntimeContext()
            .getState(
                new ValueStateDescriptor<>("pending", TypeInformation.of(PendingExample.class)));
    label =
        getRuntimeContext()
            .getState(new ValueStateDescriptor<>("label", TypeInformation.of(FraudLabel.class)));
    lateLabels = getRuntimeContext().getMetricGroup().counter(LATE_LABELS_COUNTER);
    orphanLabels = getRuntimeContext().getMetricGroup().counter(ORPHAN_LABELS_COUNTER);
    examples = getRuntimeContext().getMetricGroup().counter("trainingExamples");
    serde = AvroSerde.of(FraudLabel.class);
  }

  @Override
  public void processElement1(ScoredFeatures value, Context ctx, Collector<TrainingExample> out)
      throws Exception {
    PendingExample pending = PendingExample.of(value);
    scored.update(pending);
    ctx.timerService().registerEventTimeTimer(maturity(pending));
  }

  @Override
  public void processElement2(FraudLabel value, Context ctx, Collector<TrainingExample> out)
      throws Exception {
    long maturity = maturity(value);
    long watermark = ctx.timerService().currentWatermark();
    if (value.getLabelTime().toEpochMilli() > maturity) {
      late(
          ctx,
          value,
          LABEL_AFTER_MATURITY,
          "label time "
              + value.getLabelTime()
              + " is after the maturity "
              + Instant.ofEpochMilli(maturity)
              + " (transaction time + label delay + grace)");
      return;
    }
    if (watermark >= maturity) {
      late(
          ctx,
          value,
          LATE_LABEL,
          "arrived at watermark "
              + Instant.ofEpochMilli(watermark)
              + ", after its example was emitted at the maturity "
              + Instant.ofEpochMilli(maturity));
      return;
    }
    FraudLabel previous = label.value();
    if (previous == null || (value.getFraud() && !previous.getFraud())) {
      label.update(value);
    }
    ctx.timerService().registerEventTimeTimer(maturity);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<TrainingExample> out)
      throws Exception {
    PendingExample s = scored.value();
    FraudLabel l = label.value();
    if (s != null) {
      boolean fraud = l != null && l.getFraud();
      out.collect(
          TrainingExample.newBuilder()
              .setTask(Task.FRAUD)
              .setEventId(ctx.getCurrentKey())
              .setEntityId(s.entityId)
              .setFeatureSchemaFingerprint(s.fingerprint())
              .setFeatures(FraudFeatures.asList(s.features))
              .setLabel(fraud ? 1.0 : 0.0)
              .setEventTime(s.eventTime)
              .setLabelTime(l != null ? l.getLabelTime() : Instant.ofEpochMilli(timestamp))
              .setModelVersion(s.modelVersion)
              .setScore(s.score)
              .build());
      examples.inc();
      ctx.timerService().deleteEventTimeTimer(maturity(s));
    } else if (l != null) {
      orphanLabels.inc();
      deadLetter(
          ctx,
          l,
          ORPHAN_LABEL,
          "no scored transaction "
              + l.getTransactionId()
              + " by its maturity "
              + Instant.ofEpochMilli(timestamp)
              + " (dead-lettered, never sent, or later than the watermark)");
    }
    if (l != null) {
      ctx.timerService().deleteEventTimeTimer(maturity(l));
    }
    scored.clear();
    label.clear();
  }

  private void late(Context ctx, FraudLabel value, String code, String reason) {
    lateLabels.inc();
    LOG.debug("late label of transaction {}: {}", value.getTransactionId(), reason);
    deadLetter(ctx, value, code, reason);
  }

  private void deadLetter(Context ctx, FraudLabel value, String code, String reason) {
    byte[] key =
        value.getCustomerId() == null
            ? null
            : value.getCustomerId().getBytes(StandardCharsets.UTF_8);
    ctx.output(
        LATE_LABELS,
        DeadLetters.of(
            new RawRecord(labelsTopic, -1, -1, -1, key, serde.encode(value)),
            code,
            reason,
            STAGE,
            Instant.now()));
  }

  private long maturity(PendingExample s) {
    return s.eventTime.toEpochMilli() + maturityMs;
  }

  private long maturity(FraudLabel l) {
    return l.getTransactionTime().toEpochMilli() + maturityMs;
  }
}
