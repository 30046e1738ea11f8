package dev.millrace.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.ingest.fraud.FraudGenerator;
import dev.millrace.ingest.fraud.LabeledTransaction;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Iterator;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The whole {@code fraud} command (without the end-to-end part) on a small synthetic file. */
class FraudBenchmarkCommandTest {

  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  @TempDir Path dir;

  @Test
  void printsTheDetectionAndScoringTables() throws IOException {
    Path csv = dir.resolve("synthetic.csv");
    writeHandbookCsv(csv, Instant.parse("2018-05-08T00:00:00Z"));
    StringWriter out = new StringWriter();
    CommandLine cmd = Benchmarks.commandLine();
    cmd.setOut(new PrintWriter(out));
    int code =
        cmd.execute(
            "fraud",
            "--data",
            csv.toString(),
            "--train-start",
            "2018-04-15",
            "--epochs",
            "2",
            "--seeds",
            "2",
            "--xgb-rounds",
            "10",
            "--scoring-events",
            "256",
            "--e2e-events",
            "0",
            "--work-dir",
            dir.resolve("work").toString());

    assertThat(code).isZero();
    String report = out.toString();
    assertThat(report)
        .contains("Train 2018-04-15..2018-04-21")
        .contains("Test 2018-04-29..2018-05-05")
        .containsPattern(
            "\\| Millrace net \\(DJL 128-64, class weight (on|off), dropout 0\\.\\d, 2 epochs, lr 0.01, NOT the"
                + " shipped defaults\\) \\| 2 \\| 0\\.\\d{3} ± 0\\.\\d{3} \\|")
        .contains("seed 42: 0.")
        .contains("seed 43: 0.")
        .contains("| XGBoost4J 2.1.4 defaults (10 trees, depth 6, eta 0.3, exact) | 1 | 0.")
        .contains(
            "| XGBoost4J 2.1.4 tuned, handbook ch. 5 (50 trees, depth 3, eta 0.3, exact) | 1 | 0.")
        .contains("| 1 | 256 |")
        .contains("| 64 | 256 |")
        .doesNotContain("Model selection")
        .doesNotContain("NaN");
    // two seeds: two models stored
    try (var models = Files.list(dir.resolve("work").resolve("models").resolve("fraud"))) {
      assertThat(models.filter(f -> f.toString().endsWith(".zip")).count()).isEqualTo(2);
    }
  }

  @Test
  void selectsOnTheValidationWeekBeforeTheTestWeek() throws IOException {
    Path csv = dir.resolve("synthetic.csv");
    writeHandbookCsv(csv, Instant.parse("2018-05-08T00:00:00Z"));
    StringWriter out = new StringWriter();
    CommandLine cmd = Benchmarks.commandLine();
    cmd.setOut(new PrintWriter(out));
    int code =
        cmd.execute(
            "fraud",
            "--data",
            csv.toString(),
            "--train-start",
            "2018-04-15",
            "--select",
            "--select-train-start",
            "2018-04-08",
            "--grid-balance",
            "true",
            "--grid-dropout",
            "0.2",
            "--grid-epochs",
            "1,2",
            "--xgb-grid-rounds",
            "5,10",
            "--xgb-grid-depth",
            "3",
            "--xgb-grid-eta",
            "0.3",
            "--epochs",
            "2",
            "--seeds",
            "1",
            "--xgb-rounds",
            "10",
            "--scoring-events",
            "64",
            "--e2e-events",
            "0",
            "--work-dir",
            dir.resolve("work").toString());

    assertThat(code).isZero();
    String report = out.toString();
    assertThat(report)
        .contains("### Model selection (validation period, before the test week)")
        .contains("Train 2018-04-08..2018-04-14")
        .contains("validation 2018-04-22..2018-04-28")
        .contains("| class weight on, dropout 0.2, 1 epochs, lr 0.01")
        .contains("| class weight on, dropout 0.2, 2 epochs, lr 0.01")
        .contains("| 5 trees, depth 3, eta 0.3")
        .contains("| 10 trees, depth 3, eta 0.3")
        .contains("Test 2018-04-29..2018-05-05")
        .doesNotContain("NaN");
    // one chosen net and one chosen XGBoost
    assertThat(report.split("\\*\\*\\(chosen\\)\\*\\*", -1)).hasSize(3);
  }

  @Test
  void aValidationWeekInsideTheTestPeriodIsRefused() throws IOException {
    Path csv = dir.resolve("synthetic.csv");
    writeHandbookCsv(csv, Instant.parse("2018-05-08T00:00:00Z"));
    StringWriter err = new StringWriter();
    CommandLine cmd = Benchmarks.commandLine();
    cmd.setErr(new PrintWriter(err));
    int code =
        cmd.execute(
            "fraud",
            "--data",
            csv.toString(),
            "--train-start",
            "2018-04-15",
            "--select",
            "--select-train-start",
            "2018-04-15",
            "--e2e-events",
            "0");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString())
        .startsWith("error: --select-train-start 2018-04-15 puts the validation week")
        .hasLineCount(1);
  }

  @Test
  void aMissingFileIsOneLineError() {
    StringWriter err = new StringWriter();
    CommandLine cmd = Benchmarks.commandLine();
    cmd.setErr(new PrintWriter(err));
    int code = cmd.execute("fraud", "--data", dir.resolve("nope.csv.gz").toString());
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).startsWith("error: no such file: ").hasLineCount(1);
  }

  /** The generator's transactions in the fraud_fdh CSV layout, until {@code end}. */
  static void writeHandbookCsv(Path csv, Instant end) throws IOException {
    Instant start = Instant.parse("2018-04-01T00:00:00Z");
    FraudGenerator generator =
        new FraudGenerator(
            FraudGenerator.Settings.defaults().withSeed(11).withSize(300, 600).withStart(start));
    try (BufferedWriter w = Files.newBufferedWriter(csv)) {
      w.write(
          "TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_TIME_SECONDS,"
              + "TX_TIME_DAYS,TX_FRAUD,TX_FRAUD_SCENARIO\n");
      Iterator<LabeledTransaction> it = generator.until(end);
      while (it.hasNext()) {
        LabeledTransaction tx = it.next();
        long seconds = Duration.between(start, tx.eventTime()).getSeconds();
        w.write(
            String.format(
                Locale.ROOT,
                "%d,%s,%s,%s,%.2f,%d,%d,%d,%d%n",
                tx.tx().getTransactionId(),
                LocalDateTime.ofInstant(tx.eventTime(), ZoneOffset.UTC).format(TIME),
                tx.customerId(),
                tx.tx().getTerminalId(),
                tx.tx().getAmount(),
                seconds,
                seconds / 86_400,
                tx.fraud() ? 1 : 0,
                tx.scenario()));
      }
    }
  }
}
