package dev.millrace.ops.backtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.millrace.trainer.TrainingRecord;
import dev.millrace.trainer.eval.FraudProtocol;
import dev.millrace.trainer.eval.HandbookMetrics;
import dev.millrace.trainer.eval.Metrics;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntPredicate;
import java.util.zip.GZIPOutputStream;

/**
 * The results of a backtest, computed from the scores the job emitted: metrics per week (from
 * {@code --from}) and per model version, the same per week on the handbook's protocol (cards known
 * to be compromised removed), the promotion history with a check that each promoted model scored
 * exactly from its scheduled event time on, and the missing and duplicate scores.
 */
public final class BacktestReport {

  private static final long DAY_MS = 86_400_000L;

  /** Metrics of a set of scored transactions. */
  public record Figures(
      String label,
      Instant from,
      Instant to,
      long transactions,
      long frauds,
      double rocAuc,
      double averagePrecision,
      double cardPrecisionAt100,
      String models) {}

  /** A promotion and whether its model served exactly from its scheduled time to the next. */
  public record Promotion(
      int run,
      Instant scheduledAt,
      String version,
      long scoredBefore,
      long scoredByOtherAfter,
      long scored) {}

  private final List<Figures> weekly;
  private final List<Figures> handbookWeekly;
  private final List<Figures> byVersion;
  private final Figures lastFourWeeks;
  private final List<BacktestRun> runs;
  private final long labelsAfterTheirTime;
  private final long labelsWithoutExample;
  private final List<Promotion> promotions;
  private final long published;
  private final long missing;
  private final long duplicates;
  private final long unknown;
  private final long deadLettered;
  private final double wallSeconds;
  private final Ledger.Snapshot ledger;
  private final Instant from;

  private BacktestReport(
      List<Figures> weekly,
      List<Figures> handbookWeekly,
      List<Figures> byVersion,
      Figures lastFourWeeks,
      List<BacktestRun> runs,
      List<Promotion> promotions,
      Ledger.Snapshot ledger,
      Instant from,
      long labelsAfterTheirTime,
      long labelsWithoutExample,
      double wallSeconds) {
    this.labelsAfterTheirTime = labelsAfterTheirTime;
    this.labelsWithoutExample = labelsWithoutExample;
    this.weekly = weekly;
    this.handbookWeekly = handbookWeekly;
    this.byVersion = byVersion;
    this.lastFourWeeks = lastFourWeeks;
    this.runs = runs;
    this.promotions = promotions;
    this.ledger = ledger;
    this.from = from;
    this.published = ledger.size();
    this.missing = ledger.missing();
    this.duplicates = ledger.duplicates();
    this.unknown = ledger.unknownScores();
    this.deadLettered = ledger.deadLetters();
    this.wallSeconds = wallSeconds;
  }

  public long missing() {
    return missing;
  }

  public long duplicates() {
    return duplicates;
  }

  public List<Promotion> promotions() {
    return promotions;
  }

  public List<Figures> weekly() {
    return weekly;
  }

  public List<Figures> handbookWeekly() {
    return handbookWeekly;
  }

  public Figures lastFourWeeks() {
    return lastFourWeeks;
  }

  public List<BacktestRun> runs() {
    return runs;
  }

