package dev.millrace.ingest.fraud;

import dev.millrace.schemas.fraud.FraudTransaction;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.zip.GZIPInputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Streams the Fraud Detection Handbook transactions file ({@code fraud_fdh}, see its README) row by
 * row, never holding more than one row: a CSV, gzip-compressed when the name ends in {@code .gz},
 * with the header {@code TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,...,TX_FRAUD,
 * TX_FRAUD_SCENARIO}. {@code TX_DATETIME} is UTC; ids are kept as strings.
 *
 * <p>An optional time range keeps rows with {@code from <= time < to}; since the file is sorted by
 * time, reading stops at the first row at or after {@code to}. A malformed row raises {@link
 * IllegalArgumentException} naming the file, the line and the value.
 */
public final class FraudCsvReader implements Iterator<LabeledTransaction>, AutoCloseable {

  /** Columns this reader needs. */
  public static final List<String> REQUIRED_COLUMNS =
      List.of(
          "TRANSACTION_ID",
          "TX_DATETIME",
          "CUSTOMER_ID",
          "TERMINAL_ID",
          "TX_AMOUNT",
          "TX_FRAUD",
          "TX_FRAUD_SCENARIO");

  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  private final Path file;
  private final Instant from;
  private final Instant to;
  private final long fileSize;
  private final CountingStream counter;
  private final CSVParser parser;
  private final Iterator<CSVRecord> rows;
  private LabeledTransaction next;
  private boolean finished;
  private long rowsRead;

  private FraudCsvReader(Path file, Instant from, Instant to) throws IOException {
    this.file = file;
    this.from = from;
    this.to = to;
    this.fileSize = Files.size(file);
    this.counter = new CountingStream(Files.newInputStream(file));
    InputStream in = new BufferedInputStream(counter, 1 << 16);
    try {
      if (file.getFileName().toString().endsWith(".gz")) {
        in = new GZIPInputStream(in, 1 << 16);
      }
      Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8);
      this.parser =
          CSVFormat.DEFAULT
              .builder()
              .setHeader()
              .setSkipHeaderRecord(true)
              .setTrim(true)
              .get()
              .parse(reader);
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
    List<String> header = parser.getHeaderNames();
    for (String column : REQUIRED_COLUMNS) {
      if (!header.contains(column)) {
        parser.close();
        throw new IllegalArgumentException(
            file + " is not a fraud_fdh transactions file: column " + column + " is missing");
      }
    }
    this.rows = parser.iterator();
  }

  /** Opens the whole file. */
  public static FraudCsvReader open(Path file) {
    return open(file, null, null);
  }

  /**
   * Opens the file keeping rows with {@code from <= TX_DATETIME < to}; either bound may be null.
   *
   * @throws IllegalArgumentException if the file is missing, unreadable or lacks a column
   */
  public static FraudCsvReader open(Path file, Instant from, Instant to) {
    if (from != null && to != null && !from.isBefore(to)) {
      throw new IllegalArgumentException("time range is empty: from " + from + " to " + to);
    }
    try {
      return new FraudCsvReader(file, from, to);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("no such file: " + file, e);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
    } catch (UncheckedIOException e) {
      throw new IllegalArgumentException(
          "cannot read " + file + ": " + e.getCause().getMessage(), e);
    }
  }

  /** Size of the file on disk in bytes. */
  public long fileSize() {
    return fileSize;
  }

  /** Bytes of the file (compressed, if it is) consumed so far; for progress reporting. */
  public long bytesRead() {
    return counter.count;
  }

  /** Data rows parsed so far, including rows outside the time range. */
  public long rowsRead() {
    return rowsRead;
  }

  @Override
  public boolean hasNext() {
    while (next == null && !finished) {
      CSVRecord row;
      try {
        if (!rows.hasNext()) {
          finished = true;
          break;
        }
        row = rows.next();
      } catch (UncheckedIOException e) {
        throw new IllegalArgumentException(
            "cannot read " + file + ": " + e.getCause().getMessage(), e);
      }
      rowsRead++;
      LabeledTransaction tx = parse(row);
      if (from != null && tx.eventTime().isBefore(from)) {
        continue;
      }
      if (to != null && !tx.eventTime().isBefore(to)) {
        finished = true;
        break;
      }
      next = tx;
    }
    return next != null;
  }

  @Override
  public LabeledTransaction next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    LabeledTransaction out = next;
    next = null;
    return out;
  }

  private LabeledTransaction parse(CSVRecord row) {
    String column = null;
    String value = null;
    try {
      column = "TRANSACTION_ID";
      value = row.get(column);
      long id = Long.parseLong(value);
      column = "TX_DATETIME";
      value = row.get(column);
      Instant time = LocalDateTime.parse(value, TIME).toInstant(ZoneOffset.UTC);
      column = "CUSTOMER_ID";
      String customer = row.get(column);
      column = "TERMINAL_ID";
      String terminal = row.get(column);
      column = "TX_AMOUNT";
      value = row.get(column);
      double amount = Double.parseDouble(value);
      column = "TX_FRAUD";
      value = row.get(column);
      boolean fraud =
          switch (value) {
            case "0" -> false;
            case "1" -> true;
            default -> throw new IllegalArgumentException("expected 0 or 1");
          };
      column = "TX_FRAUD_SCENARIO";
      value = row.get(column);
      int scenario = Integer.parseInt(value);
      FraudTransaction tx = new FraudTransaction(id, time, customer, terminal, amount);
      return new LabeledTransaction(tx, fraud, scenario);
    } catch (RuntimeException e) {
      throw badRow(row, column, value, e);
    }
  }

  private IllegalArgumentException badRow(CSVRecord row, String column, String value, Exception e) {
    return new IllegalArgumentException(
        file
            + " line "
            + row.getParser().getCurrentLineNumber()
            + ": bad "
            + column
            + " '"
            + value
            + "': "
            + e.getMessage(),
        e);
  }

  @Override
  public void close() {
    try {
      parser.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close " + file, e);
    }
  }

  private static final class CountingStream extends FilterInputStream {
    private volatile long count;

    CountingStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = super.skip(n);
      count += skipped;
      return skipped;
    }
  }
}
