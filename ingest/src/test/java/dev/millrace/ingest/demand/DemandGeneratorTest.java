package dev.millrace.ingest.demand;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.schemas.demand.DemandObservation;
import dev.millrace.schemas.demand.StoreDaySales;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemandGeneratorTest {

  @Test
  void everyStoreEveryDayWithItsNextOpenDaysPlan() {
    DemandGenerator g = new DemandGenerator(DemandGenerator.Settings.defaults().withStores(5));
    List<DemandObservation> rows = new ArrayList<>();
    for (int i = 0; i < 5 * 28; i++) {
      rows.add(g.next());
    }
    for (int i = 0; i < rows.size(); i++) {
      DemandObservation o = rows.get(i);
      StoreDaySales s = (StoreDaySales) o.getObservation();
      LocalDate day = LocalDate.ofInstant(o.getEventTime(), ZoneOffset.UTC);
      assertThat(o.getSeriesId().toString()).isEqualTo(Integer.toString(1 + i % 5));
      assertThat(day).isEqualTo(LocalDate.parse("2014-01-01").plusDays(i / 5));
      boolean sunday = day.getDayOfWeek() == DayOfWeek.SUNDAY;
      assertThat(s.getOpen()).isEqualTo(!sunday);
      assertThat(s.getSales() > 0).isEqualTo(!sunday);
      LocalDate next = day.plusDays(s.getNextOpenDay().getDaysAhead());
      assertThat(next.getDayOfWeek()).isNotEqualTo(DayOfWeek.SUNDAY);
      assertThat(s.getNextOpenDay().getDaysAhead())
          .isEqualTo(day.getDayOfWeek() == DayOfWeek.SATURDAY ? 2 : 1);
      assertThat(s.getNextOpenDay().getDayOfWeek()).isEqualTo(next.getDayOfWeek().getValue());
      assertThat(s.getNextOpenDay().getPromo()).isEqualTo(DemandGenerator.promo(next));
    }
  }

  @Test
  void promotionsLiftSalesAndTheStoreTableNamesEveryStore() {
    DemandGenerator g = new DemandGenerator(DemandGenerator.Settings.defaults().withStores(3));
    double promo = 0;
    double plain = 0;
    int np = 0;
    int nn = 0;
    for (int i = 0; i < 3 * 364; i++) {
      DemandObservation o = g.next();
      StoreDaySales s = (StoreDaySales) o.getObservation();
      if (s.getOpen() && s.getStoreId().toString().equals("1")) {
        if (s.getPromo()) {
          promo += s.getSales();
          np++;
        } else {
          plain += s.getSales();
          nn++;
        }
      }
    }
    assertThat((promo / np) / (plain / nn)).isBetween(1.15, 1.40);
    String csv = g.storeCsv();
    assertThat(csv.lines()).hasSize(4);
    assertThat(csv.lines().skip(1).map(l -> l.split(",")[0])).containsExactly("1", "2", "3");
  }
}
