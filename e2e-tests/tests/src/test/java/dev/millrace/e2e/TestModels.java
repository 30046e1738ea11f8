package dev.millrace.e2e;

import dev.millrace.ingest.fraud.FraudGenerator;
import dev.millrace.ingest.fraud.LabeledTransaction;
import dev.millrace.pipeline.fraud.FraudFeatureEngine;
import dev.millrace.pipeline.fraud.FraudFeatures;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.Task;
import dev.millrace.scorer.model.ModelBundle;
import dev.millrace.scorer.model.ModelStore;
import dev.millrace.trainer.model.Dataset;
import dev.millrace.trainer.model.TabularTrainer;
import dev.millrace.trainer.model.TrainSettings;
import dev.millrace.trainer.model.TrainedModel;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/** Real fraud models for tests: trained with DJL on generated data, stored, announced. */
public final class TestModels {

  /** A few seconds on a CPU. */
  public static final TrainSettings FAST =
      new TrainSettings(6, 256, 1e-2f, 1e-4f, new int[] {32, 16}, 0f, false, 7L, true);

  private TestModels() {}

  /**
   * Trains a model on the features of {@code rows} generated transactions (seeded, so the same
   * arguments give the same model), computed with the pipeline's own feature code.
   */
  public static ModelBundle train(String version, int rows, long seed) {
    return train(version, rows, seed, false);
  }

  /**
   * As {@link #train(String, int, long)}; with {@code noiseLabels} the labels are coin flips
   * (seeded) instead of the generator's frauds, which gives a real model that has learnt nothing: a
   * champion any honest challenger beats.
   */
  public static ModelBundle train(String version, int rows, long seed, boolean noiseLabels) {
    java.util.Random coin = new java.util.Random(seed);
    FraudGenerator generator =
        new FraudGenerator(FraudGenerator.Settings.defaults().withSeed(seed).withSize(500, 1000));
    FraudFeatureEngine engine = new FraudFeatureEngine(Duration.ofHours(1));
    float[][] features = new float[rows][];
    float[] labels = new float[rows];
    long[] times = new long[rows];
    String[] customers = new String[rows];
    for (int i = 0; i < rows; i++) {
      LabeledTransaction tx = generator.next();
      features[i] = engine.onTransaction(tx.tx());
      labels[i] = noiseLabels ? (coin.nextInt(10) == 0 ? 1f : 0f) : (tx.fraud() ? 1f : 0f);
      times[i] = tx.eventTime().toEpochMilli();
      customers[i] = tx.customerId();
    }
    Dataset data = new Dataset(features, labels, times, customers);
    try (TrainedModel model =
        new TabularTrainer(FAST).train("fraud", version, FraudFeatures.SCHEMA, data, null)) {
      return model.toBundle(Map.of(), null, null);
    }
  }

  /** Writes the bundle to the store; returns its announcement (status CHAMPION, true SHA-256). */
  public static ModelAnnouncement store(ModelStore store, ModelBundle bundle) throws IOException {
    URI uri = store.put(bundle);
    return announcement(bundle, uri, store.sha256(uri));
  }

  public static ModelAnnouncement announcement(ModelBundle bundle, URI uri, String sha256) {
    return ModelAnnouncement.newBuilder()
        .setTask(Task.FRAUD)
        .setVersion(bundle.manifest().version())
        .setArtifactUri(uri.toString())
        .setSha256(sha256)
        .setFeatureSchemaFingerprint(FraudFeatures.SCHEMA.fingerprint())
        .setMetrics(Map.of())
        .setStatus(ModelStatus.CHAMPION)
        .setAnnouncedAt(Instant.now())
        .build();
  }
}
