package dev.millrace.ops.backtest;

import dev.millrace.ingest.fraud.LabeledTransaction;
import dev.millrace.schemas.ScoreRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every transaction the backtest published (id, event time, card, label; in publishing order) and
 * the scores the job emitted for them, read back from {@code <task>.scores}: the last score and
 * model version of each transaction and how many scores it got, so that missing and duplicate
 * scores can be counted. Thread-safe: the replay adds, the score reader records.
 */
public final class Ledger {

  private long[] ids = new long[1 << 16];
  private long[] times = new long[1 << 16];
  private String[] cards = new String[1 << 16];
  private boolean[] frauds = new boolean[1 << 16];
  private float[] scores = new float[1 << 16];
  private int[] versions = new int[1 << 16];
  private int[] scoreCounts = new int[1 << 16];
  private int size;
  private boolean idsAscending = true;
  private Map<Long, Integer> index; // only when the ids are not ascending
  private final Map<String, Integer> versionIndex = new HashMap<>();
  private final List<String> versionNames = new ArrayList<>();
  private final Map<String, String> cardNames = new HashMap<>();
  private long scored; // transactions with at least one score
  private long scoreRecords;
  private long unknownScores;
  private long deadLetters; // transactions the job refused (dead letters from the events topic)

  /** Records a transaction about to be published. */
  public synchronized void add(LabeledTransaction lt) {
    if (size == ids.length) {
      int n = size * 2;
      ids = Arrays.copyOf(ids, n);
      times = Arrays.copyOf(times, n);
      cards = Arrays.copyOf(cards, n);
      frauds = Arrays.copyOf(frauds, n);
      scores = Arrays.copyOf(scores, n);
      versions = Arrays.copyOf(versions, n);
      scoreCounts = Arrays.copyOf(scoreCounts, n);
    }
    long id = lt.tx().getTransactionId();
    if (idsAscending && size > 0 && id <= ids[size - 1]) {
      idsAscending = false;
      index = new HashMap<>();
      for (int i = 0; i < size; i++) {
        index.put(ids[i], i);
      }
    }
    if (index != null) {
      index.put(id, size);
    }
    ids[size] = id;
    times[size] = lt.eventTime().toEpochMilli();
    cards[size] = cardNames.computeIfAbsent(lt.customerId(), c -> c);
    frauds[size] = lt.fraud();
    versions[size] = -1;
    size++;
  }

  /** Records a score read back from the scores topic. */
  public synchronized void record(ScoreRecord s) {
    scoreRecords++;
    int i = indexOf(Long.parseLong(s.getEventId()));
    if (i < 0) {
      unknownScores++;
      return;
    }
    if (scoreCounts[i]++ == 0) {
      scored++;
    }
    scores[i] = (float) s.getPrediction();
    versions[i] =
        versionIndex.computeIfAbsent(
            s.getModelVersion(),
            v -> {
              versionNames.add(v);
              return versionNames.size() - 1;
            });
  }

  private int indexOf(long id) {
    if (index != null) {
      Integer i = index.get(id);
      return i == null ? -1 : i;
    }
    int i = Arrays.binarySearch(ids, 0, size, id);
    return i < 0 ? -1 : i;
  }

  /** Counts a transaction the job sent to the dead-letter topic instead of scoring it. */
  public synchronized void deadLetter() {
    deadLetters++;
  }

  /** Published transactions the job has finished with: scored or dead-lettered. */
  public synchronized long accountedFor() {
    return scored + deadLetters;
  }

  public synchronized int size() {
    return size;
  }

  /** Published transactions that have at least one committed score. */
  public synchronized long scored() {
    return scored;
  }

  /** Published transactions with an event time before {@code millis} (they are in time order). */
  public synchronized int countBefore(long millis) {
    int lo = 0;
    int hi = size;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (times[mid] < millis) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** A consistent copy for the report. */
  public synchronized Snapshot snapshot() {
    return new Snapshot(
        Arrays.copyOf(ids, size),
        Arrays.copyOf(times, size),
        Arrays.copyOf(cards, size),
        Arrays.copyOf(frauds, size),
        Arrays.copyOf(scores, size),
        Arrays.copyOf(versions, size),
        Arrays.copyOf(scoreCounts, size),
        List.copyOf(versionNames),
        scoreRecords,
        unknownScores,
        deadLetters);
  }

  /** The ledger at one moment; {@code versions[i]} indexes {@code versionNames}, -1: no score. */
  public record Snapshot(
      long[] ids,
      long[] times,
      String[] cards,
      boolean[] frauds,
      float[] scores,
      int[] versions,
      int[] scoreCounts,
      List<String> versionNames,
      long scoreRecords,
      long unknownScores,
      long deadLetters) {

    public int size() {
      return ids.length;
    }

    /** Published transactions without a score, less those the job dead-lettered. */
    public long missing() {
      long n = 0;
      for (int c : scoreCounts) {
        if (c == 0) {
          n++;
        }
      }
      return Math.max(0, n - deadLetters);
    }

    /** Scores beyond the first of each transaction. */
    public long duplicates() {
      long n = 0;
      for (int c : scoreCounts) {
        if (c > 1) {
          n += c - 1;
        }
      }
      return n;
    }
  }
}
