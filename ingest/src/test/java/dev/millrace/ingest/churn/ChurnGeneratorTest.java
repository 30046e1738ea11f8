package dev.millrace.ingest.churn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.ingest.ValidationRules;
import dev.millrace.schemas.churn.ChurnActivity;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChurnGeneratorTest {

  private static List<ChurnActivity> take(ChurnGenerator.Settings s, int n) {
    ChurnGenerator g = new ChurnGenerator(s);
    List<ChurnActivity> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(g.next());
    }
    return out;
  }

  @Test
  void linesAreValidInTimeOrderAndTheSameForTheSameSeed() {
    ChurnGenerator.Settings s = ChurnGenerator.Settings.defaults().withCustomers(200);
    List<ChurnActivity> lines = take(s, 20_000);
    assertThat(take(s, 20_000)).isEqualTo(lines);
    assertThat(take(s.withSeed(7), 100)).isNotEqualTo(lines.subList(0, 100));
    ValidationRules rules =
        new ValidationRules(Instant.parse("2000-01-01T00:00:00Z"), Duration.ofDays(1));
    Instant now = Instant.parse("2100-01-01T00:00:00Z");
    long returns = 0;
    for (int i = 0; i < lines.size(); i++) {
      ChurnActivity a = lines.get(i);
      assertThat(ChurnValidation.check(a, rules, now)).as("line %d: %s", i, a).isEmpty();
      if (i > 0) {
        assertThat(a.getEventTime()).isAfterOrEqualTo(lines.get(i - 1).getEventTime());
      }
      if (ChurnValidation.isReturn(a)) {
        returns++;
      }
    }
    assertThat(returns / (double) lines.size()).isBetween(0.01, 0.06);
  }

  @Test
  void customersStopBuyingAndNewOnesJoin() {
    List<ChurnActivity> lines = take(ChurnGenerator.Settings.defaults().withCustomers(200), 60_000);
    Map<String, Instant> last = new HashMap<>();
    lines.forEach(a -> last.put(a.getCustomerId().toString(), a.getEventTime()));
    Instant end = lines.get(lines.size() - 1).getEventTime();
    long quietFor90Days =
        last.values().stream().filter(t -> t.plus(Duration.ofDays(90)).isBefore(end)).count();
    // More customers than the shop holds at a time: some left and were replaced...
    assertThat(last.size()).isGreaterThan(300);
    // ...and those who left are quiet for good: churn for the job's 90-day label to find.
    assertThat(quietFor90Days).isGreaterThan(50);
  }
}
