package dev.millrace.pipeline.fraud;

import dev.millrace.scorer.FeatureSchema;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The 15 features of the Fraud Detection Handbook (Le Borgne et al., chapter 3.4), in the order a
 * fraud model expects them. Plain Java: the Flink job and the benchmark compute them with the same
 * code ({@link CustomerHistory}, {@link TerminalHistory}, {@link FraudFeatureEngine}).
 *
 * <ol>
 *   <li>{@code TX_AMOUNT}
 *   <li>{@code TX_DURING_WEEKEND}: 1 on Saturday and Sunday (UTC)
 *   <li>{@code TX_DURING_NIGHT}: 1 when the UTC hour is 6 or less (00:00..06:59), as the handbook's
 *       {@code is_night = tx_hour <= 6}
 *   <li>{@code CUSTOMER_ID_NB_TX_<w>DAY_WINDOW}, {@code CUSTOMER_ID_AVG_AMOUNT_<w>DAY_WINDOW} for w
 *       = 1, 7, 30: count and mean amount of the customer's transactions in {@code (t - w, t]}, the
 *       current one included
 *   <li>{@code TERMINAL_ID_NB_TX_<w>DAY_WINDOW}, {@code TERMINAL_ID_RISK_<w>DAY_WINDOW} for w = 1,
 *       7, 30: count of the terminal's transactions in {@code (t - d - w, t - d]} with the delay d
 *       = 7 days, and the share of them known to be fraud at time t (0 when there are none)
 * </ol>
 */
public final class FraudFeatures {

  /** The handbook's window sizes, in days. */
  public static final int[] WINDOW_DAYS = {1, 7, 30};

  /** The handbook's delay of the terminal windows: labels are assumed known after 7 days. */
  public static final Duration TERMINAL_DELAY = Duration.ofDays(7);

  /** The longest window. */
  public static final Duration LONGEST_WINDOW = Duration.ofDays(30);

  /** The last UTC hour that is "night" (the handbook: {@code tx_hour <= 6}). */
  public static final int LAST_NIGHT_HOUR = 6;

  public static final List<String> NAMES =
      List.of(
          "TX_AMOUNT",
          "TX_DURING_WEEKEND",
          "TX_DURING_NIGHT",
          "CUSTOMER_ID_NB_TX_1DAY_WINDOW",
          "CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW",
          "CUSTOMER_ID_NB_TX_7DAY_WINDOW",
          "CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW",
          "CUSTOMER_ID_NB_TX_30DAY_WINDOW",
          "CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW",
          "TERMINAL_ID_NB_TX_1DAY_WINDOW",
          "TERMINAL_ID_RISK_1DAY_WINDOW",
          "TERMINAL_ID_NB_TX_7DAY_WINDOW",
          "TERMINAL_ID_RISK_7DAY_WINDOW",
          "TERMINAL_ID_NB_TX_30DAY_WINDOW",
          "TERMINAL_ID_RISK_30DAY_WINDOW");

  /**
   * How long a stream must have run before each feature is complete, from the definitions above:
   * {@code w} days for the customer windows {@code (t - w, t]}, {@code w} days plus {@link
   * #TERMINAL_DELAY} for the terminal windows {@code (t - d - w, t - d]}; the three per-transaction
   * features need none. Until then a window holds only part of its days and its values ramp up.
   */
  public static final Map<String, Duration> WARM_UP = warmUps();

  /**
   * The feature schema of the fraud task (names and {@link #WARM_UP}); its fingerprint travels with
   * every vector.
   */
  public static final FeatureSchema SCHEMA = new FeatureSchema(NAMES, WARM_UP);

  /** {@code SCHEMA.fingerprint()}, computed once. */
  public static final String FINGERPRINT = SCHEMA.fingerprint();

  /** Number of features. */
  public static final int SIZE = NAMES.size();

  /** Index of the first customer feature ({@code CUSTOMER_ID_NB_TX_1DAY_WINDOW}). */
  public static final int CUSTOMER_OFFSET = 3;

  /** Index of the first terminal feature ({@code TERMINAL_ID_NB_TX_1DAY_WINDOW}). */
  public static final int TERMINAL_OFFSET = 9;

  private static final long SECONDS_PER_DAY = 86_400L;

  private FraudFeatures() {}

  private static Map<String, Duration> warmUps() {
    Map<String, Duration> warmUp = new LinkedHashMap<>();
    for (int w : WINDOW_DAYS) {
      Duration window = Duration.ofDays(w);
      warmUp.put("CUSTOMER_ID_NB_TX_" + w + "DAY_WINDOW", window);
      warmUp.put("CUSTOMER_ID_AVG_AMOUNT_" + w + "DAY_WINDOW", window);
      warmUp.put("TERMINAL_ID_NB_TX_" + w + "DAY_WINDOW", window.plus(TERMINAL_DELAY));
      warmUp.put("TERMINAL_ID_RISK_" + w + "DAY_WINDOW", window.plus(TERMINAL_DELAY));
    }
    if (!NAMES.containsAll(warmUp.keySet())) {
      throw new IllegalStateException("warm-ups name unknown features: " + warmUp.keySet());
    }
    return java.util.Collections.unmodifiableMap(warmUp);
  }

  /** 1 if {@code time} falls on a Saturday or Sunday in UTC. */
  public static boolean duringWeekend(Instant time) {
    // epoch day 0 (1970-01-01) was a Thursday: +3 makes Monday 0, so Saturday 5 and Sunday 6
    long day = Math.floorMod(Math.floorDiv(time.getEpochSecond(), SECONDS_PER_DAY) + 3, 7);
    return day >= 5;
  }

  /** 1 if the UTC hour of {@code time} is at most {@link #LAST_NIGHT_HOUR}. */
  public static boolean duringNight(Instant time) {
    long hour = Math.floorMod(time.getEpochSecond(), SECONDS_PER_DAY) / 3600;
    return hour <= LAST_NIGHT_HOUR;
  }

  /**
   * A new vector with the three per-transaction features set and the customer and terminal features
   * zero.
   */
  public static float[] transactionFeatures(Instant time, double amount) {
    float[] features = new float[SIZE];
    features[0] = (float) amount;
    features[1] = duringWeekend(time) ? 1f : 0f;
    features[2] = duringNight(time) ? 1f : 0f;
    return features;
  }

  /** Copies the six customer values (count, mean for 1/7/30 days) into {@code features}. */
  public static void setCustomer(float[] features, double[] customer) {
    copy(customer, features, CUSTOMER_OFFSET);
  }

  /** Copies the six terminal values (count, risk for 1/7/30 days) into {@code features}. */
  public static void setTerminal(float[] features, double[] terminal) {
    copy(terminal, features, TERMINAL_OFFSET);
  }

  /** The features as the list an Avro {@code array<float>} field holds. */
  public static List<Float> asList(float[] features) {
    List<Float> values = new ArrayList<>(features.length);
    for (float f : features) {
      values.add(f);
    }
    return values;
  }

  /** The features of an Avro {@code array<float>} field as an array. */
  public static float[] toArray(List<Float> features) {
    float[] values = new float[features.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = features.get(i);
    }
    return values;
  }

  private static void copy(double[] values, float[] features, int offset) {
    if (values.length != 6) {
      throw new IllegalArgumentException("expected 6 values, got " + values.length);
    }
    for (int i = 0; i < 6; i++) {
      features[offset + i] = (float) values[i];
    }
  }
}
