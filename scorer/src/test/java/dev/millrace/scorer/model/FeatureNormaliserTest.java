package dev.millrace.scorer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.millrace.scorer.model.ModelManifest.FeatureStats;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FeatureNormaliserTest {

  @Test
  void fitsLog1pForHeavyTailedNonNegativeFeaturesAndStandardisesTheRest() {
    Random r = new Random(1);
    float[][] rows = new float[10_000][4];
    for (float[] row : rows) {
      row[0] = (float) Math.exp(r.nextGaussian() * 1.5 + 3); // heavy-tailed amount
      row[1] = (float) (r.nextGaussian() * 2 + 5); // symmetric
      row[2] = (float) -Math.exp(r.nextGaussian() * 1.5); // skewed but negative
      row[3] = 7f; // constant
    }
    List<FeatureStats> stats = FeatureNormaliser.fit(List.of("a", "b", "c", "d"), rows, Map.of());
    assertThat(stats.get(0).transform()).isEqualTo(FeatureStats.LOG1P);
    assertThat(stats.get(0).mean()).isCloseTo(3.1, within(0.2));
    assertThat(stats.get(1).transform()).isEqualTo(FeatureStats.IDENTITY);
    assertThat(stats.get(1).mean()).isCloseTo(5.0, within(0.1));
    assertThat(stats.get(1).std()).isCloseTo(2.0, within(0.1));
    assertThat(stats.get(2).transform()).isEqualTo(FeatureStats.IDENTITY);
    assertThat(stats.get(3).std()).isEqualTo(1.0);

    FeatureNormaliser n = new FeatureNormaliser(stats, Map.of());
    float[] out = n.normalise(rows);
    double sum = 0;
    double sq = 0;
    for (int i = 0; i < rows.length; i++) {
      sum += out[i * 4];
      sq += out[i * 4] * out[i * 4];
    }
    assertThat(sum / rows.length).isCloseTo(0, within(0.01));
    assertThat(sq / rows.length).isCloseTo(1, within(0.02));
  }

  @Test
  void badValuesBecomeNeutralOrClipped() {
    List<FeatureStats> stats =
        List.of(
            new FeatureStats("amount", FeatureStats.LOG1P, 1, 0.5),
            new FeatureStats("x", FeatureStats.IDENTITY, 0, 1),
            new FeatureStats("merchant", FeatureStats.CATEGORY, 0, 1));
    FeatureNormaliser n = new FeatureNormaliser(stats, Map.of("merchant", List.of("a", "b", "c")));
    float[] out = n.normalise(new float[][] {{Float.NaN, Float.POSITIVE_INFINITY, 1f}});
    assertThat(out).containsExactly(0f, 0f, 1f);
    out = n.normalise(new float[][] {{-5f, 1e9f, 17f}});
    // log1p(max(0, -5)) = 0 -> (0 - 1) / 0.5 = -2; 1e9 clipped; unknown category -> OOV slot 3
    assertThat(out).containsExactly(-2f, FeatureNormaliser.CLIP, 3f);
    out = n.normalise(new float[][] {{0f, -1e9f, 2.5f}});
    assertThat(out).containsExactly(-2f, -FeatureNormaliser.CLIP, 3f);
  }
}
