package dev.millrace.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.millrace.ingest.fraud.FraudGenerator;
import dev.millrace.ingest.fraud.LabeledTransaction;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code millrace backtest} end to end on a small generated file: the real Flink job on a local
 * MiniCluster, the real trainer and an embedded broker, as a user runs it.
 */
class BacktestCommandTest {

  private static final DateTimeFormatter CSV_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @TempDir Path dir;

  private int run(String... args) {
    CommandLine cli = Millrace.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  @Test
  void aMissingFileIsOneClearLine() {
    assertThat(run("backtest", "--task", "fraud", "--file", dir.resolve("nope.csv").toString()))
        .isEqualTo(1);
    assertThat(err.toString())
        .isEqualTo("millrace: no such file: " + dir.resolve("nope.csv") + "\n");
  }

  @Test
  void fromAfterToIsOneClearLine() throws IOException {
    Path file = writeGenerated(dir.resolve("tx.csv"), Instant.parse("2018-04-03T00:00:00Z"));
    assertThat(
            run(
                "backtest",
                "--task",
                "fraud",
                "--file",
                file.toString(),
                "--from",
                "2018-04-10",
                "--to",
                "2018-04-05"))
        .isEqualTo(1);
    assertThat(err.toString())
        .isEqualTo(
            "millrace: --from 2018-04-10T00:00:00Z must be before --to 2018-04-05T00:00:00Z\n");
  }

  @Test
  void anUnknownTaskIsOneClearLine() throws IOException {
    Path file = writeGenerated(dir.resolve("tx.csv"), Instant.parse("2018-04-03T00:00:00Z"));
    assertThat(run("backtest", "--task", "weather", "--file", file.toString())).isNotZero();
    assertThat(err.toString()).startsWith("millrace: ").contains("weather").hasLineCount(1);
  }

  @Test
  void aFileThatIsNotATransactionsFileIsOneClearLine() throws IOException {
    Path file = Files.writeString(dir.resolve("other.csv"), "a,b\n1,2\n");
    assertThat(run("backtest", "--task", "fraud", "--file", file.toString())).isEqualTo(1);
    assertThat(err.toString())
        .startsWith("millrace: cannot read " + file)
        .contains("column TRANSACTION_ID is missing")
        .hasLineCount(1);
  }

  /**
   * 26 days of generated transactions, trainer runs every 4 days from day 17: every accepted
   * transaction has exactly one score, models are promoted, and each promoted model scores exactly
   * the transactions from its scheduled event time to the next promotion, because the replay held
   * back until it was applied.
   */
  @Test
  @Timeout(600) // a guard against a hang; about 2 min on a quiet 2-core machine
  void theLoopRetrainsInEventTimeAndEveryTransactionHasOneScore() throws Exception {
    Path file = writeGenerated(dir.resolve("tx.csv"), Instant.parse("2018-04-27T00:00:00Z"));
    Path results = dir.resolve("out");
    int code = backtest(file, results);
    System.out.println(out); // into the Surefire report: the tables and the runs
    assertThat(code).as(out + "\n" + err).isZero();

    JsonNode report = new ObjectMapper().readTree(results.resolve("backtest.json").toFile());
    assertThat(report.get("published").asLong()).isGreaterThan(10_000);
    assertThat(report.get("missing").asLong()).isZero();
    assertThat(report.get("duplicates").asLong()).isZero();
    assertThat(report.get("unknownScores").asLong()).isZero();
    JsonNode promotions = report.get("promotions");
    assertThat(promotions.size()).as(out.toString()).isGreaterThanOrEqualTo(1);

    // From the scores themselves: a promoted model scores exactly [its time, the next promotion).
    List<String[]> scores = readScores(results.resolve("scores.csv.gz"));
    assertThat(scores).isNotEmpty();
    for (int p = 0; p < promotions.size(); p++) {
      Instant at = Instant.parse(promotions.get(p).get("scheduledAt").asText());
      Instant until =
          p + 1 < promotions.size()
              ? Instant.parse(promotions.get(p + 1).get("scheduledAt").asText())
              : Instant.MAX;
      String version = promotions.get(p).get("version").asText();
      long mine = 0;
      for (String[] s : scores) {
        Instant t = Instant.parse(s[1]);
        boolean inPeriod = !t.isBefore(at) && t.isBefore(until);
        assertThat(s[4].equals(version))
            .as("transaction %s at %s scored by %s; %s serves from %s", s[0], t, s[4], version, at)
            .isEqualTo(inPeriod);
        assertThat(s[6]).isEqualTo("1");
        mine += inPeriod ? 1 : 0;
      }
      assertThat(mine).as(version).isPositive();
    }
    assertThat(Files.readString(results.resolve("weekly.csv"))).startsWith("label,from,to");
    assertThat(Files.readString(results.resolve("handbook_weekly.csv"))).contains("2018-04-17");
    assertThat(Files.readAllLines(results.resolve("runs.csv")))
        .hasSize(1 + report.get("runs").size())
        .anyMatch(l -> l.contains("PROMOTED"));
    assertThat(out.toString())
        .contains("Live metrics per week")
        .contains("Handbook protocol per week")
        .contains("0 missing, 0 duplicate")
        .contains("Labels after their time: 0 ");
    assertThat(report.get("labelsAfterTheirTime").asLong()).isZero();
    assertThat(report.get("labelsWithoutExample").asLong()).isZero();
    assertThat(report.get("windowDigests"))
        .hasSize(report.get("runs").size())
        .allSatisfy(d -> assertThat(d.asText()).matches("[0-9a-f]{16}"));

    // Repeatable: the same file and seed again give the same training windows, decisions, model
    // metrics and scores, whatever the machine's speed.
    out.getBuffer().setLength(0);
    Path again = dir.resolve("again");
    assertThat(backtest(file, again)).as(out + "\n" + err).isZero();
    JsonNode second = new ObjectMapper().readTree(again.resolve("backtest.json").toFile());
    System.out.println(out); // the second backtest's tables and runs
    assertThat(second.get("labelsAfterTheirTime").asLong()).isZero();
    assertThat(second.get("labelsWithoutExample").asLong()).isZero();
    assertThat(second.get("windowDigests")).isEqualTo(report.get("windowDigests"));
    assertThat(second.get("promotions")).isEqualTo(report.get("promotions"));
    for (int r = 0; r < report.get("runs").size(); r++) {
      JsonNode a = report.get("runs").get(r);
      JsonNode b = second.get("runs").get(r);
      assertThat(b.get("decision")).as("run %d", r + 1).isEqualTo(a.get("decision"));
      assertThat(b.get("challengerMetrics"))
          .as("run %d", r + 1)
          .isEqualTo(a.get("challengerMetrics"));
      assertThat(b.get("epochLosses")).as("run %d", r + 1).isEqualTo(a.get("epochLosses"));
    }
    List<String[]> scoresAgain = readScores(again.resolve("scores.csv.gz"));
    assertThat(scoresAgain).hasSameSizeAs(scores);
    // The score itself may differ in its last float bits: the job scores in batches whose make-up
    // depends on timing, and PyTorch's CPU kernels round differently for another batch size.
    Map<String, String[]> firstById = new HashMap<>();
    scores.forEach(s -> firstById.put(s[0], s));
    List<String> differing = new ArrayList<>();
    double largest = 0;
    for (String[] b : scoresAgain) {
      String[] a = firstById.get(b[0]);
      if (a == null) {
        differing.add("only in the second: " + String.join(",", b));
        continue;
      }
      double sa = Double.parseDouble(a[5]);
      double sb = Double.parseDouble(b[5]);
      largest = Math.max(largest, Math.abs(sa - sb));
      String[] ac = a.clone();
      String[] bc = b.clone();
      ac[5] = bc[5] = "";
      if (!Arrays.equals(ac, bc) || Math.abs(sa - sb) > 1e-9 + 1e-5 * Math.abs(sa)) {
        differing.add(String.join(",", a) + " then " + String.join(",", b));
      }
    }
    System.out.println("largest score difference between the two backtests: " + largest);
    assertThat(differing).as("scores that differ between the two backtests").isEmpty();
  }

  private int backtest(Path file, Path results) {
    return run(
        "backtest",
        "--task",
        "fraud",
        "--file",
        file.toString(),
        "--from",
        "2018-04-17",
        "--retrain-every-days",
        "4",
        "--epochs",
        "3",
        "--maturity-slack",
        "2d",
        // The generated file has ~500 transactions a day, so a day of lead is a few hundred
        // records, which the events reader can outrun at the start; the labels go out with their
        // transactions here (the backtest's events never go idle, so that is safe).
        "--label-lead",
        "7d",
        "--label-idleness",
        "2s",
        "--checkpoint-interval",
        "1s",
        "--no-progress",
        "--out",
        results.toString());
  }

  private static List<String[]> readScores(Path file) throws IOException {
    List<String[]> rows = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(file)), StandardCharsets.UTF_8))) {
      r.readLine();
      for (String line; (line = r.readLine()) != null; ) {
        rows.add(line.split(",", -1));
      }
    }
    return rows;
  }

  /** Generated transactions (the handbook's simulator) from 2018-04-01 until {@code end}. */
  static Path writeGenerated(Path file, Instant end) throws IOException {
    FraudGenerator generator =
        new FraudGenerator(
            FraudGenerator.Settings.defaults()
                .withSeed(7)
                .withSize(250, 500)
                .withStart(Instant.parse("2018-04-01T00:00:00Z")));
    Iterator<LabeledTransaction> it = generator.until(end);
    try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(file))) {
      w.println(
          "TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD,TX_FRAUD_SCENARIO");
      while (it.hasNext()) {
        LabeledTransaction lt = it.next();
        w.printf(
            Locale.ROOT,
            "%d,%s,%s,%s,%.2f,%d,%d%n",
            lt.tx().getTransactionId(),
            CSV_TIME.format(lt.eventTime()),
            lt.tx().getCustomerId(),
            lt.tx().getTerminalId(),
            lt.tx().getAmount(),
            lt.fraud() ? 1 : 0,
            lt.scenario());
      }
    }
    return file;
  }
}
