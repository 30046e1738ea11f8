package dev.millrace.ingest.fraud;

import dev.millrace.schemas.fraud.FraudLabel;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.time.Instant;
import java.util.Objects;

/**
 * A transaction together with its true outcome, as a dataset or the generator knows it. The outcome
 * is not part of the event: it is published later, as a {@link FraudLabel}.
 *
 * @param tx the event as it goes on {@code fraud.events}
 * @param fraud whether the transaction is fraudulent
 * @param scenario 0 = genuine, 1 = amount over 220, 2 = compromised terminal, 3 = compromised
 *     customer (the Fraud Detection Handbook's scenarios); leaks the label, never a feature
 */
public record LabeledTransaction(FraudTransaction tx, boolean fraud, int scenario) {

  public LabeledTransaction {
    Objects.requireNonNull(tx, "tx");
    if (scenario < 0 || scenario > 3) {
      throw new IllegalArgumentException("fraud scenario must be 0..3, got " + scenario);
    }
  }

  public Instant eventTime() {
    return tx.getEventTime();
  }

  public String customerId() {
    return tx.getCustomerId();
  }

  /** The label event for this transaction, known at {@code labelTime}. */
  public FraudLabel label(Instant labelTime) {
    return FraudLabel.newBuilder()
        .setTransactionId(tx.getTransactionId())
        .setCustomerId(tx.getCustomerId())
        .setTerminalId(tx.getTerminalId())
        .setTransactionTime(tx.getEventTime())
        .setLabelTime(labelTime)
        .setFraud(fraud)
        .build();
  }
}