  /** Builds the report from the ledger and the runs. */
  public static BacktestReport build(
      Ledger.Snapshot l,
      List<BacktestRun> runs,
      Instant from,
      Instant to,
      Instant historyStart,
      Duration labelDelay,
      int k,
      long labelsAfterTheirTime,
      long labelsWithoutExample,
      double wallSeconds) {
    long fromMs = from.toEpochMilli();
    long toMs = to.toEpochMilli();
    // frauds per card and day, over the whole replay (the handbook's compromised-card rule)
    Map<LocalDate, Set<String>> fraudCards = new TreeMap<>();
    for (int i = 0; i < l.size(); i++) {
      if (l.frauds()[i]) {
        fraudCards.computeIfAbsent(day(l.times()[i]), d -> new HashSet<>()).add(l.cards()[i]);
      }
    }
    List<Figures> weekly = new ArrayList<>();
    List<Figures> handbook = new ArrayList<>();
    for (long w = fromMs; w < toMs; w += 7 * DAY_MS) {
      long ws = w;
      long we = Math.min(toMs, w + 7 * DAY_MS);
      String label = day(ws) + ".." + day(we - 1) + (we - ws < 7 * DAY_MS ? " (partial)" : "");
      weekly.add(figures(l, label, ws, we, i -> true, k));
      LocalDate testStart = day(ws);
      LocalDate trainStart = testStart.minusDays(14);
      Instant hs =
          historyStart.isBefore(FraudProtocol.start(trainStart))
              ? historyStart
              : FraudProtocol.start(trainStart);
      FraudProtocol protocol = new FraudProtocol(hs, trainStart, 7, 7, 7, labelDelay);
      Map<LocalDate, Set<String>> known = new HashMap<>();
      handbook.add(
          figures(
              l,
              label,
              ws,
              we,
              i ->
                  !known
                      .computeIfAbsent(
                          day(l.times()[i]), d -> protocol.knownCompromised(fraudCards, d))
                      .contains(l.cards()[i]),
              k));
    }
    List<Figures> full = handbook.stream().filter(f -> !f.label().endsWith("(partial)")).toList();
    Figures lastFour = null;
    if (!full.isEmpty()) {
      List<Figures> last = full.subList(Math.max(0, full.size() - 4), full.size());
      lastFour =
          new Figures(
              "mean of the last " + last.size() + " full weeks",
              last.get(0).from(),
              last.get(last.size() - 1).to(),
              last.stream().mapToLong(Figures::transactions).sum(),
              last.stream().mapToLong(Figures::frauds).sum(),
              last.stream().mapToDouble(Figures::rocAuc).average().orElse(Double.NaN),
              last.stream().mapToDouble(Figures::averagePrecision).average().orElse(Double.NaN),
              last.stream().mapToDouble(Figures::cardPrecisionAt100).average().orElse(Double.NaN),
              "");
    }
    List<Figures> byVersion = new ArrayList<>();
    for (int v = 0; v < l.versionNames().size(); v++) {
      int version = v;
      Figures f =
          figures(l, l.versionNames().get(v), fromMs, toMs, i -> l.versions()[i] == version, k);
      if (f.transactions() > 0) {
        byVersion.add(f);
      }
    }
    List<Promotion> promotions = promotions(l, runs);
    return new BacktestReport(
        weekly,
        handbook,
        byVersion,
        lastFour,
        runs,
        promotions,
        l,
        from,
        labelsAfterTheirTime,
        labelsWithoutExample,
        wallSeconds);
  }

  /** For each promotion: scores of its model before its time, and of others until the next. */
  private static List<Promotion> promotions(Ledger.Snapshot l, List<BacktestRun> runs) {
    List<BacktestRun> promoted = runs.stream().filter(r -> r.promoted() != null).toList();
    List<Promotion> out = new ArrayList<>();
    for (int p = 0; p < promoted.size(); p++) {
      BacktestRun r = promoted.get(p);
      String version = r.promoted().getVersion();
      int v = l.versionNames().indexOf(version);
      long at = r.scheduledAt().toEpochMilli();
      long until =
          p + 1 < promoted.size()
              ? promoted.get(p + 1).scheduledAt().toEpochMilli()
              : Long.MAX_VALUE;
      long before = 0;
      long other = 0;
      long scored = 0;
      for (int i = 0; i < l.size(); i++) {
        long t = l.times()[i];
        boolean mine = v >= 0 && l.versions()[i] == v;
        if (mine) {
          scored++;
          if (t < at) {
            before++;
          }
        } else if (t >= at && t < until && l.scoreCounts()[i] > 0) {
          other++;
        }
      }
      out.add(new Promotion(r.number(), r.scheduledAt(), version, before, other, scored));
    }
    return out;
  }

  private static Figures figures(
      Ledger.Snapshot l, String label, long from, long to, IntPredicate keep, int k) {
    List<Integer> rows = new ArrayList<>();
    Set<String> models = new java.util.LinkedHashSet<>();
    for (int i = 0; i < l.size(); i++) {
      long t = l.times()[i];
      if (t >= from && t < to && l.scoreCounts()[i] > 0 && keep.test(i)) {
        rows.add(i);
      }
    }
    int n = rows.size();
    float[] y = new float[n];
    float[] s = new float[n];
    long[] times = new long[n];
    String[] cards = new String[n];
    long frauds = 0;
    for (int j = 0; j < n; j++) {
      int i = rows.get(j);
      y[j] = l.frauds()[i] ? 1f : 0f;
      frauds += l.frauds()[i] ? 1 : 0;
      s[j] = l.scores()[i];
      times[j] = l.times()[i];
      cards[j] = l.cards()[i];
      models.add(l.versionNames().get(l.versions()[i]));
    }
    boolean both = frauds > 0 && frauds < n;
    return new Figures(
        label,
        Instant.ofEpochMilli(from),
        Instant.ofEpochMilli(to),
        n,
        frauds,
        both ? Metrics.rocAuc(y, s) : Double.NaN,
        both ? Metrics.averagePrecision(y, s) : Double.NaN,
        n > 0 ? HandbookMetrics.cardPrecisionTopK(y, s, times, cards, k) : Double.NaN,
        String.join(" ", models));
  }

