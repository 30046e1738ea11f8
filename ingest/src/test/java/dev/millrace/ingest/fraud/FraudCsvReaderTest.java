package dev.millrace.ingest.fraud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.millrace.testkit.SharedDatasets;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FraudCsvReaderTest {

  static final String[] HEADER = {
    "TRANSACTION_ID",
    "TX_DATETIME",
    "CUSTOMER_ID",
    "TERMINAL_ID",
    "TX_AMOUNT",
    "TX_TIME_SECONDS",
    "TX_TIME_DAYS",
    "TX_FRAUD",
    "TX_FRAUD_SCENARIO"
  };

  @TempDir Path dir;

  private Path fixture(List<Object[]> rows) throws IOException {
    Path file = dir.resolve("tx.csv.gz");
    try (Writer w =
            new OutputStreamWriter(
                new GZIPOutputStream(Files.newOutputStream(file)), StandardCharsets.UTF_8);
        CSVPrinter printer = CSVFormat.DEFAULT.builder().setHeader(HEADER).get().print(w)) {
      for (Object[] row : rows) {
        printer.printRecord(row);
      }
    }
    return file;
  }

  private static Object[] row(
      long id, String time, String customer, String terminal, double amt, int fraud, int scenario) {
    return new Object[] {id, time, customer, terminal, amt, 0, 0, fraud, scenario};
  }

  private static List<LabeledTransaction> readAll(FraudCsvReader reader) {
    List<LabeledTransaction> out = new ArrayList<>();
    reader.forEachRemaining(out::add);
    return out;
  }

  private Path threeRows() throws IOException {
    return fixture(
        List.of(
            row(0, "2018-04-01 00:00:31", "596", "3156", 57.16, 0, 0),
            row(1, "2018-04-01 10:02:10", "4961", "3412", 281.51, 1, 1),
            row(2, "2018-04-02 00:07:56", "2", "1365", 146.0, 1, 3)));
  }

  @Test
  void readsRowsAsUtcTransactionsWithLabels() throws IOException {
    try (FraudCsvReader reader = FraudCsvReader.open(threeRows())) {
      List<LabeledTransaction> all = readAll(reader);
      assertThat(all).hasSize(3);
      LabeledTransaction first = all.get(0);
      assertThat(first.tx().getTransactionId()).isEqualTo(0L);
      assertThat(first.eventTime()).isEqualTo(Instant.parse("2018-04-01T00:00:31Z"));
      assertThat(first.tx().getCustomerId()).isEqualTo("596");
      assertThat(first.tx().getTerminalId()).isEqualTo("3156");
      assertThat(first.tx().getAmount()).isEqualTo(57.16);
      assertThat(first.fraud()).isFalse();
      assertThat(first.scenario()).isZero();
      assertThat(all.get(1).fraud()).isTrue();
      assertThat(all.get(2).scenario()).isEqualTo(3);
      assertThat(reader.rowsRead()).isEqualTo(3);
      assertThat(reader.bytesRead()).isEqualTo(reader.fileSize());
    }
  }

  @Test
  void timeRangeIsHalfOpen() throws IOException {
    Path file = threeRows();
    try (FraudCsvReader reader =
        FraudCsvReader.open(
            file, Instant.parse("2018-04-01T00:00:32Z"), Instant.parse("2018-04-02T00:07:56Z"))) {
      assertThat(readAll(reader)).extracting(t -> t.tx().getTransactionId()).containsExactly(1L);
    }
    try (FraudCsvReader reader =
        FraudCsvReader.open(file, Instant.parse("2018-04-01T10:02:10Z"), null)) {
      assertThat(readAll(reader))
          .extracting(t -> t.tx().getTransactionId())
          .containsExactly(1L, 2L);
    }
  }

  @Test
  void badRowGivesLineAndValue() throws IOException {
    Path file =
        fixture(
            List.of(
                row(0, "2018-04-01 00:00:31", "596", "3156", 57.16, 0, 0),
                new Object[] {1, "2018-04-01 00:01:00", "5", "6", "12,5x", 0, 0, 0, 0}));
    try (FraudCsvReader reader = FraudCsvReader.open(file)) {
      assertThat(reader.next().tx().getTransactionId()).isZero();
      assertThatThrownBy(reader::hasNext)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("line 3")
          .hasMessageContaining("TX_AMOUNT")
          .hasMessageContaining("12,5x");
    }
  }

  @Test
  void missingFileAndMissingColumnAreClearErrors() throws IOException {
    assertThatThrownBy(() -> FraudCsvReader.open(dir.resolve("nope.csv.gz")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no such file");
    Path plain = dir.resolve("other.csv");
    Files.writeString(plain, "a,b\n1,2\n");
    assertThatThrownBy(() -> FraudCsvReader.open(plain))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("TRANSACTION_ID");
  }

  @Test
  void readsTheFirstRowsOfTheRealFile() {
    // shared/datasets beside the checkout (or -Dmillrace.datasets); skips only when it is absent
    Optional<Path> real = SharedDatasets.find(SharedDatasets.FRAUD_FDH);
    assumeTrue(
        real.isPresent(), "dataset not present: shared/datasets/" + SharedDatasets.FRAUD_FDH);
    try (FraudCsvReader reader = FraudCsvReader.open(real.get())) {
      List<LabeledTransaction> first = new ArrayList<>();
      while (first.size() < 1000 && reader.hasNext()) {
        first.add(reader.next());
      }
      assertThat(first).hasSize(1000);
      assertThat(first.get(0).tx().getTransactionId()).isZero();
      assertThat(first.get(0).tx().getAmount()).isEqualTo(57.16);
      assertThat(first.get(0).eventTime()).isEqualTo(Instant.parse("2018-04-01T00:00:31Z"));
      for (int i = 1; i < first.size(); i++) {
        assertThat(first.get(i).eventTime()).isAfterOrEqualTo(first.get(i - 1).eventTime());
      }
      assertThat(reader.bytesRead()).isLessThan(reader.fileSize());
    }
  }
}
