package dev.millrace.trainer.eval;

import dev.millrace.scorer.FeatureSchema;
import dev.millrace.scorer.model.DriftReference;
import dev.millrace.scorer.model.ModelBundle;
import java.time.Instant;

/**
 * Adds the drift reference to a bundle before it is stored: quantile bins of every feature on the
 * training slice and of the model's scores on the evaluation slice (what live traffic right after
 * the training window looks like to the model). A feature that needs a warm-up ({@link
 * FeatureSchema#warmUp}) is binned only over the rows past its warm-up from the earliest example
 * the trainer has seen when there are at least {@link #MIN_COMPLETE_ROWS} of them, so a window that
 * starts with the stream does not put the ramp of a 30-day count into the reference.
 */
public final class DriftReferences {

  /** Fewest complete rows for a feature's bins; with fewer, all rows are binned. */
  public static final int MIN_COMPLETE_ROWS = 1_000;

  private DriftReferences() {}

  /**
   * The reference of a model trained on {@code train} that scored {@code evalScores} on {@code
   * eval}; {@code dataStart} is the earliest event time of the data (null: the first row's).
   */
  public static DriftReference of(
      FeatureSchema schema, Slice train, Slice eval, float[] evalScores, Instant dataStart) {
    long start =
        dataStart != null
            ? dataStart.toEpochMilli()
            : train.size() > 0 ? train.eventTimeMillis()[0] : Long.MIN_VALUE / 2;
    return DriftReference.compute(
        schema,
        train.features(),
        train.eventTimeMillis(),
        evalScores,
        eval.eventTimeMillis(),
        start,
        DriftReference.DEFAULT_BINS,
        MIN_COMPLETE_ROWS);
  }

  /** {@code bundle} with the reference in its manifest. */
  public static ModelBundle withReference(ModelBundle bundle, DriftReference reference) {
    return new ModelBundle(bundle.manifest().withDriftReference(reference), bundle.parameters());
  }
}
