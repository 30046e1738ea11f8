package dev.millrace.ingest.fraud;

import dev.millrace.schemas.fraud.FraudTransaction;
import java.time.Instant;
import java.util.Iterator;
import java.util.Objects;

/**
 * Drift injected into replayed transactions, the generator's spending shift ({@link
 * FraudGenerator}): from {@code driftAt} on, amounts are {@link FraudGenerator#DRIFT_AMOUNT_FACTOR}
 * times larger (rounded to cents). Labels are kept as the data says.
 */
public final class FraudDrift {

  private FraudDrift() {}

  /** {@code transactions} with the drift from {@code driftAt} on; unchanged when it is null. */
  public static Iterator<LabeledTransaction> inject(
      Iterator<LabeledTransaction> transactions, Instant driftAt) {
    Objects.requireNonNull(transactions, "transactions");
    if (driftAt == null) {
      return transactions;
    }
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return transactions.hasNext();
      }

      @Override
      public LabeledTransaction next() {
        return apply(transactions.next(), driftAt);
      }
    };
  }

  /** {@code lt} with its amount scaled when it is at or after {@code driftAt}. */
  public static LabeledTransaction apply(LabeledTransaction lt, Instant driftAt) {
    if (driftAt == null || lt.eventTime().isBefore(driftAt)) {
      return lt;
    }
    FraudTransaction tx =
        FraudTransaction.newBuilder(lt.tx())
            .setAmount(
                Math.round(lt.tx().getAmount() * FraudGenerator.DRIFT_AMOUNT_FACTOR * 100) / 100.0)
            .build();
    return new LabeledTransaction(tx, lt.fraud(), lt.scenario());
  }
}
