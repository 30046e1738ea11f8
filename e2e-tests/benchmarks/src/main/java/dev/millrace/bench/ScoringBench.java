package dev.millrace.bench;

import dev.millrace.scorer.BatchModel;
import java.util.Arrays;

/**
 * Scores feature vectors with a loaded model in micro-batches of a fixed size, one call per batch
 * as the scoring operator makes them, and measures throughput and the latency of each call (what
 * every event of the batch waits for the model).
 */
public final class ScoringBench {

  /**
   * @param batchSize events per model call
   * @param events events scored (after warm-up)
   * @param eventsPerSecond events / wall time of all calls
   * @param p50Micros median wall time of one call, in microseconds
   * @param p99Micros 99th percentile of one call, in microseconds
   */
  public record Result(
      int batchSize, int events, double eventsPerSecond, double p50Micros, double p99Micros) {}

  private ScoringBench() {}

  /**
   * Scores the first {@code events} rows of {@code rows} (cycling if there are fewer) in batches of
   * {@code batchSize}, after {@code warmupCalls} untimed calls.
   */
  public static Result run(
      BatchModel model, float[][] rows, int batchSize, int events, int warmupCalls) {
    if (rows.length == 0 || batchSize < 1 || events < batchSize) {
      throw new IllegalArgumentException("need rows, batchSize >= 1 and events >= batchSize");
    }
    float[][] batch = new float[batchSize][];
    int next = 0;
    for (int w = 0; w < warmupCalls; w++) {
      next = fill(batch, rows, next);
      model.predict(batch);
    }
    int calls = events / batchSize;
    long[] nanos = new long[calls];
    double sink = 0;
    long start = System.nanoTime();
    for (int c = 0; c < calls; c++) {
      next = fill(batch, rows, next);
      long t0 = System.nanoTime();
      float[] p = model.predict(batch);
      nanos[c] = System.nanoTime() - t0;
      sink += p[0];
    }
    long total = System.nanoTime() - start;
    if (Double.isNaN(sink)) {
      throw new IllegalStateException("the model returned NaN");
    }
    Arrays.sort(nanos);
    int scored = calls * batchSize;
    return new Result(
        batchSize,
        scored,
        scored / (total / 1e9),
        percentile(nanos, 0.50) / 1e3,
        percentile(nanos, 0.99) / 1e3);
  }

  /** Nearest-rank percentile of sorted values. */
  static double percentile(long[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
  }

  private static int fill(float[][] batch, float[][] rows, int next) {
    for (int i = 0; i < batch.length; i++) {
      batch[i] = rows[next];
      next = (next + 1) % rows.length;
    }
    return next;
  }
}
