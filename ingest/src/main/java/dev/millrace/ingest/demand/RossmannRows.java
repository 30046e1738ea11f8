package dev.millrace.ingest.demand;

import dev.millrace.schemas.demand.DemandObservation;
import dev.millrace.schemas.demand.NextOpenDay;
import dev.millrace.schemas.demand.StoreDaySales;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

/**
 * The replay mapping of Rossmann's daily store sales ({@code train*.csv[.gz]}: Store, DayOfWeek,
 * Date, Sales, Customers, Open, Promo, StateHoliday, SchoolHoliday; sorted by date and store) to
 * demand events: one {@link DemandObservation} per row, keyed by store, at the start of its day
 * (UTC). Each row carries the plan of the store's next day with sales in the file ({@link
 * NextOpenDay}: days ahead, weekday, promotion and holidays), which Rossmann publishes in advance;
 * never its sales. A store's last such row has none. Customers are left out: they are known only
 * with the sales.
 */
public final class RossmannRows {

  private RossmannRows() {}

  private record Row(
      String store,
      long day,
      int dayOfWeek,
      double sales,
      boolean open,
      boolean promo,
      String stateHoliday,
      boolean schoolHoliday) {
    boolean sold() {
      return open && sales > 0;
    }
  }

  /** Every row of the file, in file order, as demand events with their next-open-day plan. */
  public static List<DemandObservation> read(Path file) throws IOException {
    List<Row> rows = new ArrayList<>(1_000_000);
    CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get();
    try (InputStream raw = Files.newInputStream(file);
        InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
        BufferedReader reader =
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (CSVRecord r : format.parse(reader)) {
        rows.add(
            new Row(
                r.get("Store"),
                LocalDate.parse(r.get("Date")).toEpochDay(),
                Integer.parseInt(r.get("DayOfWeek")),
                Double.parseDouble(r.get("Sales")),
                "1".equals(r.get("Open")),
                "1".equals(r.get("Promo")),
                r.get("StateHoliday"),
                "1".equals(r.get("SchoolHoliday"))));
      }
    }
    // the next sold row of the same store, by walking the file backwards
    int[] next = new int[rows.size()];
    Map<String, Integer> nextSold = new HashMap<>();
    for (int i = rows.size() - 1; i >= 0; i--) {
      Row r = rows.get(i);
      next[i] = nextSold.getOrDefault(r.store(), -1);
      if (r.sold()) {
        nextSold.put(r.store(), i);
      }
    }
    List<DemandObservation> out = new ArrayList<>(rows.size());
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      NextOpenDay plan = null;
      if (next[i] >= 0) {
        Row n = rows.get(next[i]);
        plan =
            new NextOpenDay(
                (int) (n.day() - r.day()),
                n.dayOfWeek(),
                n.promo(),
                n.stateHoliday(),
                n.schoolHoliday());
      }
      out.add(
          DemandObservation.newBuilder()
              .setSeriesId(r.store())
              .setEventTime(LocalDate.ofEpochDay(r.day()).atStartOfDay().toInstant(ZoneOffset.UTC))
              .setObservation(
                  StoreDaySales.newBuilder()
                      .setStoreId(r.store())
                      .setDayOfWeek(r.dayOfWeek())
                      .setSales(r.sales())
                      .setCustomers(null)
                      .setOpen(r.open())
                      .setPromo(r.promo())
                      .setStateHoliday(r.stateHoliday())
                      .setSchoolHoliday(r.schoolHoliday())
                      .setNextOpenDay(plan)
                      .build())
              .build());
    }
    return out;
  }
}
