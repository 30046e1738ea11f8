package dev.millrace.ops.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelQuality;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.TestKafka;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A regression task's page (demand: predicted sales, RMSE and RMSPE) on a real broker: the summary
 * says {@code regression}, the score histogram has log-scale value bins instead of probability
 * bins, and the quality table shows RMSE and RMSPE (in Chromium, where it is installed).
 */
@ExtendWith(KafkaExtension.class)
class RegressionDashboardTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String VERSION = "demand-v1";
  private static final int SCORES = 120;

  /** 5,000 for two thirds of the stores' days, 40,000 for the rest. */
  private static double sales(int i) {
    return i % 3 == 0 ? 40_000 : 5_000;
  }

  private static void produce(TestKafka kafka) {
    var topics = kafka.topics();
    Instant now = Instant.now();
    List<ProducerRecord<String, ScoreRecord>> scores = new ArrayList<>();
    for (int i = 0; i < SCORES; i++) {
      String store = Integer.toString(1 + i % 5);
      scores.add(
          new ProducerRecord<>(
              topics.scores(Task.DEMAND).name(),
              store,
              ScoreRecord.newBuilder()
                  .setTask(Task.DEMAND)
                  .setEventId(store + "@" + i)
                  .setEntityId(store)
                  .setPrediction(sales(i))
                  .setModelVersion(VERSION)
                  .setEventTime(now.minusSeconds(3_600))
                  .setScoringTime(now.minusMillis(10_000 - i))
                  .build()));
    }
    kafka.send(topics.scores(Task.DEMAND), scores);
    kafka.send(
        topics.models(),
        List.of(
            new ProducerRecord<>(
                topics.models().name(),
                "demand",
                ModelAnnouncement.newBuilder()
                    .setTask(Task.DEMAND)
                    .setVersion(VERSION)
                    .setArtifactUri("file:///tmp/models/" + VERSION)
                    .setSha256("00")
                    .setFeatureSchemaFingerprint("ff")
                    .setMetrics(Map.of("rmspe", 0.1068, "rmse", 812.5))
                    .setStatus(ModelStatus.CHAMPION)
                    .setAnnouncedAt(now)
                    .build())));
    kafka.send(
        topics.quality(Task.DEMAND),
        List.of(
            new ProducerRecord<>(
                topics.quality(Task.DEMAND).name(),
                VERSION,
                ModelQuality.newBuilder()
                    .setTask(Task.DEMAND)
                    .setModelVersion(VERSION)
                    .setWindowEnd(now.minusSeconds(3_600))
                    .setExamples(4_321)
                    .setPositives(0)
                    .setRmse(765.4)
                    .setRmspe(0.1234)
                    .setEmittedAt(now)
                    .build())));
  }

  private static DashboardSettings settings(TestKafka kafka, Path dir) {
    return new DashboardSettings(
        kafka.bootstrapServers(), kafka.topics(), List.of(Task.values()), dir, "127.0.0.1", 0);
  }

  private static JsonNode awaitSummary(DashboardServer server) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    URI uri = server.uri().resolve("/api/tasks/demand/summary");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonNode s;
    do {
      Thread.sleep(200); // polling an HTTP endpoint, as the page does
      s =
          JSON.readTree(
              http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
                  .body());
      assertThat(System.nanoTime()).as("the feed reads the topics: " + s).isLessThan(deadline);
    } while (s.path("scores").asLong() < SCORES
        || s.path("quality").path("byVersion").size() < 1
        || s.path("models").size() < 1);
    return s;
  }

  @Test
  void aRegressionTaskHasValueBinsAndItsErrorMetrics(TestKafka kafka, @TempDir Path dir)
      throws Exception {
    kafka.createTopics(Task.DEMAND);
    produce(kafka);
    try (DashboardServer server = DashboardServer.start(settings(kafka, dir))) {
      JsonNode s = awaitSummary(server);
      assertThat(s.path("kind").asText()).isEqualTo("regression");
      JsonNode h = s.path("scoreHistogram");
      assertThat(h.path("scale").asText()).isEqualTo("log");
      // log10(1 + 5,000) / 0.25 = 14.8 -> bin 14 (from 10^3.5 - 1 = 3,161);
      // log10(1 + 40,000) / 0.25 = 18.4 -> bin 18 (from 10^4.5 - 1 = 31,622)
      assertThat(h.path("bins").get(14).asDouble()).isCloseTo(3_161.3, within(0.1));
      assertThat(h.path("bins").get(18).asDouble()).isCloseTo(31_621.8, within(0.1));
      JsonNode f = h.path("fractionsByVersion").path(VERSION);
      assertThat(f.get(14).asDouble()).isCloseTo(80 / 120.0, within(1e-9));
      assertThat(f.get(18).asDouble()).isCloseTo(40 / 120.0, within(1e-9));
      JsonNode q = s.path("quality").path("byVersion").path(VERSION);
      assertThat(q.path("rmspe").asDouble()).isEqualTo(0.1234);
      assertThat(q.path("rmse").asDouble()).isEqualTo(765.4);
    }
  }

  @Test
  void aClassificationTaskKeepsProbabilityBins(TestKafka kafka, @TempDir Path dir)
      throws Exception {
    kafka.createTopics(Task.FRAUD);
    DashboardFixture.writeHistory(dir);
    DashboardFixture.produce(kafka);
    try (DashboardServer server = DashboardServer.start(settings(kafka, dir))) {
      HttpClient http = HttpClient.newHttpClient();
      URI uri = server.uri().resolve("/api/tasks/fraud/summary");
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      JsonNode s;
      do {
        Thread.sleep(200);
        s =
            JSON.readTree(
                http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
                    .body());
        assertThat(System.nanoTime()).as("the feed reads the topics: " + s).isLessThan(deadline);
      } while (s.path("scores").asLong() < DashboardFixture.SCORES_V1 + DashboardFixture.SCORES_V3);
      assertThat(s.path("kind").asText()).isEqualTo("classification");
      assertThat(s.path("scoreHistogram").path("scale").asText()).isEqualTo("linear");
      assertThat(s.path("scoreHistogram").path("bins")).hasSize(TaskState.SCORE_BINS);
      assertThat(s.path("scoreHistogram").path("bins").get(1).asDouble()).isEqualTo(0.05);
    }
  }

  @Test
  void chromiumShowsRmspeAndValueBins(TestKafka kafka, @TempDir Path dir) throws Exception {
    Path chromium = Path.of("/usr/bin/chromium");
    Path chromedriver = Path.of("/usr/bin/chromedriver");
    assumeTrue(
        Files.isExecutable(chromium) && Files.isExecutable(chromedriver),
        "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)");
    kafka.createTopics(Task.DEMAND);
    produce(kafka);
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")));
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(chromedriver.toString()))
            .usingAnyFreePort()
            .build();
    try (DashboardServer server = DashboardServer.start(settings(kafka, dir))) {
      awaitSummary(server);
      ChromeDriver browser = new ChromeDriver(service, options);
      try {
        browser.get(server.taskUri(Task.DEMAND).toString());
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("quality"), VERSION));
        String quality = browser.findElement(By.id("quality")).getText();
        assertThat(quality).contains("RMSE", "RMSPE", "765.4", "0.1234", "4,321");
        assertThat(quality).doesNotContain("AUC");
        @SuppressWarnings("unchecked")
        List<Object> labels =
            (List<Object>)
                ((JavascriptExecutor) browser)
                    .executeScript(
                        "return Chart.getChart(document.getElementById('chart-scores'))"
                            + ".data.labels;");
        assertThat(labels).hasSize(TaskState.VALUE_BINS).contains("3.2k", "32k");
      } finally {
        browser.quit();
      }
    }
  }
}
