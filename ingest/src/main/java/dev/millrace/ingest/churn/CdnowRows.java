package dev.millrace.ingest.churn;

import dev.millrace.schemas.churn.ChurnActivity;
import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.function.Consumer;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * The replay mapping of the CDNOW purchase log ({@code customer_id, date, number_of_cds,
 * dollar_value}; the master file, or the sample with {@code master_customer_id}) to churn events:
 * one {@link ChurnActivity} per row, keyed by customer, at the start of its day (UTC). A row is a
 * purchase of {@code number_of_cds} at their average price; CDNOW has no country (the job's
 * out-of-vocabulary index). Nothing is dropped here: a row with zero CDs keeps its quantity, which
 * validation refuses ({@link ChurnValidation#NON_POSITIVE_QUANTITY}); a missing date stays null
 * ({@link ChurnValidation#MISSING_DATE}). CDNOW is from 1997: a job must accept that time ({@code
 * millrace pipeline --task churn --earliest 1990-01-01}).
 */
public final class CdnowRows {

  /** The header columns that tell a CDNOW file. */
  static final String CUSTOMER = "customer_id";

  static final String SAMPLE_CUSTOMER = "master_customer_id";

  private CdnowRows() {}

  /** Reads every row of one file, in file order, into {@code out}. */
  public static void read(Path file, Consumer<ChurnActivity> out) throws IOException {
    try (CSVParser csv = ChurnRows.open(file)) {
      read(csv, out);
    }
  }

  static void read(CSVParser csv, Consumer<ChurnActivity> out) {
    String customerCol =
        csv.getHeaderNames().contains(SAMPLE_CUSTOMER) ? SAMPLE_CUSTOMER : CUSTOMER;
    long row = 0;
    for (CSVRecord r : csv) {
      row++;
      String customer = r.get(customerCol).strip();
      String date = r.get("date").strip();
      int cds = Integer.parseInt(r.get("number_of_cds").strip());
      double dollars = Double.parseDouble(r.get("dollar_value").strip());
      ChurnActivity a =
          ChurnActivity.newBuilder()
              .setCustomerId(customer)
              // One day's purchases of a customer share a date: the row number keeps them apart.
              .setInvoiceId(customer + "@" + date + "#" + row)
              .setItemId("cds")
              .setQuantity(cds)
              .setUnitPrice(cds > 0 ? dollars / cds : dollars)
              .setCountry(null)
              .setEventTime(java.time.Instant.EPOCH)
              .build();
      try {
        a.setEventTime(LocalDate.parse(date).atStartOfDay().toInstant(ZoneOffset.UTC));
      } catch (DateTimeParseException missingOrBad) {
        a.put("eventTime", null);
      }
      out.accept(a);
    }
  }
}
