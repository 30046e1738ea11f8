package dev.millrace.pipeline.task;

import dev.millrace.ingest.Rejection;
import dev.millrace.pipeline.DeadLetters;
import dev.millrace.pipeline.RawRecord;
import dev.millrace.pipeline.monitoring.PrequentialQuality;
import dev.millrace.schemas.AvroSerde;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.ScoredFeatures;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.schemas.churn.ChurnActivity;
import dev.millrace.scorer.FeatureSchema;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * A task written only as a definition, for the shared job's test: per customer, the purchases so
 * far and the line's quantity; the label of a scoring point is the quantity of the customer's next
 * purchase line. Zero quantities are invalid; quantities above 1,000 are unusable for the features.
 */
final class NextQuantityTask implements TaskDefinition<ChurnActivity> {

  private static final long serialVersionUID = 1L;

  static final String ZERO_QUANTITY = "ZERO_QUANTITY";
  static final String HUGE_QUANTITY = "HUGE_QUANTITY";
  static final FeatureSchema SCHEMA = new FeatureSchema(List.of("purchases_so_far", "quantity"));
  static final OutputTag<DeadLetter> UNUSABLE = DeadLetters.tag("next-quantity-unusable");

  @Override
  public Task task() {
    return Task.CHURN;
  }

  @Override
  public Class<ChurnActivity> eventType() {
    return ChurnActivity.class;
  }

  @Override
  public String entityId(ChurnActivity event) {
    return event.getCustomerId();
  }

  @Override
  public long eventTimeMillis(ChurnActivity event) {
    return event.getEventTime().toEpochMilli();
  }

  @Override
  public Optional<Rejection> validate(ChurnActivity event, Instant wallClockNow) {
    return event.getQuantity() == 0
        ? Optional.of(new Rejection(ZERO_QUANTITY, "quantity is 0"))
        : Optional.empty();
  }

  @Override
  public FeatureSchema featureSchema() {
    return SCHEMA;
  }

  @Override
  public KeyedProcessFunction<String, ChurnActivity, FeatureVector> features() {
    return new Features();
  }

  @Override
  public List<OutputTag<DeadLetter>> featureDeadLetters() {
    return List.of(UNUSABLE);
  }

  @Override
  public KeyedProcessFunction<String, ScoredFeatures, TrainingExample> labelRule() {
    return new NextQuantity();
  }

  @Override
  public PrequentialQuality.Kind qualityKind() {
    return PrequentialQuality.Kind.REGRESSION;
  }

  static String eventId(ChurnActivity a) {
    return a.getInvoiceId() + "/" + a.getItemId();
  }

  private static final class Features
      extends KeyedProcessFunction<String, ChurnActivity, FeatureVector> {
    private static final long serialVersionUID = 1L;
    private transient ValueState<Long> purchases;
    private transient AvroSerde<ChurnActivity> serde;

    @Override
    public void open(OpenContext context) {
      purchases = getRuntimeContext().getState(new ValueStateDescriptor<>("purchases", Types.LONG));
      serde = AvroSerde.of(ChurnActivity.class);
    }

    @Override
    public void processElement(ChurnActivity a, Context ctx, Collector<FeatureVector> out)
        throws Exception {
      if (a.getQuantity() > 1_000) {
        ctx.output(
            UNUSABLE,
            DeadLetters.of(
                RawRecord.of("test.events", null, serde.encode(a)),
                HUGE_QUANTITY,
                "quantity " + a.getQuantity(),
                "next-quantity/features",
                Instant.EPOCH));
        return;
      }
      long n = purchases.value() == null ? 1 : purchases.value() + 1;
      purchases.update(n);
      out.collect(
          FeatureVector.newBuilder()
              .setTask(Task.CHURN)
              .setEventId(eventId(a))
              .setEntityId(a.getCustomerId())
              .setEventTime(a.getEventTime())
              .setFeatureSchemaFingerprint(SCHEMA.fingerprint())
              .setFeatures(List.of((float) n, (float) a.getQuantity()))
              .setAttributes(Map.of())
              .build());
    }
  }

  private static final class NextQuantity
      extends KeyedProcessFunction<String, ScoredFeatures, TrainingExample> {
    private static final long serialVersionUID = 1L;
    private transient ValueState<ScoredFeatures> previous;

    @Override
    public void open(OpenContext context) {
      previous =
          getRuntimeContext()
              .getState(
                  new ValueStateDescriptor<>("previous", new AvroTypeInfo<>(ScoredFeatures.class)));
    }

    @Override
    public void processElement(ScoredFeatures s, Context ctx, Collector<TrainingExample> out)
        throws Exception {
      ScoredFeatures p = previous.value();
      if (p != null) {
        out.collect(
            TrainingExample.newBuilder()
                .setTask(Task.CHURN)
                .setEventId(p.getVector().getEventId())
                .setEntityId(p.getVector().getEntityId())
                .setFeatureSchemaFingerprint(p.getVector().getFeatureSchemaFingerprint())
                .setFeatures(p.getVector().getFeatures())
                .setLabel(s.getVector().getFeatures().get(1))
                .setEventTime(p.getVector().getEventTime())
                .setLabelTime(s.getVector().getEventTime())
                .setModelVersion(p.getModelVersion())
                .setScore(p.getPrediction())
                .build());
      }
      previous.update(s);
    }
  }
}
