package dev.millrace.pipeline.monitoring;

/**
 * The last {@code capacity} matured (label, score) pairs of one model version, as a ring buffer; a
 * Flink POJO kept in keyed state.
 */
public class QualityWindow {

  /** Labels in ring order; {@code size} of them are valid. */
  public float[] labels;

  /** Scores in ring order, parallel to {@link #labels}. */
  public float[] scores;

  /** Valid entries. */
  public int size;

  /** Index the next example is written at. */
  public int next;

  /** Latest event time in the window (epoch millis). */
  public long windowEnd;

  public QualityWindow() {}

  public QualityWindow(int capacity) {
    labels = new float[capacity];
    scores = new float[capacity];
  }

  /** Adds one pair, overwriting the oldest once full. */
  public void add(float label, float score, long eventTime) {
    labels[next] = label;
    scores[next] = score;
    next = (next + 1) % labels.length;
    size = Math.min(size + 1, labels.length);
    windowEnd = Math.max(windowEnd, eventTime);
  }

  /** The valid labels (order does not matter to the metrics). */
  public float[] validLabels() {
    return java.util.Arrays.copyOf(labels, size);
  }

  /** The valid scores, parallel to {@link #validLabels()}. */
  public float[] validScores() {
    return java.util.Arrays.copyOf(scores, size);
  }
}
