package dev.millrace.scorer;

/**
 * A loaded, verified model that scores batches of feature vectors. Not thread-safe: each operator
 * subtask owns its own instance. {@link #close()} releases native memory.
 */
public interface BatchModel extends AutoCloseable {

  /** The version named in score records. */
  String version();

  /** The features the model expects, in order. */
  FeatureSchema featureSchema();

  /**
   * Scores a batch: one prediction per row (a probability for classification tasks). Rows have
   * {@code featureSchema().size()} values in schema order.
   */
  float[] predict(float[][] rows);

  @Override
  void close();
}
