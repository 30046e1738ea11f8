package dev.millrace.pipeline.fraud;

import dev.millrace.schemas.fraud.FraudLabel;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The fraud features outside Flink, with the same classes the job keeps as keyed state: feed it
 * transactions and labels in processing order and it returns each transaction's 15 features. Used
 * by the benchmark and as the reference in tests. Not thread-safe.
 */
public final class FraudFeatureEngine {

  private final long allowedLatenessMs;
  private final Map<String, CustomerHistory> customers = new HashMap<>();
  private final Map<String, TerminalHistory> terminals = new HashMap<>();

  /**
   * @param allowedLateness how late (behind the newest transaction of the same customer/terminal) a
   *     transaction may arrive and still see exact windows
   */
  public FraudFeatureEngine(Duration allowedLateness) {
    this.allowedLatenessMs = allowedLateness.toMillis();
  }

  /** The 15 features of {@code tx} in {@link FraudFeatures#NAMES} order; records the tx. */
  public float[] onTransaction(FraudTransaction tx) {
    long time = tx.getEventTime().toEpochMilli();
    float[] features = FraudFeatures.transactionFeatures(tx.getEventTime(), tx.getAmount());
    FraudFeatures.setCustomer(
        features,
        customers
            .computeIfAbsent(tx.getCustomerId(), id -> new CustomerHistory())
            .observe(time, tx.getAmount(), allowedLatenessMs));
    FraudFeatures.setTerminal(
        features,
        terminals
            .computeIfAbsent(tx.getTerminalId(), id -> new TerminalHistory())
            .observe(time, tx.getTransactionId(), allowedLatenessMs));
    return features;
  }

  /** Records a label; only fraud labels change features. */
  public void onLabel(FraudLabel label) {
    if (!label.getFraud()) {
      return;
    }
    terminals
        .computeIfAbsent(label.getTerminalId(), id -> new TerminalHistory())
        .fraudLabel(
            label.getTransactionId(),
            label.getTransactionTime().toEpochMilli(),
            label.getLabelTime().toEpochMilli(),
            allowedLatenessMs);
  }

  /** Customers with state. */
  public int customers() {
    return customers.size();
  }

  /** Terminals with state. */
  public int terminals() {
    return terminals.size();
  }
}
