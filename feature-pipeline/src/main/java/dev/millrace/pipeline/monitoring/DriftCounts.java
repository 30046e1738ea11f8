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

  public DriftCounts() {}

  public DriftCounts(String modelVersion, long bucket, long[] counts) {
    this.modelVersion = modelVersion;
    this.bucket = bucket;
    this.counts = counts;
  }
}
