package dev.millrace.trainer.model;

/**
 * Training or evaluation rows: one feature vector (in feature-schema order), one 0/1 label and one
 * event time per row, and optionally the entity (e.g. card) of each row.
 *
 * @param features rows of feature values, all of the same width
 * @param labels 0 or 1 per row
 * @param eventTimeMillis event time per row (epoch millis); may be null when unknown
 * @param entityIds entity per row, for per-entity metrics such as card precision@k; may be null
 */
public record Dataset(
    float[][] features, float[] labels, long[] eventTimeMillis, String[] entityIds) {

  public Dataset {
    if (features == null || labels == null) {
      throw new IllegalArgumentException("a dataset needs features and labels");
    }
    if (labels.length != features.length) {
      throw new IllegalArgumentException(
          features.length + " feature rows but " + labels.length + " labels");
    }
    if (eventTimeMillis != null && eventTimeMillis.length != features.length) {
      throw new IllegalArgumentException(
          features.length + " feature rows but " + eventTimeMillis.length + " event times");
    }
    if (entityIds != null && entityIds.length != features.length) {
      throw new IllegalArgumentException(
          features.length + " feature rows but " + entityIds.length + " entity ids");
    }
  }

  /** Number of rows. */
  public int size() {
    return labels.length;
  }

  /** Number of rows whose label is 1. */
  public int positives() {
    int n = 0;
    for (float y : labels) {
      if (y == 1f) {
        n++;
      }
    }
    return n;
  }
}
