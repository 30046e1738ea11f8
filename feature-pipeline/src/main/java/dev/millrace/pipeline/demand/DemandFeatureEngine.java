package dev.millrace.pipeline.demand;

import dev.millrace.schemas.demand.DemandObservation;
import dev.millrace.schemas.demand.NextOpenDay;
import dev.millrace.schemas.demand.StoreDaySales;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Rossmann demand features outside Flink, with the same class the job can keep as keyed state
 * ({@link StoreSalesHistory}): feed it each store's day rows in date order and it returns, at each
 * open day that carries the plan of the store's next open day, the feature vector for that next day
 * ({@link DemandFeatures}); when that day's row arrives, its realised sales become the label of the
 * pending vector. Used by the benchmark and as the reference in tests. Not thread-safe.
 *
 * <p>Rules:
 *
 * <ul>
 *   <li>A closed day ({@code open = false}) or a day with sales of 0 is not scored and is not a
 *       label; it changes no feature. A forecast whose target day turns out closed (or at 0) is
 *       dropped without a label.
 *   <li>A forecast whose target day never arrives (the next row of the store is later) is dropped
 *       without a label.
 *   <li>A row without a plan ({@code nextOpenDay} null) is recorded but not scored.
 *   <li>A row of a store not in {@code store.csv} is refused ({@link #UNKNOWN_STORE}); a row not
 *       after the store's latest row (a duplicate or out of order) is refused ({@link
 *       #NOT_AFTER_PREVIOUS}); a plan with {@code daysAhead < 1} is refused ({@link #BAD_PLAN}).
 *       Refused rows change no state: the job sends them to the dead-letter topic with the reason.
 * </ul>
 */
public final class DemandFeatureEngine {

  /** Refusal reason: the store is not in the reference data. */
  public static final String UNKNOWN_STORE = "UNKNOWN_STORE";

  /** Refusal reason: the row's day is not after the store's latest row (duplicate or late). */
  public static final String NOT_AFTER_PREVIOUS = "NOT_AFTER_PREVIOUS";

  /** Refusal reason: the next-open-day plan is not in the future. */
  public static final String BAD_PLAN = "BAD_PLAN";

  /**
   * A forecast whose label arrived: the features scored for {@code targetDay} and its sales.
   *
   * @param storeId the store
   * @param scoredDay epoch day the features were computed (the scoring point)
   * @param targetDay epoch day forecast
   * @param features the features as scored
   * @param sales the realised sales of the target day
   */
  public record Labelled(
      String storeId, long scoredDay, long targetDay, float[] features, double sales) {}

  /**
   * What one row did.
   *
   * @param scored the features scored at this row for its next open day, or null
   * @param targetDay the epoch day {@code scored} forecasts (meaningless without it)
   * @param labelled the earlier forecast this row labelled, or null
   * @param refusal why the row was refused ({@link #UNKNOWN_STORE}, ...), or null
   * @param detail a sentence for the dead-letter record, or null
   */
  public record Step(
      float[] scored, long targetDay, Labelled labelled, String refusal, String detail) {

    /** A refused row: no features, no label, the reason and a sentence for the DLQ. */
    public static Step refused(String reason, String detail) {
      return new Step(null, Long.MIN_VALUE, null, reason, detail);
    }
  }

  private final StoreTable stores;
  private final Map<String, Integer> storeIndex = new HashMap<>();
  private final Map<String, StoreSalesHistory> histories = new HashMap<>();

  public DemandFeatureEngine(StoreTable stores) {
    this.stores = stores;
    List<String> ids = stores.storeIds();
    for (int i = 0; i < ids.size(); i++) {
      storeIndex.put(ids.get(i), i);
    }
  }

  /** The features' names in order. */
  public List<String> featureNames() {
    return DemandFeatures.NAMES;
  }

  /** The vocabularies of the categorical features. */
  public Map<String, List<String>> vocabularies() {
    return DemandFeatures.vocabularies(stores);
  }

  /** Processes one store-day row (key: the store id; event time: the start of the day, UTC). */
  public Step onDay(DemandObservation observation) {
    if (!(observation.getObservation() instanceof StoreDaySales row)) {
      throw new IllegalArgumentException("not a store-day row: " + observation);
    }
    String storeId = row.getStoreId();
    StoreInfo store = stores.get(storeId);
    if (store == null) {
      return Step.refused(UNKNOWN_STORE, "store " + storeId + " is not in store.csv");
    }
    StoreSalesHistory h = histories.computeIfAbsent(storeId, id -> new StoreSalesHistory());
    return step(storeIndex.get(storeId), store, h, observation.getEventTime().toEpochMilli(), row);
  }

  /**
   * One store-day row against its store's state, as the engine and the job's keyed operator both
   * advance it: refuses a row not after the store's latest or with a bad plan (changing nothing),
   * labels the pending forecast when this is its target day and the store sold, records an open
   * day, and scores the next open day when the row carries its plan.
   *
   * @param storeIndex the store's index in the reference data (its embedding index)
   * @param store the store's reference data
   * @param h the store's state, changed in place
   * @param eventTimeMillis the row's event time (start of its day, UTC)
   * @param row the row
   */
  public static Step step(
      int storeIndex,
      StoreInfo store,
      StoreSalesHistory h,
      long eventTimeMillis,
      StoreDaySales row) {
    String storeId = row.getStoreId();
    long day = Math.floorDiv(eventTimeMillis, 86_400_000L);
    if (day <= h.lastDay) {
      return Step.refused(
          NOT_AFTER_PREVIOUS,
          "store "
              + storeId
              + " day "
              + LocalDate.ofEpochDay(day)
              + " is not after "
              + LocalDate.ofEpochDay(h.lastDay));
    }
    NextOpenDay plan = row.getNextOpenDay();
    boolean sold = row.getOpen() && row.getSales() > 0;
    if (sold && plan != null && plan.getDaysAhead() < 1) {
      return Step.refused(
          BAD_PLAN,
          "store " + storeId + " plans its next open day " + plan.getDaysAhead() + " days ahead");
    }
    h.lastDay = day;

    Labelled labelled = null;
    if (h.pendingFeatures != null && day >= h.pendingDay) {
      if (day == h.pendingDay && sold) {
        labelled =
            new Labelled(
                storeId, h.pendingScoredDay, h.pendingDay, h.pendingFeatures, row.getSales());
      }
      h.clearPending();
    }
    if (!sold) {
      return new Step(null, Long.MIN_VALUE, labelled, null, null);
    }
    h.addOpenDay(day, row.getSales(), row.getPromo());
    if (plan == null) {
      return new Step(null, Long.MIN_VALUE, labelled, null, null);
    }
    float[] features =
        DemandFeatures.compute(storeIndex, store, LocalDate.ofEpochDay(day), plan, h);
    long target = day + plan.getDaysAhead();
    h.setPending(features, day, target);
    return new Step(features, target, labelled, null, null);
  }

  /** The state of a store, or null before its first row; for tests. */
  public StoreSalesHistory history(String storeId) {
    return histories.get(storeId);
  }

  /** Stores with state. */
  public int storesWithState() {
    return histories.size();
  }
}
