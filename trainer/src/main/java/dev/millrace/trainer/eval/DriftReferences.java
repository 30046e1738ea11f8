package dev.millrace.trainer.eval;

import dev.millrace.scorer.FeatureSchema;
import dev.millrace.scorer.model.DriftReference;
import dev.millrace.scorer.model.ModelBundle;

/**
 * Adds the drift reference to a bundle before it is stored: quantile bins of every feature on the
 * training slice and of the model's scores on the evaluation slice (what live traffic right after
 * the training window looks like to the model).
 */
public final class DriftReferences {

  private DriftReferences() {}

  /** The reference of a model trained on {@code train} that scored {@code evalScores}. */
  public static DriftReference of(FeatureSchema schema, Slice train, float[] evalScores) {
    return DriftReference.compute(
        schema.names(), train.features(), evalScores, DriftReference.DEFAULT_BINS);
  }

  /** {@code bundle} with the reference in its manifest. */
  public static ModelBundle withReference(ModelBundle bundle, DriftReference reference) {
    return new ModelBundle(bundle.manifest().withDriftReference(reference), bundle.parameters());
  }
}
