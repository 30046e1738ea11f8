package dev.millrace.pipeline.fraud;

import dev.millrace.ingest.Rejection;
import dev.millrace.ingest.ValidationRules;
import dev.millrace.ingest.fraud.FraudValidation;
import dev.millrace.pipeline.AvroParser;
import dev.millrace.schemas.fraud.FraudLabel;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * {@code fraud.labels} bytes to {@link FraudLabel}s; undecodable or inconsistent labels go to the
 * dead letters. Event time: the label's {@code labelTime} (when the outcome became known).
 *
 * <p>Checks: {@link #EMPTY_TERMINAL_ID}, {@link #EMPTY_CUSTOMER_ID}, {@link
 * #LABEL_BEFORE_TRANSACTION} (an outcome cannot be known before the payment happened), {@link
 * FraudValidation#TIME_TOO_FAR_IN_FUTURE} (label time more than the rules allow ahead of the wall
 * clock).
 *
 * <p>No bound against the stream's own progress ({@link AvroParser#EVENT_TIME_AHEAD_OF_STREAM}):
 * labels are sparse (a partition may have no fraud for days of event time, and a backlog reads
 * those days in milliseconds of wall clock), so such a bound would dead-letter real labels after
 * every gap, which is what the label join must never lose. A label far ahead can move only its own
 * partition's watermark, and the operators it feeds follow the smaller of the events' and the
 * labels' watermarks; one whose label time is past its transaction's maturity is a dead letter of
 * the label join.
 */
public final class ParseLabels extends AvroParser<FraudLabel> {

  private static final long serialVersionUID = 1L;

  /** Stage name in dead letters. */
  public static final String STAGE = "fraud-pipeline/parse-labels";

  public static final String EMPTY_TERMINAL_ID = "EMPTY_TERMINAL_ID";
  public static final String EMPTY_CUSTOMER_ID = "EMPTY_CUSTOMER_ID";
  public static final String LABEL_BEFORE_TRANSACTION = "LABEL_BEFORE_TRANSACTION";

  private final Duration maxAheadOfWallClock;

  /**
   * @param rules the time bound against the wall clock ({@code earliest} is the transactions')
   * @param clock the wall clock
   */
  public ParseLabels(ValidationRules rules, Clock clock) {
    super(FraudLabel.class, STAGE, clock, null);
    this.maxAheadOfWallClock = rules.maxAheadOfWallClock();
  }

  @Override
  public long eventTimeMillis(FraudLabel label) {
    return label.getLabelTime().toEpochMilli();
  }

  @Override
  protected Optional<Rejection> validate(FraudLabel label, Instant wallClockNow) {
    Optional<Rejection> problem = check(label);
    if (problem.isPresent()) {
      return problem;
    }
    Instant latest = wallClockNow.plus(maxAheadOfWallClock);
    if (label.getLabelTime().isAfter(latest)) {
      return Optional.of(
          new Rejection(
              FraudValidation.TIME_TOO_FAR_IN_FUTURE,
              "labelTime "
                  + label.getLabelTime()
                  + " is more than "
                  + maxAheadOfWallClock
                  + " ahead of the wall clock "
                  + wallClockNow));
    }
    return Optional.empty();
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
