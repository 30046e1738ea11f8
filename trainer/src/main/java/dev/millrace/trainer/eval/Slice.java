package dev.millrace.trainer.eval;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;

/**
 * Rows of training examples in event-time order, column-wise: the feature matrix, the labels, the
 * event times, the entity (card, customer, store) ids and the label times. Converts one-to-one into
 * the model code's {@code Dataset}.
 *
 * <p>The label time is the event time at which the row's label was known: for a positive the time
 * of the label event (a chargeback), for a negative the maturity at which "no label" became a
 * negative. It is never earlier than the row's event time.
 */
public record Slice(
    float[][] features,
    float[] labels,
    long[] eventTimeMillis,
    String[] entityIds,
    long[] labelTimeMillis) {

  public Slice {
    int n = labels.length;
    if (features.length != n
        || eventTimeMillis.length != n
        || entityIds.length != n
        || labelTimeMillis.length != n) {
      throw new IllegalArgumentException(
          "slice columns differ in length: features="
              + features.length
              + " labels="
              + n
              + " times="
              + eventTimeMillis.length
              + " ids="
              + entityIds.length
              + " label times="
              + labelTimeMillis.length);
    }
  }

  /** Rows whose labels were known at their event time (label time = event time). */
  public Slice(float[][] features, float[] labels, long[] eventTimeMillis, String[] entityIds) {
    this(features, labels, eventTimeMillis, entityIds, eventTimeMillis.clone());
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

  /**
   * The longest time from a row's event to its label in this slice (0 when empty): the label
   * maturity the pipeline applied, e.g. the fraud label delay plus its grace.
   */
  public long longestLabelLagMillis() {
    long lag = 0;
    for (int i = 0; i < size(); i++) {
      lag = Math.max(lag, labelTimeMillis[i] - eventTimeMillis[i]);
    }
    return lag;
  }

  /**
   * The rows whose label would have been known by now whatever it was: those at least the longest
   * label lag ({@link #longestLabelLagMillis()}) before the newest label. Where labels take
   * different times by class (churn: a negative resolves at the next purchase, a positive only
   * after the horizon), the rows after that are only the early class, and a model evaluated or
   * trained on them learns that recent means negative. Needs the slice in event-time order.
   */
  public Slice settled() {
    if (size() == 0) {
      return this;
    }
    long newestLabel = Long.MIN_VALUE;
    for (long t : labelTimeMillis) {
      newestLabel = Math.max(newestLabel, t);
    }
    long cut = newestLabel - longestLabelLagMillis();
    int k = 0;
    while (k < size() && eventTimeMillis[k] <= cut) {
      k++;
    }
    return range(0, k);
  }

  /** The rows whose indexes are {@code rows} (in that order). */
  public Slice rows(int[] rows) {
    int n = rows.length;
    float[][] f = new float[n][];
    float[] l = new float[n];
    long[] t = new long[n];
    String[] ids = new String[n];
    long[] lt = new long[n];
    for (int i = 0; i < n; i++) {
      int r = rows[i];
      f[i] = features[r];
      l[i] = labels[r];
      t[i] = eventTimeMillis[r];
      ids[i] = entityIds[r];
      lt[i] = labelTimeMillis[r];
    }
    return new Slice(f, l, t, ids, lt);
  }

  /**
   * A fingerprint of every value of the slice (features bit for bit, labels, event and label times,
   * entity ids, in row order): the first 16 hex digits of their SHA-256. Two runs that trained on
   * the same data show the same digest; a model that differs between runs with equal digests
   * differs because of training, not because of its data.
   */
  public String digest() {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    ByteBuffer b = ByteBuffer.allocate(8192);
    for (int i = 0; i < size(); i++) {
      byte[] id = String.valueOf(entityIds[i]).getBytes(StandardCharsets.UTF_8);
      int need = 4 * features[i].length + 4 + 16 + 4 + id.length;
      if (b.remaining() < need) {
        b.flip();
        sha.update(b);
        b.clear();
        if (b.capacity() < need) {
          b = ByteBuffer.allocate(need);
        }
      }
      for (float f : features[i]) {
        b.putInt(Float.floatToIntBits(f));
      }
      b.putInt(Float.floatToIntBits(labels[i]));
      b.putLong(eventTimeMillis[i]).putLong(labelTimeMillis[i]);
      b.putInt(id.length).put(id);
    }
    b.flip();
    sha.update(b);
    return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
  }

  /** Rows {@code from} (inclusive) to {@code to} (exclusive). */
  public Slice range(int from, int to) {
    int[] rows = new int[Math.max(0, to - from)];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = from + i;
    }
    return rows(rows);
  }
}
