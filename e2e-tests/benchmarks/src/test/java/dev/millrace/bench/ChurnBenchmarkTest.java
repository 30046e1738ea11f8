package dev.millrace.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.pipeline.churn.ChurnFeatures;
import dev.millrace.schemas.churn.ChurnActivity;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The churn benchmark's cut-date protocol on a few hand-made customers. */
class ChurnBenchmarkTest {

  private static final LocalDate DAY0 = LocalDate.parse("2011-01-01");

  private static ChurnActivity buy(String customer, int day) {
    return ChurnActivity.newBuilder()
        .setCustomerId(customer)
        .setInvoiceId(customer + day)
        .setItemId("x")
        .setQuantity(1)
        .setUnitPrice(2.0)
        .setCountry("France")
        .setEventTime(DAY0.plusDays(day).atStartOfDay().toInstant(ZoneOffset.UTC).plusSeconds(3600))
        .build();
  }

  private static ChurnBenchmark bench() {
    ChurnBenchmark b = new ChurnBenchmark();
    new CommandLine(b).parseArgs(); // option defaults: H = 90 days
    return b;
  }

  @Test
  void scoresCustomersActiveInTheYearBeforeTheCutAndLabelsTheNextNinetyDays() {
    List<ChurnActivity> lines =
        new ArrayList<>(
            List.of(
                buy("stays", 400),
                buy("stays", 499), // buys 89 days after the cut at day 410
                buy("leaves", 405),
                buy("leaves", 501), // 91 days after: too late
                buy("new", 411), // first purchase after the cut: not scored
                buy("gone", 10))); // last purchase 400 days before the cut: forgotten
    lines.sort(java.util.Comparator.comparing(ChurnActivity::getEventTime));
    LocalDate cut = DAY0.plusDays(410);
    Map<LocalDate, ChurnBenchmark.Rows> rows = bench().snapshots(lines, List.of(cut));
    ChurnBenchmark.Rows r = rows.get(cut);
    assertThat(r.labels()).hasSize(2);
    // customers in id order: leaves, stays
    assertThat(r.labels()).containsExactly(1f, 0f);
    assertThat(r.features().get(0)[ChurnFeatures.RECENCY]).isCloseTo(5f - 1f / 24, within());
    assertThat(r.features().get(1)[ChurnFeatures.RECENCY]).isCloseTo(10f - 1f / 24, within());
    assertThat(r.times()).containsOnly(cut.atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli());
  }

  private static org.assertj.core.data.Offset<Float> within() {
    return org.assertj.core.data.Offset.offset(1e-3f);
  }

  @Test
  void trainingCutsEndWhereTheirHorizonReachesTheEvaluatedCut() {
    assertThat(ChurnBenchmark.monthly(LocalDate.parse("2010-03-01"), LocalDate.parse("2011-03-03")))
        .hasSize(13)
        .endsWith(LocalDate.parse("2011-03-01"));
    assertThat(ChurnBenchmark.weekly(LocalDate.parse("1997-01-15"), LocalDate.parse("1997-01-29")))
        .containsExactly(
            LocalDate.parse("1997-01-15"),
            LocalDate.parse("1997-01-22"),
            LocalDate.parse("1997-01-29"));
  }

  @Test
  void aMissingDatasetsFolderIsAUserError() {
    assertThatThrownBy(() -> ChurnBenchmark.locate(Path.of("/no/such/datasets")))
        .isInstanceOf(Benchmarks.UserError.class)
        .hasMessageContaining("/no/such/datasets");
  }
}
