package dev.millrace.scorer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.millrace.scorer.BatchModel;
import dev.millrace.scorer.FeatureSchema;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A bundle written by format version 1 of this code (committed under {@code golden/}) must keep
 * loading and predicting the same values. Regenerate only on purpose, with {@code
 * -Dmillrace.golden.regenerate=true}, and say why in the commit.
 */
class GoldenBundleTest {

  static final String BUNDLE = "golden/fraud-golden-v1.zip";
  static final String EXPECTED = "golden/fraud-golden-v1.expected.json";
  static final List<String> FEATURES =
      List.of("amount", "tx_count_1d", "tx_count_7d", "terminal_risk_7d", "hour_of_day", "channel");

  static final float[][] ROWS = {
    {12.5f, 1f, 4f, 0.0f, 3f, 0f},
    {950.0f, 6f, 31f, 0.8f, 23f, 1f},
    {73.2f, 0f, 0f, 0.1f, 12f, 5f},
  };

  @Test
  void goldenBundleLoadsAndPredictsTheRecordedValues() throws Exception {
    if (Boolean.getBoolean("millrace.golden.regenerate")) {
      regenerate();
    }
    byte[] bytes;
    try (InputStream in = resource(BUNDLE)) {
      bytes = in.readAllBytes();
    }
    JsonNode expected;
    try (InputStream in = resource(EXPECTED)) {
      expected = ModelBundle.json().readTree(in);
    }
    assertThat(ModelBundle.sha256(bytes)).isEqualTo(expected.get("sha256").asText());

    ModelBundle bundle = ModelBundle.fromBytes(bytes);
    ModelManifest m = bundle.manifest();
    assertThat(m.formatVersion()).isEqualTo(1);
    assertThat(m.version()).isEqualTo("golden-v1");
    assertThat(m.featureNames()).isEqualTo(FEATURES);
    assertThat(m.featureSchemaFingerprint()).isEqualTo(new FeatureSchema(FEATURES).fingerprint());
    assertThat(m.categoricalVocabularies()).containsKey("channel");
    assertThat(m.training().schedule()).isEqualTo("one-cycle");
    // re-serialising what was read gives the very same file
    assertThat(bundle.toBytes()).isEqualTo(bytes);

    // through the loader, exactly as a scoring operator would
    Path dir = Files.createTempDirectory("golden");
    Path file = dir.resolve("golden.zip");
    Files.write(file, bytes);
    FeatureSchema schema = new FeatureSchema(FEATURES);
    try (BatchModel model =
        new DjlModelLoader()
            .load(
                TestModels.announcement(
                    "golden-v1",
                    file.toUri(),
                    expected.get("sha256").asText(),
                    schema.fingerprint()),
                schema)) {
      float[] p = model.predict(ROWS);
      JsonNode want = expected.get("predictions");
      assertThat(p).hasSize(want.size());
      for (int i = 0; i < p.length; i++) {
        assertThat((double) p[i]).isCloseTo(want.get(i).asDouble(), within(1e-5));
      }
    } finally {
      Files.deleteIfExists(file);
      Files.deleteIfExists(dir);
    }
  }

  private static InputStream resource(String name) {
    InputStream in = GoldenBundleTest.class.getClassLoader().getResourceAsStream(name);
    assertThat(in).as("test resource %s", name).isNotNull();
    return in;
  }

  /** Writes the golden files into src/test/resources (run from the module directory). */
  private static void regenerate() throws Exception {
    ModelManifest manifest =
        TestModels.manifest(
            "golden-v1", FEATURES, Map.of("channel", List.of("pos", "web", "moto")));
    ModelBundle bundle = TestModels.bundle(manifest, 20240101);
    float[] p;
    try (TabularModel model = bundle.load()) {
      p = model.predict(ROWS);
    }
    Path root = Path.of("src/test/resources");
    Path zip = root.resolve(BUNDLE);
    Files.createDirectories(zip.getParent());
    byte[] bytes = bundle.toBytes();
    Files.write(zip, bytes);
    ObjectNode json = ModelBundle.json().createObjectNode();
    json.put("sha256", ModelBundle.sha256(bytes));
    json.put("note", "predictions of the golden bundle for GoldenBundleTest.ROWS");
    var arr = json.putArray("predictions");
    for (float v : p) {
      arr.add((double) v);
    }
    Files.write(root.resolve(EXPECTED), ModelBundle.json().writeValueAsBytes(json));
    // copy to the test classpath too, so this run reads what it wrote
    Path classes = Path.of("target/test-classes");
    Files.createDirectories(classes.resolve(BUNDLE).getParent());
    Files.write(classes.resolve(BUNDLE), bytes);
    Files.write(classes.resolve(EXPECTED), ModelBundle.json().writeValueAsBytes(json));
  }
}
