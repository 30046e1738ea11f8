package dev.millrace.ingest;

/**
 * The stable dead-letter reason codes of the ingest stages (the {@code reasonCode} of a {@code
 * DeadLetter}). Semantic codes come from the task's validation (e.g. {@code FraudValidation}); the
 * codes here are about the bytes and their shape.
 */
public final class ReasonCodes {

  /** The record has no value (null or zero bytes). Same code as the Flink job's parser. */
  public static final String EMPTY_VALUE = "EMPTY_VALUE";

  /**
   * The value is not a decodable Avro record of the topic's type in any known schema version
   * (random or truncated bytes). Same code as the Flink job's parser.
   */
  public static final String UNDECODABLE = "UNDECODABLE";

  /**
   * The value is single-object Avro written with a schema version this reader does not know (a
   * producer upgraded before its readers, or a record of another type). Readers upgrade first:
   * schemas are BACKWARD_TRANSITIVE. Same code as the Flink job's parser.
   */
  public static final String UNKNOWN_SCHEMA = "UNKNOWN_SCHEMA";

  /**
   * The stage's output for this record was refused by Kafka as too large (RecordTooLargeException);
   * the dead letter carries only a prefix of the source record.
   */
  public static final String OUTPUT_TOO_LARGE = "OUTPUT_TOO_LARGE";

  /** The value is not a JSON object (unparseable, not UTF-8, an array). */
  public static final String MALFORMED_JSON = "MALFORMED_JSON";

  /** A required field is absent or null. */
  public static final String MISSING_FIELD = "MISSING_FIELD";

  /** A field has the wrong JSON type or an unparseable value (e.g. amount "abc"). */
  public static final String WRONG_TYPE = "WRONG_TYPE";

  /** The check itself failed unexpectedly on this record (a bug, but the record is kept). */
  public static final String VALIDATION_FAILED = "VALIDATION_FAILED";

  public static final String NEGATIVE_AMOUNT = "NEGATIVE_AMOUNT";
  public static final String NON_FINITE_AMOUNT = "NON_FINITE_AMOUNT";

  /**
   * A finite amount larger than FraudValidation.MAX_AMOUNT (the largest float): the job's features
   * are floats, where such an amount would become Infinity.
   */
  public static final String AMOUNT_OUT_OF_RANGE = "AMOUNT_OUT_OF_RANGE";

  public static final String EMPTY_CUSTOMER_ID = "EMPTY_CUSTOMER_ID";
  public static final String EMPTY_TERMINAL_ID = "EMPTY_TERMINAL_ID";
  public static final String TIME_TOO_FAR_IN_PAST = "TIME_TOO_FAR_IN_PAST";
  public static final String TIME_TOO_FAR_IN_FUTURE = "TIME_TOO_FAR_IN_FUTURE";

  /** A customer or terminal id longer than FraudValidation.MAX_ID_LENGTH characters. */
  public static final String ID_TOO_LONG = "ID_TOO_LONG";

  private ReasonCodes() {}
}