  private static LocalDate day(long millis) {
    return LocalDate.ofInstant(Instant.ofEpochMilli(millis), ZoneOffset.UTC);
  }

  /** One console line for a finished run. */
  public static String runLine(BacktestRun run) {
    TrainingRecord r = run.record();
    return String.format(
        Locale.ROOT,
        "  run %d at %s: %s %s - %s [challenger %s; champion %s %s] %d rows (%d positives) before"
            + " %s (window %s), evaluated on %d; held %.1f s",
        run.number(),
        run.scheduledAt(),
        r.decision(),
        r.version(),
        r.reason(),
        metrics(r.challengerMetrics()),
        r.championVersion() == null ? "none" : r.championVersion(),
        metrics(r.championMetrics()),
        r.trainRows(),
        r.trainPositives(),
        run.trainedBefore(),
        run.windowDigest(),
        r.evalRows(),
        run.holdMillis() / 1000.0);
  }

  private static String metrics(Map<String, Double> m) {
    if (m == null || m.isEmpty()) {
      return "-";
    }
    StringBuilder b = new StringBuilder();
    new TreeMap<>(m)
        .forEach(
            (key, v) ->
                b.append(b.length() == 0 ? "" : " ")
                    .append(String.format(Locale.ROOT, "%s=%.3f", key, v)));
    return b.toString();
  }

  /** The tables, on the console. */
  public void print(PrintWriter out) {
    out.println();
    out.println("Live metrics per week (all scored transactions, from " + from + "):");
    table(out, weekly, "week");
    out.println();
    out.println(
        "Handbook protocol per week (cards known to be compromised removed: frauds from 14 days"
            + " before the week to 7 days before each test day):");
    table(out, handbookWeekly, "week");
    if (lastFourWeeks != null) {
      out.printf(
          Locale.ROOT,
          "  %-34s %9d %7d  %7.4f  %7.4f  %7.4f%n",
          lastFourWeeks.label(),
          lastFourWeeks.transactions(),
          lastFourWeeks.frauds(),
          lastFourWeeks.rocAuc(),
          lastFourWeeks.averagePrecision(),
          lastFourWeeks.cardPrecisionAt100());
    }
    out.println();
    out.println("Live metrics per model version:");
    table(out, byVersion, "model");
    out.println();
    out.println("Trainer runs:");
    out.printf(
        "  %-3s %-20s %-26s %-22s %10s %10s %9s %-16s %8s%n",
        "run",
        "scheduled at",
        "version",
        "decision",
        "chal.AP",
        "champ.AP",
        "rows",
        "window digest",
        "held s");
    for (BacktestRun r : runs) {
      TrainingRecord t = r.record();
      out.printf(
          Locale.ROOT,
          "  %-3d %-20s %-26s %-22s %10s %10s %9d %-16s %8.1f%n",
          r.number(),
          r.scheduledAt(),
          t.version(),
          t.decision(),
          fmt(t.challengerMetrics(), "average_precision"),
          fmt(t.championMetrics(), "average_precision"),
          t.trainRows(),
          r.windowDigest(),
          r.holdMillis() / 1000.0);
    }
    out.println();
    out.println("Promotions (scores of the model before its time / of another model after it):");
    for (Promotion p : promotions) {
      out.printf(
          "  run %d at %s: %s scored %d transactions; %d before its time, %d by another model"
              + " until the next promotion%n",
          p.run(),
          p.scheduledAt(),
          p.version(),
          p.scored(),
          p.scoredBefore(),
          p.scoredByOtherAfter());
    }
    out.println();
    out.printf(
        "Scores: %d transactions published, %d missing, %d duplicate, %d for unknown"
            + " transactions, %d dead-lettered by the job; wall time %.0f s%n",
        published, missing, duplicates, unknown, deadLettered, wallSeconds);
    out.printf(
        "Labels after their time: %d (fraud labels the job read after a transaction at or past"
            + " their label time on their terminal; 0: the features did not depend on which topic"
            + " the job read first)%n",
        labelsAfterTheirTime);
    out.printf(
        "Labels without an example: %d (late or orphan labels the label join dead-lettered; 0"
            + " expected)%n",
        labelsWithoutExample);
    out.flush();
  }

  private static String fmt(Map<String, Double> m, String key) {
    Double v = m == null ? null : m.get(key);
    return v == null ? "-" : String.format(Locale.ROOT, "%.4f", v);
  }

