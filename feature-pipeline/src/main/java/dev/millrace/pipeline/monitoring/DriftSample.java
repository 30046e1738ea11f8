package dev.millrace.pipeline.monitoring;

import dev.millrace.schemas.ScoredFeatures;
import java.util.List;

/**
 * What the drift monitor needs of one scored vector: the model version, the feature values in the
 * job's order and the score. A Flink POJO (a string and a primitive array): much cheaper to send to
 * {@link DriftBinning} than the whole {@link ScoredFeatures}; the event time travels as the
 * record's timestamp.
 */
public class DriftSample {

  /** The version of the model that scored the vector. */
  public String modelVersion;

  /** The feature values, in the job's feature order. */
  public float[] features;

  /** The model's prediction. */
  public double score;

  public DriftSample() {}

  public DriftSample(String modelVersion, float[] features, double score) {
    this.modelVersion = modelVersion;
    this.features = features;
    this.score = score;
  }

  /** The sample of a scored vector. */
  public static DriftSample of(ScoredFeatures scored) {
    List<Float> values = scored.getVector().getFeatures();
    float[] features = new float[values.size()];
    for (int i = 0; i < features.length; i++) {
      features[i] = values.get(i);
    }
    return new DriftSample(scored.getModelVersion(), features, scored.getPrediction());
  }
}
