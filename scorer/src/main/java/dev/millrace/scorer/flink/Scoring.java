package dev.millrace.scorer.flink;

import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ScoredFeatures;
import dev.millrace.scorer.FeatureSchema;
import dev.millrace.scorer.ModelLoader;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * Wires the {@link ScoringOperator} into a job:
 *
 * <pre>{@code
 * SingleOutputStreamOperator<ScoredFeatures> scored =
 *     Scoring.score(features, announcements, ScoringSettings.defaults(Task.FRAUD), loader, schema);
 * }</pre>
 *
 * The model stream is broadcast to every scoring subtask; its watermarks are ignored, so it may be
 * idle forever without holding back event time. The output is Avro-typed (never Kryo).
 */
public final class Scoring {

  /** Stable operator uid: changing it orphans the model state in savepoints. */
  public static final String UID = "scoring";

  public static final String NAME = "Score with latest model";

  private Scoring() {}

  public static SingleOutputStreamOperator<ScoredFeatures> score(
      DataStream<FeatureVector> features,
      DataStream<ModelAnnouncement> models,
      ScoringSettings settings,
      ModelLoader loader,
      FeatureSchema schema) {
    return features
        .connect(models.broadcast())
        .transform(
            NAME,
            new AvroTypeInfo<>(ScoredFeatures.class),
            new ScoringOperator(settings, loader, schema))
        .uid(UID)
        .name(NAME);
  }
}