  private static void table(PrintWriter out, List<Figures> rows, String what) {
    out.printf(
        "  %-34s %9s %7s  %7s  %7s  %7s  %s%n",
        what, "tx", "frauds", "ROC AUC", "AP", "CP@100", "models");
    for (Figures f : rows) {
      out.printf(
          Locale.ROOT,
          "  %-34s %9d %7d  %7.4f  %7.4f  %7.4f  %s%n",
          f.label(),
          f.transactions(),
          f.frauds(),
          f.rocAuc(),
          f.averagePrecision(),
          f.cardPrecisionAt100(),
          f.models());
    }
  }

  /** CSV and JSON files under {@code dir}, and the scores from {@code --from} (gzipped CSV). */
  public void write(Path dir) {
    try {
      Files.createDirectories(dir);
      writeCsv(dir.resolve("weekly.csv"), weekly);
      writeCsv(dir.resolve("handbook_weekly.csv"), handbookWeekly);
      writeCsv(dir.resolve("versions.csv"), byVersion);
      try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(dir.resolve("runs.csv")))) {
        w.println(
            "run,scheduled_at,trained_before,version,decision,reason,train_rows,train_positives,"
                + "eval_rows,challenger_ap,challenger_roc_auc,champion,champion_ap,hold_seconds,"
                + "applied_before_time,other_model_after_time,window_digest");
        for (BacktestRun r : runs) {
          TrainingRecord t = r.record();
          Promotion p =
              promotions.stream().filter(x -> x.run() == r.number()).findFirst().orElse(null);
          w.printf(
              Locale.ROOT,
              "%d,%s,%s,%s,%s,\"%s\",%d,%d,%d,%s,%s,%s,%s,%.1f,%s,%s,%s%n",
              r.number(),
              r.scheduledAt(),
              r.trainedBefore(),
              t.version(),
              t.decision(),
              t.reason() == null ? "" : t.reason().replace("\"", "'"),
              t.trainRows(),
              t.trainPositives(),
              t.evalRows(),
              fmt(t.challengerMetrics(), "average_precision"),
              fmt(t.challengerMetrics(), "roc_auc"),
              t.championVersion() == null ? "" : t.championVersion(),
              fmt(t.championMetrics(), "average_precision"),
              r.holdMillis() / 1000.0,
              p == null ? "" : Long.toString(p.scoredBefore()),
              p == null ? "" : Long.toString(p.scoredByOtherAfter()),
              r.windowDigest());
        }
      }
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("from", from.toString());
      json.put("published", published);
      json.put("missing", missing);
      json.put("duplicates", duplicates);
      json.put("unknownScores", unknown);
      json.put("deadLettered", deadLettered);
      json.put("labelsAfterTheirTime", labelsAfterTheirTime);
      json.put("labelsWithoutExample", labelsWithoutExample);
      json.put("wallSeconds", wallSeconds);
      json.put("weekly", weekly);
      json.put("handbookWeekly", handbookWeekly);
      json.put("handbookLastFourWeeks", lastFourWeeks);
      json.put("byVersion", byVersion);
      json.put("promotions", promotions);
      json.put("runs", runs.stream().map(BacktestRun::record).toList());
      json.put("windowDigests", runs.stream().map(BacktestRun::windowDigest).toList());
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(dir.resolve("backtest.json").toFile(), json);
      long fromMs = from.toEpochMilli();
      try (Writer w =
          new OutputStreamWriter(
              new GZIPOutputStream(Files.newOutputStream(dir.resolve("scores.csv.gz"))),
              StandardCharsets.UTF_8)) {
        w.write("transaction_id,event_time,card,fraud,model_version,score,score_count\n");
        for (int i = 0; i < ledger.size(); i++) {
          if (ledger.times()[i] < fromMs) {
            continue;
          }
          int v = ledger.versions()[i];
          w.write(
              ledger.ids()[i]
                  + ","
                  + Instant.ofEpochMilli(ledger.times()[i])
                  + ","
                  + ledger.cards()[i]
                  + ","
                  + (ledger.frauds()[i] ? 1 : 0)
                  + ","
                  + (v < 0 ? "" : ledger.versionNames().get(v))
                  + ","
                  + (v < 0 ? "" : Float.toString(ledger.scores()[i]))
                  + ","
                  + ledger.scoreCounts()[i]
                  + "\n");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the results to " + dir, e);
    }
  }

  private static void writeCsv(Path file, List<Figures> rows) throws IOException {
    try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(file))) {
      w.println(
          "label,from,to,transactions,frauds,roc_auc,average_precision,card_precision_at_100,models");
      for (Figures f : rows) {
        w.printf(
            Locale.ROOT,
            "%s,%s,%s,%d,%d,%.6f,%.6f,%.6f,%s%n",
            f.label(),
            f.from(),
            f.to(),
            f.transactions(),
            f.frauds(),
            f.rocAuc(),
            f.averagePrecision(),
            f.cardPrecisionAt100(),
            f.models());
      }
    }
  }
}
