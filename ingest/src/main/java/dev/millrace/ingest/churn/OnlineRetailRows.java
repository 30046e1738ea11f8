package dev.millrace.ingest.churn;

import dev.millrace.schemas.churn.ChurnActivity;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * The replay mapping of the UCI Online Retail files (I: InvoiceNo, UnitPrice, CustomerID; II:
 * Invoice, Price, Customer ID; both with StockCode, Quantity, InvoiceDate, Country) to churn
 * events: one {@link ChurnActivity} per line, keyed by customer. Nothing is dropped here: a line
 * without a customer id keeps a blank one, which validation refuses ({@link
 * ChurnValidation#MISSING_CUSTOMER_ID}), so a replay dead-letters it with its reason. The item id
 * is the stock code plus the line's number in its file (lines repeat within an invoice); invoice
 * dates are read as UTC.
 */
public final class OnlineRetailRows {

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);

  private OnlineRetailRows() {}

  /** Reads every line of one file, in file order, into {@code out}. */
  public static void read(Path file, Consumer<ChurnActivity> out) throws IOException {
    try (CSVParser csv = ChurnRows.open(file)) {
      read(csv, out);
    }
  }

  static void read(CSVParser csv, Consumer<ChurnActivity> out) {
    List<String> header = csv.getHeaderNames();
    boolean two = header.contains("Invoice");
    String invoiceCol = two ? "Invoice" : "InvoiceNo";
    String priceCol = two ? "Price" : "UnitPrice";
    String customerCol = two ? "Customer ID" : "CustomerID";
    long row = 0;
    for (CSVRecord r : csv) {
      row++;
      String customer = r.get(customerCol).strip();
      if (customer.endsWith(".0")) {
        customer = customer.substring(0, customer.length() - 2);
      }
      ChurnActivity a =
          ChurnActivity.newBuilder()
              .setCustomerId(customer)
              .setInvoiceId(r.get(invoiceCol))
              .setItemId(r.get("StockCode") + "#" + row)
              .setQuantity(Integer.parseInt(r.get("Quantity")))
              .setUnitPrice(Double.parseDouble(r.get(priceCol)))
              .setCountry(r.get("Country"))
              .setEventTime(Instant.EPOCH)
              .build();
      String date = r.get("InvoiceDate");
      if (date == null || date.isBlank()) {
        a.put("eventTime", null);
      } else {
        a.setEventTime(LocalDateTime.parse(date, TIME).toInstant(ZoneOffset.UTC));
      }
      out.accept(a);
    }
  }
}
