package dev.millrace.pipeline.fraud;

import dev.millrace.ingest.Rejection;
import dev.millrace.ingest.ValidationRules;
import dev.millrace.ingest.fraud.FraudValidation;
import dev.millrace.pipeline.AvroParser;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * {@code fraud.events} bytes to {@link FraudTransaction}s, checked with ingest's {@link
 * FraudValidation} (the same rules as the Kafka Streams validator) and against the stream's own
 * progress ({@link AvroParser#EVENT_TIME_AHEAD_OF_STREAM}); the rest to the dead letters. Event
 * time: the transaction's {@code eventTime}.
 */
public final class ParseTransactions extends AvroParser<FraudTransaction> {

  private static final long serialVersionUID = 1L;

  /** Stage name in dead letters. */
  public static final String STAGE = "fraud-pipeline/parse-events";

  private final Instant earliest;
  private final Duration maxAhead;
  private transient ValidationRules rules;

  /**
   * @param rules the time bounds against the wall clock
   * @param maxAheadOfStream the bound against the newest accepted event time of a partition
   * @param clock the wall clock
   */
  public ParseTransactions(ValidationRules rules, Duration maxAheadOfStream, Clock clock) {
    super(FraudTransaction.class, STAGE, clock, maxAheadOfStream);
    this.earliest = rules.earliest();
    this.maxAhead = rules.maxAheadOfWallClock();
  }

  @Override
  protected Optional<Rejection> validate(FraudTransaction tx, Instant wallClockNow) {
    if (rules == null) {
      rules = new ValidationRules(earliest, maxAhead);
    }
    return FraudValidation.check(tx, rules, wallClockNow);
  }

  @Override
  public long eventTimeMillis(FraudTransaction tx) {
    return tx.getEventTime().toEpochMilli();
  }
}
