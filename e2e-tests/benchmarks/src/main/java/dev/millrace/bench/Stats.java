package dev.millrace.bench;

import java.util.Arrays;
import java.util.Locale;

/**
 * Mean and sample standard deviation (n - 1) of a few runs, e.g. one metric over seeds.
 *
 * @param mean the mean
 * @param sd the sample standard deviation; 0 for a single value
 * @param n number of values
 */
public record Stats(double mean, double sd, int n) {

  /** The statistics of {@code values}; at least one. */
  public static Stats of(double... values) {
    if (values.length == 0) {
      throw new IllegalArgumentException("no values");
    }
    double mean = Arrays.stream(values).average().orElseThrow();
    double ss = 0;
    for (double v : values) {
      ss += (v - mean) * (v - mean);
    }
    double sd = values.length > 1 ? Math.sqrt(ss / (values.length - 1)) : 0;
    return new Stats(mean, sd, values.length);
  }

  /** "0.874 ± 0.004", or "0.874" for a single value. */
  public String format() {
    return n > 1
        ? String.format(Locale.ROOT, "%.3f ± %.3f", mean, sd)
        : String.format(Locale.ROOT, "%.3f", mean);
  }
}
