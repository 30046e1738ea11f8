package dev.millrace.scorer.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.Task;
import dev.millrace.scorer.FeatureSchema;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small, seeded, randomly initialised models for scorer tests. */
final class TestModels {

  static final List<String> FEATURES =
      List.of("amount", "tx_count_1d", "tx_count_7d", "terminal_risk_7d", "hour_of_day");

  private TestModels() {}

  static ModelManifest manifest(
      String version, List<String> features, Map<String, List<String>> vocabularies) {
    List<ModelManifest.FeatureStats> stats = new ArrayList<>();
    for (int i = 0; i < features.size(); i++) {
      String f = features.get(i);
      if (vocabularies.containsKey(f)) {
        stats.add(new ModelManifest.FeatureStats(f, ModelManifest.FeatureStats.CATEGORY, 0, 1));
      } else if (i % 2 == 0) {
        stats.add(new ModelManifest.FeatureStats(f, ModelManifest.FeatureStats.LOG1P, 3.5, 1.2));
      } else {
        stats.add(new ModelManifest.FeatureStats(f, ModelManifest.FeatureStats.IDENTITY, 2.0, 4.0));
      }
    }
    Map<String, String> libs = new LinkedHashMap<>();
    libs.put("djl", "0.36.0");
    libs.put("pytorch", "2.7.1");
    libs.put("java", "17");
    return new ModelManifest(
        ModelManifest.FORMAT_VERSION,
        "fraud",
        version,
        ModelManifest.BINARY_CLASSIFICATION,
        features,
        new FeatureSchema(features).fingerprint(),
        stats,
        vocabularies,
        new ModelManifest.Architecture(List.of(8, 4), 0.2, true, Map.of()),
        new ModelManifest.Training(
            5, 5, 5, 64, 3e-3, 1e-2, "one-cycle", "adamw", 42L, true, 10.0, 1000, 100, 0),
        Instant.parse("2018-04-01T00:00:00Z"),
        Instant.parse("2018-05-01T00:00:00Z"),
        Map.of("auc", 0.5),
        libs,
        "cpu()",
        Instant.parse("2024-01-01T00:00:00Z"));
  }

  static ModelManifest manifest(String version) {
    return manifest(version, FEATURES, Map.of());
  }

  /** A bundle with parameters randomly initialised from {@code seed}. */
  static ModelBundle bundle(ModelManifest manifest, int seed) {
    Engine.getEngine("PyTorch").setRandomSeed(seed);
    Block block = TabularNet.build(manifest);
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      block.initialize(manager, DataType.FLOAT32, new Shape(2, manifest.featureNames().size()));
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        block.saveParameters(out);
      }
      return new ModelBundle(manifest, bytes.toByteArray());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static ModelBundle bundle(String version) {
    return bundle(manifest(version), 42);
  }

  static ModelAnnouncement announcement(
      String version, URI uri, String sha256, String fingerprint) {
    return ModelAnnouncement.newBuilder()
        .setTask(Task.FRAUD)
        .setVersion(version)
        .setArtifactUri(uri.toString())
        .setSha256(sha256)
        .setFeatureSchemaFingerprint(fingerprint)
        .setMetrics(Map.of())
        .setStatus(ModelStatus.CHAMPION)
        .setAnnouncedAt(Instant.parse("2024-01-01T00:00:00Z"))
        .build();
  }

  /** Seeded fraud-like rows: amounts, counts, risks, hours. */
  static float[][] rows(int n, long seed) {
    java.util.Random r = new java.util.Random(seed);
    float[][] rows = new float[n][FEATURES.size()];
    for (float[] row : rows) {
      row[0] = (float) Math.exp(r.nextGaussian() + 4);
      row[1] = r.nextInt(8);
      row[2] = r.nextInt(40);
      row[3] = r.nextFloat();
      row[4] = r.nextInt(24);
    }
    return rows;
  }
}
