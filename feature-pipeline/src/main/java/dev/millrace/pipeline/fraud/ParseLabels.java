package dev.millrace.pipeline.fraud;

import dev.millrace.ingest.Rejection;
import dev.millrace.pipeline.AvroParser;
import dev.millrace.schemas.fraud.FraudLabel;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * {@code fraud.labels} bytes to {@link FraudLabel}s; undecodable or inconsistent labels go to the
 * dead letters.
 *
 * <p>Checks: {@link #EMPTY_TERMINAL_ID}, {@link #EMPTY_CUSTOMER_ID}, {@link
 * #LABEL_BEFORE_TRANSACTION} (an outcome cannot be known before the payment happened), and {@link
 * AvroParser#EVENT_TIME_AHEAD_OF_STREAM} against the label time. Event time: the label's {@code
 * labelTime} (when the outcome became known).
 */
public final class ParseLabels extends AvroParser<FraudLabel> {

  private static final long serialVersionUID = 1L;

  /** Stage name in dead letters. */
  public static final String STAGE = "fraud-pipeline/parse-labels";

  public static final String EMPTY_TERMINAL_ID = "EMPTY_TERMINAL_ID";
  public static final String EMPTY_CUSTOMER_ID = "EMPTY_CUSTOMER_ID";
  public static final String LABEL_BEFORE_TRANSACTION = "LABEL_BEFORE_TRANSACTION";

  /**
   * @param maxAheadOfStream the bound against the newest accepted label time of a partition
   * @param clock the wall clock
   */
  public ParseLabels(Duration maxAheadOfStream, Clock clock) {
    super(FraudLabel.class, STAGE, clock, maxAheadOfStream);
  }

  @Override
  public long eventTimeMillis(FraudLabel label) {
    return label.getLabelTime().toEpochMilli();
  }

  @Override
  protected Optional<Rejection> validate(FraudLabel label, Instant wallClockNow) {
    return check(label);
  }

  /** The first problem of a label, or empty. */
  public static Optional<Rejection> check(FraudLabel label) {
    if (label.getTerminalId() == null || label.getTerminalId().isBlank()) {
      return Optional.of(
          new Rejection(EMPTY_TERMINAL_ID, "terminalId is empty: '" + label.getTerminalId() + "'"));
    }
    if (label.getCustomerId() == null || label.getCustomerId().isBlank()) {
      return Optional.of(
          new Rejection(EMPTY_CUSTOMER_ID, "customerId is empty: '" + label.getCustomerId() + "'"));
    }
    if (label.getLabelTime().isBefore(label.getTransactionTime())) {
      return Optional.of(
          new Rejection(
              LABEL_BEFORE_TRANSACTION,
              "labelTime "
                  + label.getLabelTime()
                  + " is before the transaction time "
                  + label.getTransactionTime()));
    }
    return Optional.empty();
  }
}
