package dev.millrace.scorer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelBundleTest {

  @Test
  void roundTripsThroughItsBytesAndHashesExactlyThoseBytes() throws Exception {
    ModelBundle bundle = TestModels.bundle("v1");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    bundle.write(out);
    byte[] bytes = out.toByteArray();

    ModelBundle read = ModelBundle.read(new ByteArrayInputStream(bytes));
    assertThat(read).isEqualTo(bundle);
    assertThat(read.manifest()).isEqualTo(bundle.manifest());
    assertThat(read.parameters()).isEqualTo(bundle.parameters());

    String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    assertThat(bundle.sha256()).isEqualTo(expected).matches("[0-9a-f]{64}");
    // deterministic: writing again (or writing what was read) gives the same bytes
    assertThat(read.toBytes()).isEqualTo(bytes);
    assertThat(TestModels.bundle("v1").sha256()).isEqualTo(expected);
    assertThat(TestModels.bundle("v2").sha256()).isNotEqualTo(expected);
  }

  @Test
  void manifestIsReadableJsonWithProvenance() throws Exception {
    ModelBundle bundle = TestModels.bundle("v3");
    String json =
        new String(ModelBundle.json().writeValueAsBytes(bundle.manifest()), StandardCharsets.UTF_8);
    assertThat(json)
        .contains("\"formatVersion\" : 1")
        .contains("\"featureSchemaFingerprint\" : \"sha256:")
        .contains("\"transform\" : \"log1p\"")
        .contains("\"schedule\" : \"one-cycle\"")
        .contains("\"trainingWindowStart\" : \"2018-04-01T00:00:00Z\"")
        .contains("\"pytorch\" : \"2.7.1\"");
  }

  @Test
  void loadedBundlePredictsProbabilities() throws Exception {
    try (TabularModel model = TestModels.bundle("v1").load()) {
      float[] p = model.predict(TestModels.rows(10, 1));
      assertThat(p).hasSize(10);
      for (float v : p) {
        assertThat(v).isBetween(0f, 1f);
      }
      assertThat(model.predict(new float[0][])).isEmpty();
      assertThatThrownBy(() -> model.predict(new float[][] {{1f, 2f}}))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("needs 5 features");
    }
  }

  @Test
  void refusesFilesThatAreNotBundles() throws Exception {
    assertThatThrownBy(() -> ModelBundle.fromBytes("not a zip".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("manifest.json is missing");

    ModelBundle good = TestModels.bundle("v1");
    byte[] futureManifest =
        new String(ModelBundle.json().writeValueAsBytes(good.manifest()), StandardCharsets.UTF_8)
            .replace("\"formatVersion\" : 1", "\"formatVersion\" : 99")
            .getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      zip.putNextEntry(new ZipEntry(ModelBundle.MANIFEST_ENTRY));
      zip.write(futureManifest);
      zip.putNextEntry(new ZipEntry(ModelBundle.PARAMETERS_ENTRY));
      zip.write(good.parameters());
    }
    assertThatThrownBy(() -> ModelBundle.fromBytes(out.toByteArray()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("format version 99");
  }

  @Test
  void parametersThatDoNotFitTheArchitectureAreRefused() {
    ModelBundle small = TestModels.bundle("v1");
    ModelManifest wider =
        TestModels.manifest("v1", List.of("a", "b", "c", "d", "e", "f", "g"), Map.of());
    ModelBundle mismatched = new ModelBundle(wider, small.parameters());
    assertThatThrownBy(mismatched::load)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("do not fit");
  }

  @Test
  void storeWritesTaskVersionZipAtomicallyAndHashesTheFile(@TempDir Path dir) throws Exception {
    ModelStore store = new ModelStore(dir.toUri());
    ModelBundle bundle = TestModels.bundle("2024-01-01T00-00-00Z-abc");
    URI uri = store.put(bundle);

    Path file = dir.resolve("fraud").resolve("2024-01-01T00-00-00Z-abc.zip");
    assertThat(Path.of(uri)).isEqualTo(file);
    assertThat(file).exists();
    try (Stream<Path> files = Files.list(file.getParent())) {
      assertThat(files).containsExactly(file); // no temporary files left behind
    }
    assertThat(Files.readAllBytes(file)).isEqualTo(bundle.toBytes());
    assertThat(store.sha256(uri)).isEqualTo(bundle.sha256());
    assertThat(store.read(uri)).isEqualTo(bundle);
    assertThat(store.exists(uri)).isTrue();
    try (var in = store.open(uri)) {
      assertThat(in.readAllBytes()).isEqualTo(Files.readAllBytes(file));
    }
    // putting the same version again replaces it in place
    assertThat(store.put(bundle)).isEqualTo(uri);
    assertThat(store.locationOf("fraud", "v9")).isEqualTo(dir.resolve("fraud/v9.zip").toUri());

    URI missing = dir.resolve("fraud/none.zip").toUri();
    assertThat(store.exists(missing)).isFalse();
    assertThatThrownBy(() -> store.open(missing)).isInstanceOf(java.io.FileNotFoundException.class);
    assertThatThrownBy(() -> store.locationOf("fraud", "../escape"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
