package dev.millrace.pipeline.monitoring;

/**
 * The small per-version bookkeeping of {@link PrequentialQuality}, read and written for every
 * example (the big {@link QualityWindow} only at each emit): examples since the last emit, the
 * latest event time the version was seen at, and the cleanup timer it has registered. A Flink POJO
 * kept in keyed state.
 */
public class QualityProgress {

  /** Examples added since the last emitted record. */
  public int sinceEmit;

  /** The latest of (example time, watermark) when an example arrived (epoch millis). */
  public long lastSeen = Long.MIN_VALUE;

  /** The registered cleanup timer (epoch millis), or {@link Long#MIN_VALUE} for none. */
  public long timerAt = Long.MIN_VALUE;

  public QualityProgress() {}
}
