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

  /** Examples added since the last emitted record. */
  public int sinceEmit;

  /** Latest event time in the window (epoch millis). */
  public long windowEnd;

  /** The registered cleanup timer (epoch millis), or {@link Long#MIN_VALUE}. */
  public long cleanupTimer = Long.MIN_VALUE;

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
    sinceEmit++;
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
