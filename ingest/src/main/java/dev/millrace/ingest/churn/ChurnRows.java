package dev.millrace.ingest.churn;

import dev.millrace.schemas.churn.ChurnActivity;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;

/**
 * The churn datasets a replay reads, told apart by their header: Online Retail I or II ({@link
 * OnlineRetailRows}) and CDNOW ({@link CdnowRows}). Gzip when the name ends in {@code .gz}.
 */
public final class ChurnRows {

  /** A churn dataset format. */
  public enum Format {
    ONLINE_RETAIL,
    CDNOW
  }

  private ChurnRows() {}

  /**
   * Reads every row of {@code file}, in file order, into {@code out}; returns the format found.
   *
   * @throws IllegalArgumentException when the header is neither Online Retail's nor CDNOW's
   */
  public static Format read(Path file, Consumer<ChurnActivity> out) throws IOException {
    try (CSVParser csv = open(file)) {
      Format f = format(csv.getHeaderNames());
      switch (f) {
        case CDNOW -> CdnowRows.read(csv, out);
        case ONLINE_RETAIL -> OnlineRetailRows.read(csv, out);
      }
      return f;
    }
  }

  static Format format(List<String> header) {
    if ((header.contains(CdnowRows.CUSTOMER) || header.contains(CdnowRows.SAMPLE_CUSTOMER))
        && header.contains("number_of_cds")) {
      return Format.CDNOW;
    }
    if (header.contains("StockCode") && header.contains("InvoiceDate")) {
      return Format.ONLINE_RETAIL;
    }
    throw new IllegalArgumentException(
        "not a churn dataset this replay knows (Online Retail I/II or CDNOW); header: " + header);
  }

  /** A CSV parser over {@code file} (gunzipped when it ends in .gz), its header read. */
  static CSVParser open(Path file) throws IOException {
    InputStream raw = Files.newInputStream(file);
    try {
      InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      return CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(reader);
    } catch (IOException | RuntimeException e) {
      raw.close();
      throw e;
    }
  }
}
