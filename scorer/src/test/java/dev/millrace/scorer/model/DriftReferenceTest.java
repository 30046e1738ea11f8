package dev.millrace.scorer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.Task;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DriftReferenceTest {

  @Test
  void quantileBinsByHand() {
    // 10 values 1..10, 5 bins: edges at sorted[2], [4], [6], [8] = 3, 5, 7, 9
    double[] values = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
    DriftReference.Bins bins = DriftReference.Bins.of(values, 5);
    assertThat(bins.edges()).containsExactly(3.0, 5.0, 7.0, 9.0);
    // bins: (<3) {1,2}, [3,5) {3,4}, [5,7) {5,6}, [7,9) {7,8}, (>=9) {9,10}
    assertThat(bins.fractions()).containsExactly(0.2, 0.2, 0.2, 0.2, 0.2);
    assertThat(bins.bin(2.99)).isZero();
    assertThat(bins.bin(3)).isEqualTo(1);
    assertThat(bins.bin(100)).isEqualTo(4);
  }

  @Test
  void aScoreThatDiffersOnlyInFloatingPointNoiseGetsOneBin() {
    // an untrained model: every score 0.0049123 +- 1e-9; rounded edges (0.00491) lie below all
    double[] scores = new double[100];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = 0.0049123 + (i % 7) * 1e-9;
    }
    DriftReference.Bins bins = DriftReference.Bins.of(scores, 10);
    assertThat(bins.edges()).isEmpty();
    assertThat(bins.fractions()).containsExactly(1.0);
  }

  @Test
  void tiesCollapseIntoFewerBins() {
    // a binary feature, 70% zeros: only the edge 1 survives -> bins {0} and {1}
    double[] values = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1};
    DriftReference.Bins bins = DriftReference.Bins.of(values, 10);
    assertThat(bins.edges()).containsExactly(1.0);
    assertThat(bins.fractions().get(0)).isCloseTo(0.7, within(1e-12));
    assertThat(bins.fractions().get(1)).isCloseTo(0.3, within(1e-12));
  }

  @Test
  void computesPerFeatureAndScoreAndRoundTripsThroughTheManifest() throws Exception {
    float[][] rows = {{1, 0}, {2, 0}, {3, 1}, {4, 1}};
    float[] scores = {0.1f, 0.2f, 0.3f, 0.4f};
    DriftReference ref = DriftReference.compute(List.of("a", "b"), rows, scores, 2);
    // a: 2 bins, edge sorted[2] = 3 -> {1,2} {3,4}; b: edge sorted[2] = 1 -> {0,0} {1,1}
    assertThat(ref.features().get("a").edges()).containsExactly(3.0);
    assertThat(ref.features().get("b").fractions()).containsExactly(0.5, 0.5);
    // edges keep 3 significant digits: 0.3f (0.30000001192...) becomes 0.3
    assertThat(ref.score().edges()).containsExactly(0.3);
    assertThat(DriftReference.fromJson(ref.toJson())).isEqualTo(ref);

    ModelManifest plain = TestModels.manifest("v1");
    List<String> names = plain.featureNames();
    float[][] wide = new float[4][names.size()];
    ModelManifest withRef =
        plain.withDriftReference(DriftReference.compute(names, wide, scores, 10));
    ModelManifest back =
        ModelBundle.json()
            .readValue(ModelBundle.json().writeValueAsBytes(withRef), ModelManifest.class);
    assertThat(back.driftReference()).isEqualTo(withRef.driftReference());
    assertThat(back.withProvenance(Map.of("x", 1.0), null, null, Instant.EPOCH).driftReference())
        .isEqualTo(withRef.driftReference());
    assertThatThrownBy(
            () -> plain.withDriftReference(DriftReference.compute(List.of("a"), rows, scores, 2)))
        .hasMessageContaining("lacks features");
  }

  @Test
  void bundlesWithoutAReferenceStillLoad() throws Exception {
    try (InputStream in =
        getClass().getClassLoader().getResourceAsStream(GoldenBundleTest.BUNDLE)) {
      ModelBundle golden = ModelBundle.read(in);
      assertThat(golden.manifest().driftReference()).isNull();
    }
  }

  @Test
  void readsTheReferenceOfAnAnnouncedBundleAndChecksItsChecksum(@TempDir Path dir)
      throws Exception {
    ModelManifest plain = TestModels.manifest("v1");
    float[][] rows = new float[5][plain.featureNames().size()];
    DriftReference ref =
        DriftReference.compute(plain.featureNames(), rows, new float[] {1, 2, 3, 4, 5}, 10);
    ModelBundle bundle = TestModels.bundle(plain.withDriftReference(ref), 1);
    Path file = dir.resolve("b.zip");
    Files.write(file, bundle.toBytes());
    ModelAnnouncement a =
        ModelAnnouncement.newBuilder()
            .setTask(Task.FRAUD)
            .setVersion("v1")
            .setArtifactUri(file.toUri().toString())
            .setSha256(bundle.sha256())
            .setFeatureSchemaFingerprint(plain.featureSchemaFingerprint())
            .setMetrics(Map.of())
            .setStatus(ModelStatus.CHAMPION)
            .setAnnouncedAt(Instant.EPOCH)
            .build();
    assertThat(DriftReference.of(a)).contains(ref);
    a.setSha256("00");
    assertThatThrownBy(() -> DriftReference.of(a)).hasMessageContaining("SHA-256");
  }
}
