package dev.millrace.ingest.demand;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.schemas.demand.DemandObservation;
import dev.millrace.schemas.demand.StoreDaySales;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RossmannRowsTest {

  @TempDir Path dir;

  @Test
  void eachRowCarriesThePlanOfItsStoresNextDayWithSalesButNeverItsSales() throws Exception {
    Path file = dir.resolve("train.csv");
    Files.writeString(
        file,
        """
        Store,DayOfWeek,Date,Sales,Customers,Open,Promo,StateHoliday,SchoolHoliday
        1,5,2015-06-05,5000,500,1,1,0,0
        2,5,2015-06-05,7000,700,1,1,0,1
        1,6,2015-06-06,6100,610,1,0,0,0
        2,6,2015-06-06,0,0,1,0,0,0
        1,7,2015-06-07,0,0,0,0,0,0
        2,7,2015-06-07,0,0,0,0,0,0
        1,1,2015-06-08,4200,420,1,1,a,1
        2,1,2015-06-08,3900,390,1,1,a,1
        """);
    List<DemandObservation> rows = RossmannRows.read(file);
    assertThat(rows).hasSize(8);
    DemandObservation friday1 = rows.get(0);
    assertThat(friday1.getSeriesId()).isEqualTo("1");
    assertThat(friday1.getEventTime()).isEqualTo(Instant.parse("2015-06-05T00:00:00Z"));
    StoreDaySales f = (StoreDaySales) friday1.getObservation();
    assertThat(f.getSales()).isEqualTo(5000.0);
    assertThat(f.getCustomers()).isNull();
    assertThat(f.getNextOpenDay().getDaysAhead()).isEqualTo(1); // Saturday
    assertThat(f.getNextOpenDay().getPromo()).isFalse();
    // Store 1's Saturday plans Monday (Sunday closed); Monday's holiday and promo come with it.
    StoreDaySales saturday1 = (StoreDaySales) rows.get(2).getObservation();
    assertThat(saturday1.getNextOpenDay().getDaysAhead()).isEqualTo(2);
    assertThat(saturday1.getNextOpenDay().getDayOfWeek()).isEqualTo(1);
    assertThat(saturday1.getNextOpenDay().getPromo()).isTrue();
    assertThat(saturday1.getNextOpenDay().getStateHoliday()).isEqualTo("a");
    assertThat(saturday1.getNextOpenDay().getSchoolHoliday()).isTrue();
    // Store 2's Friday skips its open Saturday without sales: the next day with sales is Monday.
    StoreDaySales friday2 = (StoreDaySales) rows.get(1).getObservation();
    assertThat(friday2.getNextOpenDay().getDaysAhead()).isEqualTo(3);
    // A closed day is replayed too (the job scores nothing for it); the last days plan nothing.
    assertThat(((StoreDaySales) rows.get(4).getObservation()).getOpen()).isFalse();
    assertThat(((StoreDaySales) rows.get(6).getObservation()).getNextOpenDay()).isNull();
    assertThat(((StoreDaySales) rows.get(7).getObservation()).getNextOpenDay()).isNull();
  }
}
