package dev.millrace.pipeline.demand;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

/**
 * Rossmann's {@code store.csv}: the reference data joined to every sales row by store id. A row of
 * a store that is not in the table cannot be featured; {@link DemandFeatureEngine} refuses it with
 * {@link DemandFeatureEngine#UNKNOWN_STORE} (for the dead-letter topic) and keeps no state for it.
 */
public final class StoreTable {

  private final Map<String, StoreInfo> stores;

  public StoreTable(List<StoreInfo> rows) {
    Map<String, StoreInfo> m = new LinkedHashMap<>();
    for (StoreInfo s : rows) {
      if (m.put(s.storeId(), s) != null) {
        throw new IllegalArgumentException("store " + s.storeId() + " appears twice");
      }
    }
    this.stores = Collections.unmodifiableMap(m);
  }

  /** Reads {@code store.csv} or {@code store.csv.gz}. */
  public static StoreTable read(Path file) throws IOException {
    try (InputStream raw = Files.newInputStream(file);
        InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
      return read(in);
    }
  }

  /** Reads the CSV with its header row; empty numeric cells are unknown. */
  public static StoreTable read(InputStream in) throws IOException {
    List<StoreInfo> rows = new ArrayList<>();
    CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get();
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (CSVRecord r : format.parse(reader)) {
        rows.add(
            new StoreInfo(
                r.get("Store").trim(),
                r.get("StoreType").trim(),
                r.get("Assortment").trim(),
                number(r.get("CompetitionDistance"), Double.NaN),
                (int) number(r.get("CompetitionOpenSinceMonth"), 0),
                (int) number(r.get("CompetitionOpenSinceYear"), 0),
                number(r.get("Promo2"), 0) == 1,
                (int) number(r.get("Promo2SinceWeek"), 0),
                (int) number(r.get("Promo2SinceYear"), 0),
                r.get("PromoInterval").trim()));
      }
    }
    return new StoreTable(rows);
  }

  private static double number(String cell, double missing) {
    String c = cell == null ? "" : cell.trim();
    return c.isEmpty() ? missing : Double.parseDouble(c);
  }

  /** The store, or null when the table does not know it. */
  public StoreInfo get(String storeId) {
    return stores.get(storeId);
  }

  /** Store ids in file order: the vocabulary of the store embedding. */
  public List<String> storeIds() {
    return List.copyOf(stores.keySet());
  }

  public int size() {
    return stores.size();
  }
}
