package dev.millrace.scorer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.millrace.scorer.model.ModelManifest.FeatureStats;
import dev.millrace.scorer.model.ModelManifest.Target;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The model head in the manifest: regression with its target, and old bundles as binary. */
class RegressionManifestTest {

  private static final List<String> FEATURES = List.of("a", "b", "store");

  @Test
  void aBundleWithoutTheNewFieldsLoadsAsTodaysBinaryModel() throws Exception {
    byte[] bytes;
    try (InputStream in =
        getClass().getClassLoader().getResourceAsStream(GoldenBundleTest.BUNDLE)) {
      bytes = in.readAllBytes();
    }
    ModelBundle bundle = ModelBundle.fromBytes(bytes);
    assertThat(bundle.manifest().target()).isNull();
    assertThat(bundle.manifest().isRegression()).isFalse();
    assertThat(bundle.toBytes()).isEqualTo(bytes);
    assertThat(ModelBundle.json().writeValueAsString(bundle.manifest()))
        .doesNotContain("\"target\"")
        .doesNotContain("\"regression\"");
    try (TabularModel model = bundle.load()) {
      for (float p : model.predict(GoldenBundleTest.ROWS)) {
        assertThat(p).isBetween(0f, 1f);
      }
    }

    // a manifest with no objective at all is a binary classifier too
    ObjectNode json = (ObjectNode) ModelBundle.json().valueToTree(bundle.manifest());
    json.remove("objective");
    ModelManifest noObjective = ModelBundle.json().treeToValue(json, ModelManifest.class);
    assertThat(noObjective.isRegression()).isFalse();
  }

  @Test
  void theRegressionHeadRoundTripsAndPredictsOnTheOriginalScale() throws Exception {
    Target target = new Target(FeatureStats.LOG1P, 8.5, 0.4);
    ModelManifest binary =
        TestModels.manifest("r1", FEATURES, Map.of("store", List.of("1", "2", "3")));
    ModelManifest m = regression(binary, target);
    String text = ModelBundle.json().writeValueAsString(m);
    assertThat(text)
        .contains("\"objective\" : \"regression\"")
        .contains("\"transform\" : \"log1p\"");
    ModelManifest back = ModelBundle.json().readValue(text, ModelManifest.class);
    assertThat(back).isEqualTo(m);
    assertThat(back.target()).isEqualTo(target);
    assertThat(back.withProvenance(Map.of("rmspe", 0.1), null, null, m.createdAt()).target())
        .isEqualTo(target);

    // the same parameters: the regression model gives expm1(z * std + mean) of the logit z
    ModelBundle bin = TestModels.bundle(binary, 7);
    float[][] rows = {{0.1f, 2f, 0f}, {-1f, 0.5f, 2f}, {3f, -2f, 9f}};
    float[] p;
    try (TabularModel classifier = bin.load()) {
      p = classifier.predict(rows);
    }
    try (TabularModel regressor = new ModelBundle(m, bin.parameters()).load()) {
      float[] q = regressor.predict(rows);
      for (int i = 0; i < rows.length; i++) {
        double z = Math.log(p[i] / (1 - p[i]));
        assertThat((double) q[i]).isCloseTo(Math.expm1(z * 0.4 + 8.5), within(q[i] * 1e-4));
        assertThat(q[i]).isGreaterThan(1f);
      }
    }
  }

  @Test
  void aTargetIsRefusedOnABinaryHeadAndUnknownTransformsAnywhere() {
    ModelManifest binary = TestModels.manifest("r2", FEATURES, Map.of());
    assertThatThrownBy(() -> new Target("sqrt", 0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sqrt");
    assertThatThrownBy(
            () ->
                new ModelManifest(
                    binary.formatVersion(),
                    binary.task(),
                    binary.version(),
                    ModelManifest.BINARY_CLASSIFICATION,
                    binary.featureNames(),
                    binary.featureSchemaFingerprint(),
                    binary.normalisation(),
                    binary.categoricalVocabularies(),
                    binary.architecture(),
                    binary.training(),
                    null,
                    null,
                    Map.of(),
                    Map.of(),
                    "cpu()",
                    binary.createdAt(),
                    null,
                    Target.IDENTITY))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("regression only");
  }

  static ModelManifest regression(ModelManifest b, Target target) {
    return new ModelManifest(
        b.formatVersion(),
        b.task(),
        b.version(),
        ModelManifest.REGRESSION,
        b.featureNames(),
        b.featureSchemaFingerprint(),
        b.normalisation(),
        b.categoricalVocabularies(),
        b.architecture(),
        b.training(),
        b.trainingWindowStart(),
        b.trainingWindowEnd(),
        b.holdoutMetrics(),
        b.libraryVersions(),
        b.device(),
        b.createdAt(),
        null,
        target);
  }
}
