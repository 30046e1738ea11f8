package dev.millrace.trainer;

import dev.millrace.schemas.TrainingExample;
import dev.millrace.trainer.eval.Slice;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The recent window of training examples the next model learns from: at most {@code maxRows} rows;
 * when full, the row with the oldest event time leaves first. Thread-safe: the consuming thread
 * adds while a training thread takes snapshots.
 */
public final class TrainingBuffer {

  /** One buffered example, stored compactly. */
  record Row(
      long eventTimeMillis,
      long sequence,
      String entityId,
      float[] features,
      float label,
      long labelTimeMillis) {}

  private static final Comparator<Row> BY_EVENT_TIME =
      Comparator.comparingLong(Row::eventTimeMillis).thenComparingLong(Row::sequence);

  private final int maxRows;
  private final PriorityQueue<Row> rows;
  private long sequence;
  private long evicted;
  private long positives;
  private long earliest = Long.MAX_VALUE;

  public TrainingBuffer(int maxRows) {
    if (maxRows < 1) {
      throw new IllegalArgumentException(
          "the training window needs at least 1 row, not " + maxRows);
    }
    this.maxRows = maxRows;
    this.rows = new PriorityQueue<>(Math.min(maxRows, 1 << 16), BY_EVENT_TIME);
  }

  public int maxRows() {
    return maxRows;
  }

  /** Adds an example (its features must already be validated); may evict the oldest. */
  public void add(TrainingExample example) {
    List<Float> values = example.getFeatures();
    float[] features = new float[values.size()];
    for (int i = 0; i < features.length; i++) {
      features[i] = values.get(i);
    }
    add(
        example.getEventTime().toEpochMilli(),
        example.getEntityId(),
        features,
        (float) example.getLabel(),
        example.getLabelTime().toEpochMilli());
  }

  /** Adds one row whose label was known at its event time; may evict the oldest row. */
  public void add(long eventTimeMillis, String entityId, float[] features, float label) {
    add(eventTimeMillis, entityId, features, label, eventTimeMillis);
  }

  /**
   * Adds one row; may evict the row with the oldest event time.
   *
   * @param labelTimeMillis event time at which the label was known (its maturity)
   */
  public synchronized void add(
      long eventTimeMillis, String entityId, float[] features, float label, long labelTimeMillis) {
    Row row =
        new Row(eventTimeMillis, sequence++, entityId, features.clone(), label, labelTimeMillis);
    rows.add(row);
    earliest = Math.min(earliest, eventTimeMillis);
    if (label > 0.5f) {
      positives++;
    }
    while (rows.size() > maxRows) {
      Row old = rows.poll();
      evicted++;
      if (old.label() > 0.5f) {
        positives--;
      }
    }
  }

  public synchronized int size() {
    return rows.size();
  }

  public synchronized long positives() {
    return positives;
  }

  /**
   * The earliest event time of any row ever added, evicted ones included (the trainer reads its
   * topic from the start, so about where the stream started); null before the first row.
   */
  public synchronized java.time.Instant earliestEventTime() {
    return earliest == Long.MAX_VALUE ? null : java.time.Instant.ofEpochMilli(earliest);
  }

  /** How many rows left the window because it was full. */
  public synchronized long evicted() {
    return evicted;
  }

  /** A copy of the window in event-time order (arrival order among equal times). */
  public Slice snapshot() {
    List<Row> sorted;
    synchronized (this) {
      sorted = new ArrayList<>(rows);
    }
    sorted.sort(BY_EVENT_TIME);
    int n = sorted.size();
    float[][] features = new float[n][];
    float[] labels = new float[n];
    long[] times = new long[n];
    String[] ids = new String[n];
    long[] labelTimes = new long[n];
    for (int i = 0; i < n; i++) {
      Row r = sorted.get(i);
      features[i] = r.features();
      labels[i] = r.label();
      times[i] = r.eventTimeMillis();
      ids[i] = r.entityId();
      labelTimes[i] = r.labelTimeMillis();
    }
    return new Slice(features, labels, times, ids, labelTimes);
  }
}
