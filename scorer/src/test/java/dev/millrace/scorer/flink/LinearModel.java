package dev.millrace.scorer.flink;

import dev.millrace.scorer.BatchModel;
import dev.millrace.scorer.FeatureSchema;

/** A real (tiny) model for tests: {@code bias + weights · row}. Records whether it was closed. */
class LinearModel implements BatchModel {

  private final String version;
  private final FeatureSchema schema;
  private final float bias;
  private final float[] weights;
  private volatile boolean closed;
  private int batches;

  LinearModel(String version, FeatureSchema schema, float bias, float[] weights) {
    if (weights.length != schema.size()) {
      throw new IllegalArgumentException("one weight per feature");
    }
    this.version = version;
    this.schema = schema;
    this.bias = bias;
    this.weights = weights.clone();
  }

  static float score(float bias, float[] weights, float[] row) {
    float sum = bias;
    for (int i = 0; i < weights.length; i++) {
      sum += weights[i] * row[i];
    }
    return sum;
  }

  @Override
  public String version() {
    return version;
  }

  @Override
  public FeatureSchema featureSchema() {
    return schema;
  }

  @Override
  public float[] predict(float[][] rows) {
    if (closed) {
      throw new IllegalStateException("model " + version + " used after close");
    }
    batches++;
    float[] out = new float[rows.length];
    for (int r = 0; r < rows.length; r++) {
      if (rows[r].length != weights.length) {
        throw new IllegalArgumentException("row " + r + " has " + rows[r].length + " values");
      }
      out[r] = score(bias, weights, rows[r]);
    }
    return out;
  }

  int batches() {
    return batches;
  }

  boolean isClosed() {
    return closed;
  }

  @Override
  public void close() {
    closed = true;
  }
}
