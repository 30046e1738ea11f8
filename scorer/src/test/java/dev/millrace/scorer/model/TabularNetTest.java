package dev.millrace.scorer.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TabularNetTest {

  @Test
  void categoricalFeaturesGoThroughEmbeddings() throws Exception {
    List<String> features = List.of("amount", "merchant", "count", "channel");
    Map<String, List<String>> vocab =
        Map.of(
            "merchant", List.of("grocery", "travel", "online"), "channel", List.of("pos", "web"));
    ModelBundle bundle = TestModels.bundle(TestModels.manifest("e1", features, vocab), 3);
    try (TabularModel model = bundle.load()) {
      float[] p =
          model.predict(
              new float[][] {
                {50f, 0f, 3f, 0f},
                {50f, 1f, 3f, 0f},
                {50f, 2f, 3f, 1f},
                {50f, 9f, 3f, 7f}, // out of vocabulary
              });
      assertThat(p).hasSize(4);
      // the category changes the prediction; numeric inputs are identical
      assertThat(p[0]).isNotEqualTo(p[1]);
      assertThat(p[1]).isNotEqualTo(p[2]);
      for (float v : p) {
        assertThat(v).isBetween(0f, 1f);
      }
    }
    assertThat(TabularNet.defaultEmbeddingDim(4)).isEqualTo(4);
    assertThat(TabularNet.defaultEmbeddingDim(100_000)).isEqualTo(16);
  }

  @Test
  void regressionOutputIsNotSquashed() throws Exception {
    ModelManifest m = TestModels.manifest("r1");
    ModelManifest regression =
        new ModelManifest(
            m.formatVersion(),
            "demand",
            "r1",
            ModelManifest.REGRESSION,
            m.featureNames(),
            m.featureSchemaFingerprint(),
            m.normalisation(),
            m.categoricalVocabularies(),
            m.architecture(),
            m.training(),
            null,
            null,
            null,
            null,
            "cpu()",
            null);
    ModelBundle classifier = TestModels.bundle(m, 5);
    try (TabularModel reg = new ModelBundle(regression, classifier.parameters()).load();
        TabularModel cls = classifier.load()) {
      float[][] rows = TestModels.rows(5, 2);
      float[] logits = reg.predict(rows);
      float[] probabilities = cls.predict(rows);
      for (int i = 0; i < rows.length; i++) {
        assertThat(probabilities[i])
            .isCloseTo(
                (float) (1 / (1 + Math.exp(-logits[i]))),
                org.assertj.core.api.Assertions.within(1e-6f));
      }
    }
  }
}
