package dev.millrace.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Locale;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The {@code demand} command on a small synthetic Rossmann-shaped folder, and without one. */
class DemandBenchmarkCommandTest {

  @TempDir Path dir;

  @Test
  void aMissingDatasetIsOneClearLine() {
    StringWriter err = new StringWriter();
    CommandLine cmd = Benchmarks.commandLine();
    cmd.setErr(new PrintWriter(err));
    int code = cmd.execute("demand", "--data-dir", dir.resolve("nowhere").toString());
    assertThat(code).isEqualTo(2);
    assertThat(err.toString().strip())
        .startsWith("error: the rossmann dataset is missing")
        .doesNotContain("\n")
        .doesNotContain("Exception");

    StringWriter bikeErr = new StringWriter();
    CommandLine bike = Benchmarks.commandLine();
    bike.setErr(new PrintWriter(bikeErr));
    assertThat(
            bike.execute(
                "demand", "--dataset", "bike_sharing", "--data-dir", dir.resolve("no").toString()))
        .isEqualTo(2);
    assertThat(bikeErr.toString().strip())
        .startsWith("error: the bike_sharing dataset is missing")
        .doesNotContain("\n");
  }

  @Test
  void printsTheNetAndTheGbmOnTheSameSplit() throws IOException {
    writeSynthetic(dir, 6, LocalDate.of(2015, 1, 1), 150);
    StringWriter out = new StringWriter();
    CommandLine cmd = Benchmarks.commandLine();
    cmd.setOut(new PrintWriter(out));
    int code =
        cmd.execute(
            "demand",
            "--data-dir",
            dir.toString(),
            "--test-days",
            "14",
            "--epochs",
            "2",
            "--batch",
            "64",
            "--hidden",
            "16",
            "--gbm-rounds",
            "5,20",
            "--threads",
            "1");
    assertThat(code).isZero();
    String report = out.toString();
    assertThat(report)
        .contains("| model | validation RMSPE | validation RMSLE | test RMSPE |")
        .contains("| Millrace net [16]")
        .contains("| XGBoost hist, ")
        .contains("validation 2015-05-03..2015-05-16")
        .contains("test 2015-05-17..2015-05-30");
    // the GBM learns the synthetic weekly pattern: far better than a constant
    String gbm = report.lines().filter(l -> l.startsWith("| XGBoost")).findFirst().orElseThrow();
    double testRmspe = Double.parseDouble(gbm.split("\\|")[4].trim());
    assertThat(testRmspe).isLessThan(0.2);
  }

  /** Stores with a weekly pattern, promotions, closed Sundays and noise. */
  static void writeSynthetic(Path dir, int stores, LocalDate start, int days) throws IOException {
    Random r = new Random(1);
    StringBuilder csv =
        new StringBuilder(
            "Store,DayOfWeek,Date,Sales,Customers,Open,Promo,StateHoliday,SchoolHoliday\n");
    for (int d = 0; d < days; d++) {
      LocalDate date = start.plusDays(d);
      int dow = date.getDayOfWeek().getValue();
      boolean promo = (d / 7) % 2 == 0 && dow <= 5;
      for (int s = 1; s <= stores; s++) {
        boolean open = dow != 7;
        double sales =
            open
                ? 3000
                    * (1 + 0.2 * s)
                    * (1 + 0.1 * (6 - dow))
                    * (promo ? 1.3 : 1)
                    * (1 + 0.03 * r.nextGaussian())
                : 0;
        csv.append(
            String.format(
                Locale.ROOT,
                "%d,%d,%s,%d,%d,%d,%d,0,0%n",
                s,
                dow,
                date,
                Math.round(sales),
                Math.round(sales / 10),
                open ? 1 : 0,
                promo ? 1 : 0));
      }
    }
    StringBuilder store =
        new StringBuilder(
            "Store,StoreType,Assortment,CompetitionDistance,CompetitionOpenSinceMonth,CompetitionOpenSinceYear,Promo2,Promo2SinceWeek,Promo2SinceYear,PromoInterval\n");
    for (int s = 1; s <= stores; s++) {
      store
          .append(s)
          .append(
              s % 2 == 0 ? ",a,a,570,11,2007,0,,,\n" : ",c,c,,,,1,13,2010,\"Jan,Apr,Jul,Oct\"\n");
    }
    gzip(dir.resolve(DemandBenchmark.TRAIN_FILE), csv.toString());
    gzip(dir.resolve(DemandBenchmark.STORE_FILE), store.toString());
  }

  private static void gzip(Path file, String text) throws IOException {
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }
}
