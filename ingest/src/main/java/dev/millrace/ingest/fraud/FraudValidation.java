package dev.millrace.ingest.fraud;

import dev.millrace.ingest.ReasonCodes;
import dev.millrace.ingest.Rejection;
import dev.millrace.ingest.ValidationRules;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.time.Instant;
import java.util.Optional;

/**
 * Semantic checks of a decoded {@link FraudTransaction}, shared by the Kafka Streams validator and
 * the Flink fraud job. Pure: no I/O, no clock of its own (the caller passes the wall clock).
 *
 * <p>Checks, in this order, the first failure wins: {@link #MISSING_FIELD} (a null field, only
 * possible for records built by hand), {@link #NON_FINITE_AMOUNT}, {@link #NEGATIVE_AMOUNT}, {@link
 * #AMOUNT_OUT_OF_RANGE}, {@link #EMPTY_CUSTOMER_ID}, {@link #EMPTY_TERMINAL_ID}, {@link
 * #ID_TOO_LONG}, {@link #TIME_TOO_FAR_IN_PAST}, {@link #TIME_TOO_FAR_IN_FUTURE}.
 */
public final class FraudValidation {

  public static final String MISSING_FIELD = ReasonCodes.MISSING_FIELD;
  public static final String NON_FINITE_AMOUNT = ReasonCodes.NON_FINITE_AMOUNT;
  public static final String NEGATIVE_AMOUNT = ReasonCodes.NEGATIVE_AMOUNT;
  public static final String AMOUNT_OUT_OF_RANGE = ReasonCodes.AMOUNT_OUT_OF_RANGE;
  public static final String EMPTY_CUSTOMER_ID = ReasonCodes.EMPTY_CUSTOMER_ID;
  public static final String EMPTY_TERMINAL_ID = ReasonCodes.EMPTY_TERMINAL_ID;
  public static final String TIME_TOO_FAR_IN_PAST = ReasonCodes.TIME_TOO_FAR_IN_PAST;
  public static final String TIME_TOO_FAR_IN_FUTURE = ReasonCodes.TIME_TOO_FAR_IN_FUTURE;
  public static final String ID_TOO_LONG = ReasonCodes.ID_TOO_LONG;

  /**
   * The longest customer or terminal id accepted, in characters. Ids are keys of state and are
   * copied into every score and training example: a longer one is dead-lettered, not carried on.
   */
  public static final int MAX_ID_LENGTH = 256;

  /**
   * The largest amount accepted: {@link Float#MAX_VALUE}. The job's features and the model's input
   * are floats; a larger finite double (e.g. 1e300) would become Infinity there, so it is
   * dead-lettered here with {@link #AMOUNT_OUT_OF_RANGE}. Not a business cap: any amount a float
   * can hold is accepted.
   */
  public static final double MAX_AMOUNT = Float.MAX_VALUE;

  private FraudValidation() {}

  /**
   * Returns the first problem of {@code tx}, or empty if it is acceptable.
   *
   * @param tx a decoded transaction (null gives {@link #MISSING_FIELD})
   * @param rules time bounds
   * @param wallClockNow the current wall-clock time of the validating stage
   */
  public static Optional<Rejection> check(
      FraudTransaction tx, ValidationRules rules, Instant wallClockNow) {
    if (tx == null) {
      return reject(MISSING_FIELD, "transaction is null");
    }
    if (tx.getEventTime() == null) {
      return reject(MISSING_FIELD, "eventTime is missing");
    }
    if (tx.getCustomerId() == null) {
      return reject(MISSING_FIELD, "customerId is missing");
    }
    if (tx.getTerminalId() == null) {
      return reject(MISSING_FIELD, "terminalId is missing");
    }
    double amount = tx.getAmount();
    if (!Double.isFinite(amount)) {
      return reject(NON_FINITE_AMOUNT, "amount is not a finite number: " + amount);
    }
    if (amount < 0) {
      return reject(NEGATIVE_AMOUNT, "amount is negative: " + amount);
    }
    if (amount > MAX_AMOUNT) {
      return reject(
          AMOUNT_OUT_OF_RANGE,
          "amount " + amount + " is beyond the float range (largest accepted " + MAX_AMOUNT + ")");
    }
    if (tx.getCustomerId().isBlank()) {
      return reject(EMPTY_CUSTOMER_ID, "customerId is empty: '" + tx.getCustomerId() + "'");
    }
    if (tx.getTerminalId().isBlank()) {
      return reject(EMPTY_TERMINAL_ID, "terminalId is empty: '" + tx.getTerminalId() + "'");
    }
    if (tx.getCustomerId().length() > MAX_ID_LENGTH) {
      return reject(ID_TOO_LONG, tooLong("customerId", tx.getCustomerId()));
    }
    if (tx.getTerminalId().length() > MAX_ID_LENGTH) {
      return reject(ID_TOO_LONG, tooLong("terminalId", tx.getTerminalId()));
    }
    Instant time = tx.getEventTime();
    if (time.isBefore(rules.earliest())) {
      return reject(
          TIME_TOO_FAR_IN_PAST,
          "eventTime " + time + " is before the earliest accepted time " + rules.earliest());
    }
    Instant latest = rules.latest(wallClockNow);
    if (time.isAfter(latest)) {
      return reject(
          TIME_TOO_FAR_IN_FUTURE,
          "eventTime "
              + time
              + " is more than "
              + rules.maxAheadOfWallClock()
              + " ahead of the wall clock "
              + wallClockNow);
    }
    return Optional.empty();
  }

  private static String tooLong(String field, String id) {
    return field
        + " has "
        + id.length()
        + " characters, more than the "
        + MAX_ID_LENGTH
        + " accepted: '"
        + id.substring(0, 32)
        + "...'";
  }

  private static Optional<Rejection> reject(String code, String reason) {
    return Optional.of(new Rejection(code, reason));
  }
}
