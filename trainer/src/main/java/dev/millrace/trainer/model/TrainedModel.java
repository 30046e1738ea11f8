package dev.millrace.trainer.model;

import dev.millrace.scorer.model.ModelBundle;
import dev.millrace.scorer.model.ModelManifest;
import dev.millrace.scorer.model.TabularModel;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The result of {@link TabularTrainer#train}: the kept (best) parameters loaded through exactly the
 * scorer's code path ({@link TabularModel}), the per-epoch losses, and the way to a {@link
 * ModelBundle}. {@link #close()} frees its native memory.
 */
public final class TrainedModel implements AutoCloseable {

  private final ModelManifest manifest;
  private final byte[] parameters;
  private final TabularModel model;
  private final List<Double> epochLosses;
  private final List<Double> validationLosses;
  private final String device;
  private final Duration trainingTime;

  TrainedModel(
      ModelManifest manifest,
      byte[] parameters,
      TabularModel model,
      List<Double> epochLosses,
      List<Double> validationLosses,
      String device,
      Duration trainingTime) {
    this.manifest = manifest;
    this.parameters = parameters;
    this.model = model;
    this.epochLosses = List.copyOf(epochLosses);
    this.validationLosses = List.copyOf(validationLosses);
    this.device = device;
    this.trainingTime = trainingTime;
  }

  /**
   * Predictions for the rows (feature-schema order), as the scorer would compute them:
   * probabilities for a binary head, values on the target's original scale for a regression head.
   */
  public synchronized float[] predict(float[][] rows) {
    return model.predict(rows);
  }

  /** Mean (class-weighted) training loss of each epoch run. */
  public List<Double> epochLosses() {
    return epochLosses;
  }

  /** Mean (class-weighted) validation loss after each epoch; empty without validation data. */
  public List<Double> validationLosses() {
    return validationLosses;
  }

  /** The device it was trained on, e.g. {@code cpu()} or {@code gpu(0)}. */
  public String device() {
    return device;
  }

  /** Wall-clock training time (normalisation, epochs and validation). */
  public Duration trainingTime() {
    return trainingTime;
  }

  /**
   * The bundle to store and announce: the manifest with the given holdout metrics and training-data
   * window (null ends keep the window seen in the training data). Deterministic: the same arguments
   * give the same bytes.
   */
  public ModelBundle toBundle(
      Map<String, Double> holdoutMetrics, Instant windowStart, Instant windowEnd) {
    return new ModelBundle(
        manifest.withProvenance(
            holdoutMetrics,
            windowStart != null ? windowStart : manifest.trainingWindowStart(),
            windowEnd != null ? windowEnd : manifest.trainingWindowEnd(),
            manifest.createdAt()),
        parameters);
  }

  /** The manifest (no holdout metrics; training window from the training data's event times). */
  public ModelManifest manifest() {
    return manifest;
  }

  @Override
  public synchronized void close() {
    model.close();
  }
}
