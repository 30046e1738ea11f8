package dev.millrace.trainer.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PairedBootstrapTest {

  /** {@code rows} rows, about 1 % positive, a day per 10,000 rows, 3,000 cards. */
  private static Slice slice(int rows, long seed) {
    Random r = new Random(seed);
    float[][] f = new float[rows][1];
    float[] y = new float[rows];
    long[] t = new long[rows];
    String[] ids = new String[rows];
    for (int i = 0; i < rows; i++) {
      f[i][0] = (float) r.nextGaussian();
      y[i] = r.nextDouble() < 1 / (1 + Math.exp(-(2.5 * f[i][0] - 6))) ? 1f : 0f;
      t[i] = i * 8_640L;
      ids[i] = "card-" + r.nextInt(3_000);
    }
    return new Slice(f, y, t, ids);
  }

  /** A noisy score of the slice's signal. */
  private static float[] exact(Slice s, double noise, long seed) {
    Random r = new Random(seed);
    float[] out = new float[s.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (s.features()[i][0] + noise * r.nextGaussian());
    }
    return out;
  }

  /** A noisy score of the slice's signal, rounded to 2 decimals so that there are many ties. */
  private static float[] scores(Slice s, double noise, long seed) {
    Random r = new Random(seed);
    float[] out = new float[s.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = Math.round((s.features()[i][0] + noise * r.nextGaussian()) * 100) / 100f;
    }
    return out;
  }

  /**
   * The bootstrap done the slow, obvious way, with the same draws as {@link PairedBootstrap}: draw
   * entities, materialise each resample (an entity drawn w times brings its rows w times, each copy
   * a card of its own) and compute both metrics with {@link Metrics}.
   */
  private static double[] naive(
      PromotionMetric metric,
      Slice s,
      float[] a,
      float[] b,
      int resamples,
      double conf,
      long seed) {
    Map<String, Integer> index = new LinkedHashMap<>();
    for (String id : s.entityIds()) {
      index.putIfAbsent(id, index.size());
    }
    int entities = index.size();
    SplittableRandom random = new SplittableRandom(seed);
    int n = s.size();
    double[] diffs = new double[resamples];
    int defined = 0;
    for (int k = 0; k < resamples; k++) {
      int[] w = new int[entities];
      for (int e = 0; e < entities; e++) {
        w[random.nextInt(entities)]++;
      }
      List<Integer> rows = new ArrayList<>();
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int copies = w[index.get(s.entityIds()[i])];
        for (int c = 0; c < copies; c++) {
          rows.add(i);
          ids.add(s.entityIds()[i] + "#" + c);
        }
      }
      int m = rows.size();
      float[] y = new float[m];
      float[] sa = new float[m];
      float[] sb = new float[m];
      long[] t = new long[m];
      for (int j = 0; j < m; j++) {
        y[j] = s.labels()[rows.get(j)];
        sa[j] = a[rows.get(j)];
        sb[j] = b[rows.get(j)];
        t[j] = s.eventTimeMillis()[rows.get(j)];
      }
      String[] c = ids.toArray(new String[0]);
      double d =
          switch (metric) {
            case ROC_AUC -> Metrics.rocAuc(y, sa) - Metrics.rocAuc(y, sb);
            case AVERAGE_PRECISION ->
                Metrics.averagePrecision(y, sa) - Metrics.averagePrecision(y, sb);
            case CARD_PRECISION_AT_K ->
                Metrics.cardPrecisionAtK(y, sa, t, c, 100)
                    - Metrics.cardPrecisionAtK(y, sb, t, c, 100);
          };
      if (Double.isFinite(d)) {
        diffs[defined++] = d;
      }
    }
    double[] sorted = Arrays.copyOf(diffs, defined);
    Arrays.sort(sorted);
    double tail = (1 - conf) / 2;
    return new double[] {
      PairedBootstrap.quantile(sorted, tail), PairedBootstrap.quantile(sorted, 1 - tail)
    };
  }

  @Test
  void theSortedOnceWeightedMetricsEqualTheMetricsOfTheResampledRows() {
    Slice s = slice(3_000, 1);
    PairedBootstrap bootstrap = new PairedBootstrap(50, 0.9, 11);
    for (PromotionMetric m : PromotionMetric.values()) {
      // rounded scores (many ties) for AP and AUC; card precision breaks ties by card id, which
      // the copies of the naive version rename
      boolean ties = m != PromotionMetric.CARD_PRECISION_AT_K;
      float[] a = ties ? scores(s, 0.5, 2) : exact(s, 0.5, 2);
      float[] b = ties ? scores(s, 0.8, 3) : exact(s, 0.8, 3);
      PairedBootstrap.Interval fast = bootstrap.difference(m, s, a, b, 100);
      double[] slow = naive(m, s, a, b, 50, 0.9, 11);
      assertThat(fast.lower()).as(m.key()).isCloseTo(slow[0], within(1e-9));
      assertThat(fast.upper()).as(m.key()).isCloseTo(slow[1], within(1e-9));
      double onSlice =
          switch (m) {
            case ROC_AUC -> Metrics.rocAuc(s.labels(), a) - Metrics.rocAuc(s.labels(), b);
            case AVERAGE_PRECISION ->
                Metrics.averagePrecision(s.labels(), a) - Metrics.averagePrecision(s.labels(), b);
            case CARD_PRECISION_AT_K ->
                Metrics.cardPrecisionAtK(s.labels(), a, s.eventTimeMillis(), s.entityIds(), 100)
                    - Metrics.cardPrecisionAtK(
                        s.labels(), b, s.eventTimeMillis(), s.entityIds(), 100);
          };
      assertThat(fast.estimate()).isEqualTo(onSlice);
      assertThat(fast.lower()).as(m.key() + " " + fast.text()).isLessThan(fast.estimate());
      assertThat(fast.upper()).as(m.key() + " " + fast.text()).isGreaterThan(fast.estimate());
    }
  }

  @Test
  void isRepeatableForASeedAndPairsTheRows() {
    Slice s = slice(5_000, 4);
    float[] a = scores(s, 0.5, 5);
    PairedBootstrap bootstrap = new PairedBootstrap(200, 0.9, 7);
    PairedBootstrap.Interval one =
        bootstrap.difference(PromotionMetric.AVERAGE_PRECISION, s, a, a.clone(), 100);
    // the same scores on both sides: every paired resample differs by exactly 0
    assertThat(one.lower()).isZero();
    assertThat(one.upper()).isZero();
    float[] b = scores(s, 0.9, 6);
    PairedBootstrap.Interval x =
        bootstrap.difference(PromotionMetric.AVERAGE_PRECISION, s, a, b, 100);
    PairedBootstrap.Interval y =
        bootstrap.difference(PromotionMetric.AVERAGE_PRECISION, s, a, b, 100);
    PairedBootstrap.Interval z =
        new PairedBootstrap(200, 0.9, 8)
            .difference(PromotionMetric.AVERAGE_PRECISION, s, a, b, 100);
    assertThat(x).isEqualTo(y);
    assertThat(z).isNotEqualTo(x);
    assertThat(x.resamples()).isEqualTo(200);
    assertThat(x.text()).startsWith("Δ +").contains("[90% CI ");
  }

  @Test
  void againstTheNoSkillBaselineAndOnCardPrecision() {
    Slice s = slice(20_000, 9);
    float[] a = scores(s, 0.3, 10);
    PairedBootstrap bootstrap = new PairedBootstrap(100, 0.9, 3);
    for (PromotionMetric m : PromotionMetric.values()) {
      PairedBootstrap.Interval i = bootstrap.difference(m, s, a, null, 100);
      assertThat(i.estimate())
          .as(m.key())
          .isCloseTo(
              switch (m) {
                    case AVERAGE_PRECISION -> Metrics.averagePrecision(s.labels(), a);
                    case ROC_AUC -> Metrics.rocAuc(s.labels(), a);
                    case CARD_PRECISION_AT_K ->
                        Metrics.cardPrecisionAtK(
                            s.labels(), a, s.eventTimeMillis(), s.entityIds(), 100);
                  }
                  - Metrics.noSkill(m, s, 100),
              within(1e-12));
      assertThat(i.lower()).as(m.key() + " " + i.text()).isPositive();
    }
  }

  /** CPU time of this thread (wall time means little on a loaded build machine). */
  private static long cpuMillis() {
    return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() / 1_000_000;
  }

  @Test
  void fortyThousandRowsTwoHundredResamplesTakeWellUnderASecondOfCpu() {
    Slice s = slice(40_000, 12);
    float[] a = scores(s, 0.5, 13);
    float[] b = scores(s, 0.6, 14);
    PairedBootstrap bootstrap = new PairedBootstrap(200, 0.9, 1);
    bootstrap.difference(PromotionMetric.AVERAGE_PRECISION, s, a, b, 100); // warm up
    for (PromotionMetric m : PromotionMetric.values()) {
      long cpu = cpuMillis();
      long wall = System.nanoTime();
      PairedBootstrap.Interval i = bootstrap.difference(m, s, a, b, 100);
      long cpuMs = cpuMillis() - cpu;
      long wallMs = (System.nanoTime() - wall) / 1_000_000;
      System.out.printf(
          "paired bootstrap, %s, 40,000 rows x 200 resamples: %d ms CPU, %d ms wall (%s)%n",
          m.key(), cpuMs, wallMs, i.text());
      assertThat(cpuMs).as(m.key()).isLessThan(1_000);
    }
  }
}
