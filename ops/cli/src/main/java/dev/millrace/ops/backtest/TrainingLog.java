package dev.millrace.ops.backtest;

import dev.millrace.schemas.TrainingExample;
import dev.millrace.trainer.eval.Slice;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The training examples the job committed to {@code <task>.training}, as the backtest's trainer
 * sees them. {@link #window} gives a deterministic window: the examples of transactions before a
 * bound, in (event time, event id) order, whatever order the topic's partitions delivered them in.
 */
public final class TrainingLog {

  private record Row(long time, String eventId, String entity, float[] features, float label) {}

  private static final Comparator<Row> ORDER =
      Comparator.comparingLong(Row::time).thenComparing(Row::eventId);

  private final List<Row> rows = new ArrayList<>();
  private long received;
  private long pruned;

  public synchronized void add(TrainingExample e) {
    List<Float> values = e.getFeatures();
    float[] f = new float[values.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = values.get(i);
    }
    rows.add(
        new Row(
            e.getEventTime().toEpochMilli(),
            e.getEventId(),
            e.getEntityId(),
            f,
            (float) e.getLabel()));
    received++;
  }

  /** Examples received so far. */
  public synchronized long received() {
    return received;
  }

  /** Examples received whose transaction is before {@code boundMillis} (which must not go back). */
  public synchronized long countBefore(long boundMillis) {
    long n = pruned; // pruned rows are older than any later bound
    for (Row r : rows) {
      if (r.time() < boundMillis) {
        n++;
      }
    }
    return n;
  }

  /**
   * The latest {@code maxRows} examples of transactions before {@code boundMillis}, in event-time
   * order; examples older than the window's first are dropped, as no later window needs them.
   */
  public synchronized Slice window(long boundMillis, int maxRows) {
    List<Row> before = new ArrayList<>();
    for (Row r : rows) {
      if (r.time() < boundMillis) {
        before.add(r);
      }
    }
    before.sort(ORDER);
    List<Row> w = before.subList(Math.max(0, before.size() - maxRows), before.size());
    int n = w.size();
    float[][] x = new float[n][];
    float[] y = new float[n];
    long[] t = new long[n];
    String[] ids = new String[n];
    for (int i = 0; i < n; i++) {
      Row r = w.get(i);
      x[i] = r.features();
      y[i] = r.label();
      t[i] = r.time();
      ids[i] = r.entity();
    }
    if (n > 0) {
      long first = t[0];
      int held = rows.size();
      rows.removeIf(r -> r.time() < first);
      pruned += held - rows.size();
    }
    return new Slice(x, y, t, ids);
  }
}
