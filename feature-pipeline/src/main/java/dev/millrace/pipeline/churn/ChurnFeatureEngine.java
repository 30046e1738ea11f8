package dev.millrace.pipeline.churn;

import dev.millrace.schemas.churn.ChurnActivity;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The churn features outside Flink, with the same class the job keeps as keyed state ({@link
 * CustomerActivity}): feed it accepted activity lines in time order and ask for any customer's
 * features at any later time. Used by the benchmark and as the reference in tests. Not thread-safe.
 */
public final class ChurnFeatureEngine {

  private final long allowedLatenessMs;
  private final Map<String, CustomerActivity> customers = new HashMap<>();

  public ChurnFeatureEngine(ChurnSettings settings) {
    this.allowedLatenessMs = settings.allowedLateness().toMillis();
  }

  /** Records an activity line (a purchase when quantity > 0, a return when < 0). */
  public void observe(ChurnActivity a) {
    CustomerActivity c = customers.computeIfAbsent(a.getCustomerId(), id -> new CustomerActivity());
    long time = a.getEventTime().toEpochMilli();
    int country = ChurnFeatures.countryIndex(a.getCountry());
    if (a.getQuantity() > 0) {
      c.purchase(time, a.getQuantity(), a.getUnitPrice(), country, allowedLatenessMs);
    } else {
      c.returnLine(time, a.getQuantity(), a.getUnitPrice(), country);
    }
  }

  /** The features of {@code customerId} at {@code time}; null for a customer never seen. */
  public float[] features(String customerId, long time) {
    CustomerActivity c = customers.get(customerId);
    return c == null ? null : c.features(time);
  }

  /** Whether the customer has bought anything so far. */
  public boolean hasPurchased(String customerId) {
    CustomerActivity c = customers.get(customerId);
    return c != null && c.baskets > 0;
  }

  /** Customers seen so far. */
  public Set<String> customers() {
    return customers.keySet();
  }
}
