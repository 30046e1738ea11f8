package dev.millrace.pipeline.fraud;

import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.ScoredFeatures;
import java.time.Instant;

/**
 * What {@link LabelJoin} keeps of a scored transaction until its label matures: exactly what the
 * training example needs (the features as scored, the model version and score, the event time; the
 * event id is the join's key). A Flink POJO with the features as a primitive array: a fraction of a
 * whole {@link ScoredFeatures} (an attributes map, boxed floats, Avro) in the state that every
 * checkpoint writes, kept for a week of event time per transaction.
 */
public class PendingExample {

  /** The entity (customer) id. */
  public String entityId;

  /**
   * The feature schema fingerprint of the vector; null when it is the job's ({@link
   * FraudFeatures#FINGERPRINT}), as it always is, so that the long hex string is not written into
   * every checkpoint once per pending transaction.
   */
  public String featureSchemaFingerprint;

  /** The feature values as scored, in the job's feature order. */
  public float[] features;

  /** The transaction's event time. */
  public Instant eventTime;

  /** The version of the model that scored it. */
  public String modelVersion;

  /** The model's prediction. */
  public double score;

  public PendingExample() {}

  /** What the training example of a scored vector needs. */
  public static PendingExample of(ScoredFeatures scored) {
    FeatureVector v = scored.getVector();
    PendingExample p = new PendingExample();
    p.entityId = v.getEntityId();
    String fingerprint = v.getFeatureSchemaFingerprint();
    p.featureSchemaFingerprint = FraudFeatures.FINGERPRINT.equals(fingerprint) ? null : fingerprint;
    p.features = FraudFeatures.toArray(v.getFeatures());
    p.eventTime = v.getEventTime();
    p.modelVersion = scored.getModelVersion();
    p.score = scored.getPrediction();
    return p;
  }

  /** The feature schema fingerprint of the vector. */
  public String fingerprint() {
    return featureSchemaFingerprint == null ? FraudFeatures.FINGERPRINT : featureSchemaFingerprint;
  }
}
