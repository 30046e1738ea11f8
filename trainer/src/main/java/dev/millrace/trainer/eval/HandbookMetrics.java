package dev.millrace.trainer.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The handbook's card precision top-k ({@code card_precision_top_k}, chapter 4.2): per test day
 * each card gets the maximum of its scores and of its labels that day, the {@code k} cards with the
 * highest score are "alerts", the day's precision is the number of fraudulent cards among them
 * divided by {@code k}; cards detected (fraudulent and alerted) on a day are removed from the
 * following days; the result is the mean over days. Ties are broken by card id.
 *
 * <p>{@link Metrics#cardPrecisionAtK} is the same without the removal of detected cards; the
 * benchmark and the backtest report this one, which is what the handbook's tables use.
 */
public final class HandbookMetrics {

  private static final long DAY_MS = 86_400_000L;

  private HandbookMetrics() {}

  /** Mean over days of the precision of the top-{@code k} cards, detected cards removed. */
  public static double cardPrecisionTopK(
      float[] labels, float[] scores, long[] eventTimeMillis, String[] cards, int k) {
    if (labels.length != scores.length
        || labels.length != eventTimeMillis.length
        || labels.length != cards.length) {
      throw new IllegalArgumentException("labels, scores, times and cards differ in length");
    }
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1: " + k);
    }
    Map<Long, Map<String, double[]>> days = new TreeMap<>();
    for (int i = 0; i < labels.length; i++) {
      long day = Math.floorDiv(eventTimeMillis[i], DAY_MS);
      double[] card =
          days.computeIfAbsent(day, d -> new HashMap<>())
              .computeIfAbsent(cards[i], c -> new double[] {Double.NEGATIVE_INFINITY, 0});
      card[0] = Math.max(card[0], scores[i]);
      card[1] = Math.max(card[1], labels[i] > 0.5f ? 1 : 0);
    }
    if (days.isEmpty()) {
      return Double.NaN;
    }
    Set<String> detected = new HashSet<>();
    double sum = 0;
    for (Map<String, double[]> day : days.values()) {
      List<Map.Entry<String, double[]>> ranked = new ArrayList<>();
      for (Map.Entry<String, double[]> e : day.entrySet()) {
        if (!detected.contains(e.getKey())) {
          ranked.add(e);
        }
      }
      ranked.sort(
          Comparator.comparingDouble((Map.Entry<String, double[]> e) -> -e.getValue()[0])
              .thenComparing(Map.Entry::getKey));
      int frauds = 0;
      for (int r = 0; r < Math.min(k, ranked.size()); r++) {
        if (ranked.get(r).getValue()[1] > 0) {
          frauds++;
          detected.add(ranked.get(r).getKey());
        }
      }
      sum += (double) frauds / k;
    }
    return sum / days.size();
  }
}
