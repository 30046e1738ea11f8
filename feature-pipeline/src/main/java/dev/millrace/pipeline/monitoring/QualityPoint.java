package dev.millrace.pipeline.monitoring;

/**
 * One matured (label, score) pair waiting to enter its version's {@link QualityWindow} at the next
 * emit; appended to list state, which RocksDB does without reading what is already there. A Flink
 * POJO.
 */
public class QualityPoint {

  public float label;
  public float score;
  public long eventTime;

  public QualityPoint() {}

  public QualityPoint(float label, float score, long eventTime) {
    this.label = label;
    this.score = score;
    this.eventTime = eventTime;
  }
}
