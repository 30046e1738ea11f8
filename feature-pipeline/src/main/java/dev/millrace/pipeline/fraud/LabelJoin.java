package dev.millrace.pipeline.fraud;

import dev.millrace.schemas.ScoredFeatures;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.schemas.fraud.FraudLabel;
import java.time.Instant;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keyed by event id (the transaction id as a string), two inputs: scored feature vectors and fraud
 * labels. Waits in event time until the label has matured, at {@code eventTime + labelDelay +
 * grace}, and then emits one {@link TrainingExample}: the features exactly as scored, the model
 * version and score, and label 1 if a fraud label arrived by then, 0 otherwise ("no chargeback by
 * then = genuine"). Its state and timers are cleared when it fires.
 *
 * <p>A label counts only if it was known by the maturity time: a label whose label time is after
 * {@code transactionTime + labelDelay + grace}, or that arrives once the watermark has passed that
 * time (the example is already out), is counted ({@code lateLabels}) and dropped. This keeps the
 * outcome deterministic in event time: the same input gives the same examples in every run. A label
 * whose event never came (e.g. the event was dead-lettered) is dropped at maturity and counted
 * ({@code orphanLabels}).
 */
public final class LabelJoin
    extends KeyedCoProcessFunction<String, ScoredFeatures, FraudLabel, TrainingExample> {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(LabelJoin.class);

  private final long maturityMs;
  private transient ValueState<ScoredFeatures> scored;
  private transient ValueState<FraudLabel> label;
  private transient Counter lateLabels;
  private transient Counter orphanLabels;
  private transient Counter examples;

  /**
   * @param labelDelayMs how long after an event its label may take to arrive
   * @param graceMs extra event time to wait for labels that are a little late
   */
  public LabelJoin(long labelDelayMs, long graceMs) {
    this.maturityMs = Math.addExact(labelDelayMs, graceMs);
  }

  @Override
  public void open(OpenContext openContext) {
    scored =
        getRuntimeContext()
            .getState(
                new ValueStateDescriptor<>("scored", TypeInformation.of(ScoredFeatures.class)));
    label =
        getRuntimeContext()
            .getState(new ValueStateDescriptor<>("label", TypeInformation.of(FraudLabel.class)));
    lateLabels = getRuntimeContext().getMetricGroup().counter("lateLabels");
    orphanLabels = getRuntimeContext().getMetricGroup().counter("orphanLabels");
    examples = getRuntimeContext().getMetricGroup().counter("trainingExamples");
  }

  @Override
  public void processElement1(ScoredFeatures value, Context ctx, Collector<TrainingExample> out)
      throws Exception {
    scored.update(value);
    ctx.timerService().registerEventTimeTimer(maturity(value));
  }

  @Override
  public void processElement2(FraudLabel value, Context ctx, Collector<TrainingExample> out)
      throws Exception {
    long maturity = maturity(value);
    long watermark = ctx.timerService().currentWatermark();
    if (value.getLabelTime().toEpochMilli() > maturity || watermark >= maturity) {
      lateLabels.inc();
      LOG.debug(
          "dropping label of transaction {} (label time {}): it matured at {}, watermark {}",
          value.getTransactionId(),
          value.getLabelTime(),
          Instant.ofEpochMilli(maturity),
          Instant.ofEpochMilli(watermark));
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
    ScoredFeatures s = scored.value();
    FraudLabel l = label.value();
    if (s != null) {
      boolean fraud = l != null && l.getFraud();
      out.collect(
          TrainingExample.newBuilder()
              .setTask(Task.FRAUD)
              .setEventId(s.getVector().getEventId())
              .setEntityId(s.getVector().getEntityId())
              .setFeatureSchemaFingerprint(s.getVector().getFeatureSchemaFingerprint())
              .setFeatures(s.getVector().getFeatures())
              .setLabel(fraud ? 1.0 : 0.0)
              .setEventTime(s.getVector().getEventTime())
              .setLabelTime(l != null ? l.getLabelTime() : Instant.ofEpochMilli(timestamp))
              .setModelVersion(s.getModelVersion())
              .setScore(s.getPrediction())
              .build());
      examples.inc();
      ctx.timerService().deleteEventTimeTimer(maturity(s));
    } else if (l != null) {
      orphanLabels.inc();
    }
    if (l != null) {
      ctx.timerService().deleteEventTimeTimer(maturity(l));
    }
    scored.clear();
    label.clear();
  }

  private long maturity(ScoredFeatures s) {
    return s.getVector().getEventTime().toEpochMilli() + maturityMs;
  }

  private long maturity(FraudLabel l) {
    return l.getTransactionTime().toEpochMilli() + maturityMs;
  }
}
