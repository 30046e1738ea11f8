package dev.millrace.scorer.eval;

import java.util.List;

/**
 * Population stability index: {@code sum_i (a_i - e_i) * ln(a_i / e_i)} over bins, where {@code
 * e_i} is the reference fraction of bin {@code i} and {@code a_i} the observed one. Fractions below
 * {@link #FLOOR} count as {@link #FLOOR}, so an empty bin gives a large but finite term. Rule of
 * thumb: below 0.1 stable, 0.1 to 0.2 moderate shift, above 0.2 significant shift.
 */
public final class Psi {

  /** Smallest fraction a bin counts with. */
  public static final double FLOOR = 1e-4;

  private Psi() {}

  /**
   * @param expected reference fractions per bin (summing to 1)
   * @param actualCounts observed rows per bin
   * @return the index; NaN when there are no observed rows
   */
  public static double of(List<Double> expected, long[] actualCounts) {
    if (expected.size() != actualCounts.length) {
      throw new IllegalArgumentException(
          expected.size() + " reference bins but " + actualCounts.length + " observed");
    }
    long total = 0;
    for (long c : actualCounts) {
      total += c;
    }
    if (total == 0) {
      return Double.NaN;
    }
    double psi = 0;
    for (int i = 0; i < actualCounts.length; i++) {
      double e = Math.max(expected.get(i), FLOOR);
      double a = Math.max(actualCounts[i] / (double) total, FLOOR);
      psi += (a - e) * Math.log(a / e);
    }
    return psi;
  }
}
