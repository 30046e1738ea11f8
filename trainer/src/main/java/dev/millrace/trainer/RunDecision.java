package dev.millrace.trainer;

/** What came of one training run. */
public enum RunDecision {
  /** The challenger beat the champion (or the no-skill baseline) and was announced. */
  PROMOTED,
  /** The challenger did not beat the champion; nothing was announced. */
  REJECTED,
  /** The window (or its evaluation slice) held no positive example; no model was trained. */
  SKIPPED_NO_POSITIVES,
  /** Too few rows to train and evaluate on separate time slices. */
  SKIPPED_TOO_FEW_ROWS,
  /** The run failed (training, storing or announcing); the champion stays. */
  FAILED
}
