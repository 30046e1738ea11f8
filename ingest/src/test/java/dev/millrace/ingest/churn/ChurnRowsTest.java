package dev.millrace.ingest.churn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.millrace.schemas.churn.ChurnActivity;
import dev.millrace.testkit.SharedDatasets;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChurnRowsTest {

  @TempDir Path dir;

  private List<ChurnActivity> read(Path file, ChurnRows.Format expected) throws Exception {
    List<ChurnActivity> out = new ArrayList<>();
    assertThat(ChurnRows.read(file, out::add)).isEqualTo(expected);
    return out;
  }

  @Test
  void cdnowRowsArePurchasesOfTheirDayAtTheAveragePrice() throws Exception {
    Path f = dir.resolve("cdnow.csv.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(f))) {
      out.write(
          ("customer_id,date,number_of_cds,dollar_value\n"
                  + "7,1997-01-01,2,29.33\n"
                  + "7,1997-01-01,1,11.77\n"
                  + "8,1997-03-15,0,0.0\n"
                  + "9,,1,5.0\n")
              .getBytes(StandardCharsets.UTF_8));
    }
    List<ChurnActivity> rows = read(f, ChurnRows.Format.CDNOW);
    assertThat(rows).hasSize(4);
    ChurnActivity first = rows.get(0);
    assertThat(first.getCustomerId()).isEqualTo("7");
    assertThat(first.getQuantity()).isEqualTo(2);
    assertThat(first.getUnitPrice()).isEqualTo(29.33 / 2);
    assertThat(first.getCountry()).isNull();
    assertThat(first.getEventTime()).isEqualTo(Instant.parse("1997-01-01T00:00:00Z"));
    // Two purchases of one day stay two events.
    assertThat(rows.get(1).getInvoiceId()).isNotEqualTo(first.getInvoiceId());
    // Zero CDs and a missing date are kept for validation to refuse with its reason.
    assertThat(rows.get(2).getQuantity()).isZero();
    assertThat(ChurnValidation.check(rows.get(2), rules(), Instant.now()))
        .map(r -> r.code())
        .contains(ChurnValidation.NON_POSITIVE_QUANTITY);
    assertThat(rows.get(3).getEventTime()).isNull();
    assertThat(ChurnValidation.check(rows.get(3), rules(), Instant.now()))
        .map(r -> r.code())
        .contains(ChurnValidation.MISSING_DATE);
  }

  @Test
  void onlineRetailIsToldApartByItsHeader() throws Exception {
    Path f = dir.resolve("retail.csv");
    Files.writeString(
        f,
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
            + "536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom\n");
    List<ChurnActivity> rows = read(f, ChurnRows.Format.ONLINE_RETAIL);
    assertThat(rows).hasSize(1);
    assertThat(rows.get(0).getCustomerId()).isEqualTo("17850");
    assertThat(rows.get(0).getCountry()).isEqualTo("United Kingdom");
    assertThat(rows.get(0).getEventTime()).isEqualTo(Instant.parse("2010-12-01T08:26:00Z"));
  }

  @Test
  void anUnknownHeaderIsRefusedByName() throws Exception {
    Path f = dir.resolve("other.csv");
    Files.writeString(f, "a,b\n1,2\n");
    assertThatThrownBy(() -> ChurnRows.read(f, r -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Online Retail I/II or CDNOW");
  }

  @Test
  void theRealCdnowMasterFile() throws Exception {
    String name = "cdnow/cdnow_master_1997-01-01_1997-09-30.csv.gz";
    Optional<Path> real = SharedDatasets.find(name);
    assumeTrue(real.isPresent(), "dataset not present: shared/datasets/" + name);
    List<ChurnActivity> rows = read(real.get(), ChurnRows.Format.CDNOW);
    // The dataset's README: 49,086 rows, 23,570 customers, all before 1997-10-01.
    assertThat(rows).hasSize(49_086);
    Set<String> customers = new HashSet<>();
    rows.forEach(r -> customers.add(r.getCustomerId().toString()));
    assertThat(customers).hasSize(23_570);
    assertThat(rows)
        .allMatch(r -> r.getEventTime().isBefore(Instant.parse("1997-10-01T00:00:00Z")));
  }

  private static dev.millrace.ingest.ValidationRules rules() {
    return new dev.millrace.ingest.ValidationRules(
        Instant.parse("1990-01-01T00:00:00Z"), java.time.Duration.ofDays(1));
  }
}
