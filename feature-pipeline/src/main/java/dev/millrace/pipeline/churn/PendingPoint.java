package dev.millrace.pipeline.churn;

import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.ScoredFeatures;

/**
 * What {@link ChurnLabels} keeps of a scored churn point until its label is known: exactly what the
 * training example needs. A Flink POJO with the features as a primitive array.
 */
public class PendingPoint {

  /** The scoring point's event id. */
  public String eventId;

  /** The feature schema fingerprint of the vector as scored. */
  public String featureSchemaFingerprint;

  /** The feature values as scored. */
  public float[] features;

  /** The scoring point's event time, epoch milliseconds. */
  public long eventTime;

  /** The version of the model that scored it. */
  public String modelVersion;

  /** The model's prediction. */
  public double score;

  public PendingPoint() {}

  /** What the training example of a scored point needs. */
  public static PendingPoint of(ScoredFeatures scored) {
    FeatureVector v = scored.getVector();
    PendingPoint p = new PendingPoint();
    p.eventId = v.getEventId();
    p.featureSchemaFingerprint = v.getFeatureSchemaFingerprint();
    p.features = ChurnFeatures.toArray(v.getFeatures());
    p.eventTime = v.getEventTime().toEpochMilli();
    p.modelVersion = scored.getModelVersion();
    p.score = scored.getPrediction();
    return p;
  }
}
