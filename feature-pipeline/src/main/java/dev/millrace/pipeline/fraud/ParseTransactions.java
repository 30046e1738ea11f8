package dev.millrace.pipeline.fraud;

import dev.millrace.ingest.Rejection;
import dev.millrace.ingest.ValidationRules;
import dev.millrace.ingest.fraud.FraudValidation;
import dev.millrace.pipeline.AvroParser;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.apache.flink.util.OutputTag;

/**
 * {@code fraud.events} bytes to {@link FraudTransaction}s, checked with ingest's {@link
 * FraudValidation} (the same rules as the Kafka Streams validator); the rest to the dead letters.
 */
public final class ParseTransactions extends AvroParser<FraudTransaction> {

  private static final long serialVersionUID = 1L;

  /** Stage name in dead letters. */
  public static final String STAGE = "fraud-pipeline/parse-events";

  private final Instant earliest;
  private final Duration maxAhead;
  private transient ValidationRules rules;

  public ParseTransactions(ValidationRules rules, OutputTag<DeadLetter> deadLetters, Clock clock) {
    super(FraudTransaction.class, STAGE, deadLetters, clock);
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
}
