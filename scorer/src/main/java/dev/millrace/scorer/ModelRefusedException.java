package dev.millrace.scorer;

/**
 * A model was not applied; the message says why (checksum, signature, feature schema, unreadable,
 * ...).
 */
public final class ModelRefusedException extends Exception {

  /** Stable reason codes, for metrics and logs. */
  public enum Reason {
    ARTIFACT_MISSING,
    CHECKSUM_MISMATCH,
    FEATURE_SCHEMA_MISMATCH,
    /** The artifact is larger than the loader's cap: refused before it is read into memory. */
    TOO_LARGE,
    UNREADABLE,
    /** The scorer verifies signatures and the artifact has no signature file beside it. */
    UNSIGNED,
    /**
     * The scorer verifies signatures and the artifact's signature is not one of the configured
     * public key over its bytes (another key, a changed artifact, a damaged signature).
     */
    BAD_SIGNATURE
  }

  private final Reason reason;

  public ModelRefusedException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public ModelRefusedException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
