package dev.millrace.pipeline.churn;

import dev.millrace.scorer.FeatureSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The churn features of a customer at a scoring time {@code t}, in the order a churn model expects
 * them. Plain Java: the Flink job ({@link ChurnScoringPoints}) and the benchmark ({@link
 * ChurnFeatureEngine}) compute them with the same class ({@link CustomerActivity}).
 *
 * <p>A <em>basket</em> is the purchase lines of a customer that share one event time (one invoice
 * in Online Retail, one day in CDNOW). Returns (negative quantity) are not purchases: they count
 * only in the two returns features.
 *
 * <ol>
 *   <li>{@code RECENCY_DAYS}: days from the last basket to {@code t} (0 at a purchase)
 *   <li>{@code TENURE_DAYS}: days from the first basket seen to {@code t}
 *   <li>{@code FREQUENCY_<w>D}, w = 30, 90, 180, 365: baskets in {@code (t - w, t]}
 *   <li>{@code MONETARY_<w>D}: purchase value (quantity x unit price) in {@code (t - w, t]}
 *   <li>{@code GAP_MEAN_DAYS}, {@code GAP_STD_DAYS}: mean and population standard deviation of the
 *       gaps between consecutive baskets, all time (0 with fewer than two baskets)
 *   <li>{@code GAP_LAST_DAYS}: the gap between the last two baskets (0 with fewer than two)
 *   <li>{@code RECENCY_OVER_GAP_MEAN}: recency divided by the mean gap (0 when there is no gap)
 *   <li>{@code BASKETS}: baskets, all time
 *   <li>{@code BASKET_VALUE_MEAN}, {@code BASKET_ITEMS_MEAN}: mean value and mean quantity of a
 *       basket, all time
 *   <li>{@code RETURNS}, {@code RETURNS_VALUE}: return lines and their value (positive), all time
 *   <li>{@code COUNTRY}: the index of the customer's latest known country in {@link #COUNTRIES}, -1
 *       when unknown (the model's out-of-vocabulary slot); a categorical feature for an entity
 *       embedding
 * </ol>
 *
 * "All time" means since the customer's state was created: a customer idle for longer than the
 * retention ({@link ChurnSettings#retention()}) is forgotten and starts again.
 */
public final class ChurnFeatures {

  /** The rolling window sizes, in days. */
  public static final int[] WINDOW_DAYS = {30, 90, 180, 365};

  /** The longest window. */
  public static final Duration LONGEST_WINDOW = Duration.ofDays(365);

  /** The categorical feature. */
  public static final String COUNTRY = "COUNTRY";

  /**
   * The country vocabulary: the countries of Online Retail (I and II, dev files). A country not in
   * it (or none) is -1, the out-of-vocabulary slot.
   */
  public static final List<String> COUNTRIES =
      List.of(
          "Australia",
          "Austria",
          "Bahrain",
          "Belgium",
          "Bermuda",
          "Brazil",
          "Canada",
          "Channel Islands",
          "Cyprus",
          "Czech Republic",
          "Denmark",
          "EIRE",
          "European Community",
          "Finland",
          "France",
          "Germany",
          "Greece",
          "Hong Kong",
          "Iceland",
          "Israel",
          "Italy",
          "Japan",
          "Korea",
          "Lebanon",
          "Lithuania",
          "Malta",
          "Netherlands",
          "Nigeria",
          "Norway",
          "Poland",
          "Portugal",
          "RSA",
          "Saudi Arabia",
          "Singapore",
          "Spain",
          "Sweden",
          "Switzerland",
          "Thailand",
          "USA",
          "United Arab Emirates",
          "United Kingdom",
          "Unspecified",
          "West Indies");

  /** Categorical features and their vocabularies, as a model manifest declares them. */
  public static final Map<String, List<String>> VOCABULARIES = Map.of(COUNTRY, COUNTRIES);

  public static final List<String> NAMES = names();

  /** Index of {@code RECENCY_DAYS}. */
  public static final int RECENCY = 0;

  /** Index of {@code TENURE_DAYS}. */
  public static final int TENURE = 1;

  /** Index of {@code FREQUENCY_30D}; the four frequencies follow. */
  public static final int FREQUENCY = 2;

  /** Index of {@code MONETARY_30D}; the four monetary values follow. */
  public static final int MONETARY = 6;

  /** Index of {@code GAP_MEAN_DAYS}. */
  public static final int GAP_MEAN = 10;

  public static final int GAP_STD = 11;
  public static final int GAP_LAST = 12;
  public static final int RECENCY_OVER_GAP = 13;
  public static final int BASKETS = 14;
  public static final int BASKET_VALUE_MEAN = 15;
  public static final int BASKET_ITEMS_MEAN = 16;
  public static final int RETURNS = 17;
  public static final int RETURNS_VALUE = 18;
  public static final int COUNTRY_INDEX = 19;

  /** Number of features. */
  public static final int SIZE = NAMES.size();

  /**
   * Warm-ups: a window of w days needs w days of stream; recency, tenure and the all-time values
   * need the longest window before they stop ramping up.
   */
  public static final Map<String, Duration> WARM_UP = warmUps();

  /** The feature schema of the churn task. */
  public static final FeatureSchema SCHEMA = new FeatureSchema(NAMES, WARM_UP);

  /** {@code SCHEMA.fingerprint()}, computed once. */
  public static final String FINGERPRINT = SCHEMA.fingerprint();

  private ChurnFeatures() {}

  private static List<String> names() {
    List<String> n = new ArrayList<>();
    n.add("RECENCY_DAYS");
    n.add("TENURE_DAYS");
    for (int w : WINDOW_DAYS) {
      n.add("FREQUENCY_" + w + "D");
    }
    for (int w : WINDOW_DAYS) {
      n.add("MONETARY_" + w + "D");
    }
    n.addAll(
        List.of(
            "GAP_MEAN_DAYS",
            "GAP_STD_DAYS",
            "GAP_LAST_DAYS",
            "RECENCY_OVER_GAP_MEAN",
            "BASKETS",
            "BASKET_VALUE_MEAN",
            "BASKET_ITEMS_MEAN",
            "RETURNS",
            "RETURNS_VALUE",
            COUNTRY));
    return List.copyOf(n);
  }

  private static Map<String, Duration> warmUps() {
    Map<String, Duration> w = new LinkedHashMap<>();
    for (int i = 0; i < WINDOW_DAYS.length; i++) {
      Duration d = Duration.ofDays(WINDOW_DAYS[i]);
      w.put(NAMES.get(FREQUENCY + i), d);
      w.put(NAMES.get(MONETARY + i), d);
    }
    for (int i :
        new int[] {
          RECENCY,
          TENURE,
          GAP_MEAN,
          GAP_STD,
          GAP_LAST,
          RECENCY_OVER_GAP,
          BASKETS,
          BASKET_VALUE_MEAN,
          BASKET_ITEMS_MEAN,
          RETURNS,
          RETURNS_VALUE
        }) {
      w.put(NAMES.get(i), LONGEST_WINDOW);
    }
    return Collections.unmodifiableMap(w);
  }

  /** The index of {@code country} in {@link #COUNTRIES}, -1 when null or unknown. */
  public static int countryIndex(String country) {
    return country == null ? -1 : COUNTRIES.indexOf(country.strip());
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
}
