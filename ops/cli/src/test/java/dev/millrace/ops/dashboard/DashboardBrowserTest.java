package dev.millrace.ops.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.millrace.schemas.Task;
import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.TestKafka;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
 * Headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, driven by Selenium)
 * opens the dashboard while real records sit on a real broker, and checks that the page shows the
 * model version in use and draws its charts. Skipped where Chromium is not installed; CI installs
 * it ({@code .ci/run}).
 */
@ExtendWith(KafkaExtension.class)
class DashboardBrowserTest {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  /** Per chart: is there a Chart.js instance with data, and how many canvas pixels are painted. */
  private static final String CHART_STATE =
      """
      const out = {};
      for (const canvas of document.querySelectorAll('canvas')) {
        const chart = Chart.getChart(canvas);
        const ctx = canvas.getContext('2d');
        const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < px.length; i += 4) { if (px[i] !== 0) painted++; }
        const points = chart ? chart.data.datasets.reduce(
            (n, d) => n + d.data.filter(v => v !== null && v !== 0).length, 0) : 0;
        out[canvas.id] = {chart: !!chart, points: points, painted: painted,
                          width: canvas.width, height: canvas.height};
      }
      return out;
      """;

  @Test
  void chromiumShowsTheModelInUseAndDrawsTheCharts(TestKafka kafka, @TempDir Path dir)
      throws Exception {
    assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)");
    kafka.createTopics(Task.FRAUD);
    DashboardFixture.writeHistory(dir);
    DashboardFixture.produce(kafka);
    var settings =
        new DashboardSettings(
            kafka.bootstrapServers(), kafka.topics(), List.of(Task.values()), dir, "127.0.0.1", 0);
    Path profile = Files.createDirectories(dir.resolve("chromium-profile"));
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1800",
        "--user-data-dir=" + profile);
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
            .usingAnyFreePort()
            .build();
    try (DashboardServer server = DashboardServer.start(settings)) {
      ChromeDriver browser = new ChromeDriver(service, options);
      try {
        browser.get(server.taskUri(Task.FRAUD).toString());
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
        wait.until(ExpectedConditions.textToBe(By.id("model-version"), DashboardFixture.IN_USE));
        wait.until(
            ExpectedConditions.textToBe(
                By.id("scores"),
                String.format("%,d", DashboardFixture.SCORES_V1 + DashboardFixture.SCORES_V3)));
        assertThat(browser.findElement(By.id("champion")).getText())
            .isEqualTo(DashboardFixture.IN_USE);
        assertThat(browser.findElement(By.id("decisions")).getText())
            .contains("v2-fixture", "REJECTED", "PROMOTED", "90% CI", "gap 7d");
        assertThat(browser.findElement(By.id("dlq-samples")).getText())
            .contains("NEGATIVE_AMOUNT", "fraud.events");
        assertThat(browser.findElement(By.id("quality")).getText())
            .contains(DashboardFixture.IN_USE, "1,234", "0.912");
        assertThat(browser.findElement(By.id("drift")).getText())
            .contains(DashboardFixture.DRIFT_FEATURE, "0.420");

        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> charts =
            (Map<String, Map<String, Object>>)
                ((JavascriptExecutor) browser).executeScript(CHART_STATE);
        assertThat(charts)
            .containsOnlyKeys(
                "chart-timeline",
                "chart-loss",
                "chart-throughput",
                "chart-freshness",
                "chart-scores",
                "chart-drift",
                "chart-dlq");
        charts.forEach(
            (id, c) -> {
              assertThat(c.get("chart")).as(id + " is a Chart.js chart").isEqualTo(true);
              assertThat(((Number) c.get("points")).longValue())
                  .as(id + " data points")
                  .isPositive();
              long area =
                  ((Number) c.get("width")).longValue() * ((Number) c.get("height")).longValue();
              assertThat(((Number) c.get("painted")).longValue())
                  .as(id + " painted pixels of " + area)
                  .isGreaterThan(area / 100);
            });
        assertThat(((Number) charts.get("chart-loss").get("points")).longValue())
            .as("5 epochs of 3 runs")
            .isEqualTo(15);

        browser.get(server.uri().resolve("/tasks/nope").toString());
        assertThat(browser.findElement(By.tagName("h1")).getText()).contains("404");
      } finally {
        browser.quit();
      }
    }
  }
}
