package dev.millrace.ops.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.millrace.schemas.Task;
import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.TestKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The dashboard's HTTP API and pages on a real broker with real records and a real history. */
@ExtendWith(KafkaExtension.class)
class DashboardServerTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> get(URI uri) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static long labelsSeen(JsonNode summary) {
    long n = 0;
    for (JsonNode v : summary.path("throughput").path("labels")) {
      n += v.asLong();
    }
    return n;
  }

  @Test
  void summaryPagesAndErrors(TestKafka kafka, @TempDir Path dir) throws Exception {
    kafka.createTopics(Task.FRAUD);
    DashboardFixture.writeHistory(dir);
    DashboardFixture.produce(kafka);
    var settings =
        new DashboardSettings(
            kafka.bootstrapServers(), kafka.topics(), List.of(Task.values()), dir, "127.0.0.1", 0);
    try (DashboardServer server = DashboardServer.start(settings)) {
      URI summaryUri = server.uri().resolve("/api/tasks/fraud/summary");
      JsonNode summary = JSON.readTree(get(summaryUri).body());
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (summary.path("scores").asLong()
              < DashboardFixture.SCORES_V1 + DashboardFixture.SCORES_V3
          || summary.path("deadLetters").asLong() < DashboardFixture.DEAD_LETTERS
          || summary.path("models").size() < 2
          || labelsSeen(summary) < DashboardFixture.LABELS
          || summary.path("quality").path("byVersion").size() < 2
          || summary.path("drift").path("requests").size() < 2) {
        assertThat(System.nanoTime())
            .as("the feed reads the topics: " + summary)
            .isLessThan(deadline);
        Thread.sleep(200); // polling an HTTP endpoint, as the page does
        summary = JSON.readTree(get(summaryUri).body());
      }
      assertThat(summary.path("scores").asLong()).isEqualTo(500);
      assertThat(summary.path("modelInUse").asText()).isEqualTo(DashboardFixture.IN_USE);
      assertThat(summary.path("champion").asText()).isEqualTo(DashboardFixture.IN_USE);
      assertThat(summary.path("scoresByVersion").path("v1-fixture").asLong()).isEqualTo(300);
      assertThat(summary.path("deadLettersByReason").path("NEGATIVE_AMOUNT").asLong()).isEqualTo(3);
      assertThat(summary.path("deadLetterSamples").get(0).path("sourceOffset").asLong())
          .isBetween(1_000L, 1_004L);
      JsonNode runs = summary.path("runs");
      assertThat(runs).hasSize(3);
      assertThat(runs.get(1).path("decision").asText()).isEqualTo("REJECTED");
      assertThat(runs.get(2).path("epochLosses")).hasSize(5);
      // the promotion gate's interval and the evaluation gap of each run
      assertThat(runs.get(1).path("interval").asText())
          .isEqualTo("Δ -0.0300 [90% CI -0.0500, -0.0100]");
      assertThat(runs.get(2).path("promotionInterval").path("lower").asDouble())
          .isCloseTo(0.10, org.assertj.core.api.Assertions.within(1e-9));
      assertThat(runs.get(2).path("evalGapMillis").asLong()).isEqualTo(7 * 86_400_000L);
      assertThat(runs.get(2).path("knownPositiveRowsRemoved").asInt()).isEqualTo(12);
      long throughput = 0;
      for (JsonNode n : summary.path("throughput").path("scores")) {
        throughput += n.asLong();
      }
      assertThat(throughput).as("scores of the last two minutes").isEqualTo(500);
      long labels = 0;
      for (JsonNode n : summary.path("throughput").path("labels")) {
        labels += n.asLong();
      }
      assertThat(labels).as("labels of the last two minutes").isEqualTo(DashboardFixture.LABELS);
      double maxDelay = 0;
      for (JsonNode n : summary.path("throughput").path("visibleAfterMs")) {
        maxDelay = Math.max(maxDelay, n.asDouble());
      }
      assertThat(maxDelay).as("scored 0-10 s before they were read").isBetween(1.0, 120_000.0);
      assertThat(summary.path("scoreHistogram").path("fractionsByVersion").size()).isEqualTo(2);
      JsonNode live = summary.path("quality").path("byVersion").path(DashboardFixture.IN_USE);
      assertThat(live.path("auc").asDouble()).isEqualTo(DashboardFixture.LIVE_AUC);
      assertThat(live.path("examples").asLong()).isEqualTo(1_234);
      JsonNode drift = summary.path("drift").path("requests");
      assertThat(drift).hasSize(2);
      assertThat(drift.get(0).path("psi").asDouble()).as("newest first").isEqualTo(0.42);
      assertThat(drift.get(0).path("feature").asText()).isEqualTo(DashboardFixture.DRIFT_FEATURE);

      HttpResponse<String> page = get(server.taskUri(Task.FRAUD));
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains("/webjars/chart.js/chart.umd.js", "data-task=\"fraud\"");
      HttpResponse<String> root = get(server.uri());
      assertThat(root.statusCode()).isEqualTo(302);
      assertThat(root.headers().firstValue("Location")).hasValue("/tasks/fraud");
      HttpResponse<String> chartJs = get(server.uri().resolve("/webjars/chart.js/chart.umd.js"));
      assertThat(chartJs.statusCode()).isEqualTo(200);
      assertThat(chartJs.body()).contains("Chart.js v4");

      HttpResponse<String> unknown = get(server.uri().resolve("/tasks/nope"));
      assertThat(unknown.statusCode()).isEqualTo(404);
      assertThat(unknown.body()).contains("404", "There is no task 'nope'", "/tasks/fraud");
      HttpResponse<String> unknownApi = get(server.uri().resolve("/api/tasks/nope/summary"));
      assertThat(unknownApi.statusCode()).isEqualTo(404);
      assertThat(JSON.readTree(unknownApi.body()).path("error").asText()).contains("nope");

      var taken =
          new DashboardSettings(
              kafka.bootstrapServers(),
              kafka.topics(),
              List.of(Task.FRAUD),
              dir,
              "127.0.0.1",
              server.port());
      assertThatThrownBy(() -> DashboardServer.start(taken))
          .isInstanceOf(DashboardPortInUseException.class)
          .hasMessageContaining("port " + server.port())
          .hasMessageContaining("--dashboard-port");
    }
  }
}
