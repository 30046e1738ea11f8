package dev.millrace.pipeline.monitoring;

import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.Task;
import dev.millrace.scorer.FeatureSchema;
import dev.millrace.scorer.model.DriftReference;
import dev.millrace.scorer.model.ModelBundle;
import dev.millrace.scorer.model.ModelManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Announcements of stand-in models for the drift monitor's tests: a real bundle file (identity
 * normalisation, a dummy net the monitor never runs) carrying the given drift reference.
 */
final class DriftTestModels {

  private DriftTestModels() {}

  /** Writes {@code <dir>/<version>.zip} and announces it as champion at {@code at}. */
  static ModelAnnouncement announce(
      Path dir, String version, List<String> features, DriftReference ref, Instant at)
      throws IOException {
    List<ModelManifest.FeatureStats> stats =
        features.stream()
            .map(f -> new ModelManifest.FeatureStats(f, ModelManifest.FeatureStats.IDENTITY, 0, 1))
            .toList();
    ModelManifest manifest =
        new ModelManifest(
                ModelManifest.FORMAT_VERSION,
                "fraud",
                version,
                ModelManifest.BINARY_CLASSIFICATION,
                features,
                new FeatureSchema(features).fingerprint(),
                stats,
                Map.of(),
                new ModelManifest.Architecture(List.of(4), 0, false, Map.of()),
                new ModelManifest.Training(
                    1, 1, 1, 8, 0.01, 0, "one-cycle", "adam", 1, false, 1, 10, 1, 0),
                null,
                null,
                Map.of(),
                Map.of(),
                "cpu()",
                at)
            .withDriftReference(ref);
    ModelBundle bundle = new ModelBundle(manifest, new byte[] {1, 2, 3});
    Path file = dir.resolve(version + ".zip");
    Files.write(file, bundle.toBytes());
    return ModelAnnouncement.newBuilder()
        .setTask(Task.FRAUD)
        .setVersion(version)
        .setArtifactUri(file.toUri().toString())
        .setSha256(bundle.sha256())
        .setFeatureSchemaFingerprint(manifest.featureSchemaFingerprint())
        .setMetrics(Map.of())
        .setStatus(ModelStatus.CHAMPION)
        .setAnnouncedAt(at)
        .build();
  }
}
