package dev.millrace.scorer;

import dev.millrace.schemas.ModelAnnouncement;
import java.io.Serializable;

/**
 * Turns a model announcement into a loaded model, after checking the artifact's SHA-256 and its
 * feature-schema fingerprint against the announcement and the job. Serializable so that a Flink
 * operator can carry it to its subtasks; each subtask calls {@link #load} itself.
 */
public interface ModelLoader extends Serializable {

  /**
   * @param announcement what the trainer announced
   * @param expected the features the job produces
   * @throws ModelRefusedException when the artifact is missing, its checksum or its feature schema
   *     does not match, its signature is missing or wrong (a loader that checks signatures), or it
   *     cannot be loaded; the caller keeps its current model
   */
  BatchModel load(ModelAnnouncement announcement, FeatureSchema expected)
      throws ModelRefusedException;

  /**
   * Checks, when a scoring operator opens, that models can be loaded where asked (e.g. that {@code
   * --device gpu} has a GPU), so that a job fails at once instead of refusing every model later.
   *
   * @throws IllegalStateException with a one-line reason when they cannot
   */
  default void checkReady() {}
}
