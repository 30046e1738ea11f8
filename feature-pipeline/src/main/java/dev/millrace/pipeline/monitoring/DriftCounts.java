package dev.millrace.pipeline.monitoring;

/**
 * Bin counts of one slide of event time, counted by one parallel instance of {@link DriftBinning}
 * for one model version; {@link DriftMonitor} adds up those of every instance. A Flink POJO.
 */
public class DriftCounts {

  /** The version of the model whose reference bins were used. */
  public String modelVersion;

  /** Start of the slide (event time, a multiple of the slide). */
  public long bucket;

  /** Counts per bin: each feature's bins in the job's feature order, then the score's. */
  public long[] counts;

  /**
   * The earliest event time this instance has scored (any model, the fallback included): where the
   * job's stream, and so its feature windows, started; null when unknown.
   */
  public Long streamStart;

  public DriftCounts() {}

  public DriftCounts(String modelVersion, long bucket, long[] counts) {
    this(modelVersion, bucket, counts, null);
  }

  public DriftCounts(String modelVersion, long bucket, long[] counts, Long streamStart) {
    this.modelVersion = modelVersion;
    this.bucket = bucket;
    this.counts = counts;
    this.streamStart = streamStart;
  }
}
