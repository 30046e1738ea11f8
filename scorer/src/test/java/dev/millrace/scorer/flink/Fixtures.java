package dev.millrace.scorer.flink;

import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.Task;
import dev.millrace.scorer.FeatureSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Feature vectors, model artifacts and announcements for the scoring tests. */
final class Fixtures {

  static final List<String> NAMES = List.of("amount", "hour", "velocity");
  static final FeatureSchema SCHEMA = new FeatureSchema(NAMES);

  private final Path dir;

  Fixtures(Path dir) {
    this.dir = dir;
  }

  static FeatureVector vector(String eventId, long eventTime, float... features) {
    List<Float> values = new ArrayList<>();
    for (float f : features) {
      values.add(f);
    }
    return FeatureVector.newBuilder()
        .setTask(Task.FRAUD)
        .setEventId(eventId)
        .setEntityId("customer-" + eventId)
        .setEventTime(Instant.ofEpochMilli(eventTime))
        .setFeatureSchemaFingerprint(SCHEMA.fingerprint())
        .setFeatures(values)
        .build();
  }

  /** A linear model artifact on disk and a CHAMPION announcement that matches it. */
  ModelAnnouncement model(String version, float bias, float... weights) {
    return model(version, NAMES, bias, weights);
  }

  ModelAnnouncement model(String version, List<String> names, float bias, float... weights) {
    byte[] bytes = LinearModelLoader.artifact(version, names, bias, weights);
    Path file = dir.resolve(version + ".model");
    try {
      Files.write(file, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return ModelAnnouncement.newBuilder()
        .setTask(Task.FRAUD)
        .setVersion(version)
        .setArtifactUri(file.toUri().toString())
        .setSha256(LinearModelLoader.sha256(bytes))
        .setFeatureSchemaFingerprint(new FeatureSchema(names).fingerprint())
        .setMetrics(Map.of("auc", 0.9))
        .setStatus(ModelStatus.CHAMPION)
        .setAnnouncedAt(Instant.ofEpochMilli(1_000L + version.hashCode() % 1000))
        .build();
  }
}
