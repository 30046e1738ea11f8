package dev.millrace.trainer.eval;

import java.time.Instant;

/**
 * Rows of training examples in event-time order, column-wise: the feature matrix, the labels, the
 * event times and the entity (card, customer, store) ids. Converts one-to-one into the model code's
 * {@code Dataset}.
 */
public record Slice(
    float[][] features, float[] labels, long[] eventTimeMillis, String[] entityIds) {

  public Slice {
    int n = labels.length;
    if (features.length != n || eventTimeMillis.length != n || entityIds.length != n) {
      throw new IllegalArgumentException(
          "slice columns differ in length: features="
              + features.length
              + " labels="
              + n
              + " times="
              + eventTimeMillis.length
              + " ids="
              + entityIds.length);
    }
  }

  public int size() {
    return labels.length;
  }

  public long positives() {
    return Metrics.positives(labels);
  }

  /** Event time of the first row; null when empty. Rows are in event-time order. */
  public Instant start() {
    return size() == 0 ? null : Instant.ofEpochMilli(eventTimeMillis[0]);
  }

  /** Event time of the last row; null when empty. */
  public Instant end() {
    return size() == 0 ? null : Instant.ofEpochMilli(eventTimeMillis[size() - 1]);
  }
}
