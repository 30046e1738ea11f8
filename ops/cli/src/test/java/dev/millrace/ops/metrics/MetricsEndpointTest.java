package dev.millrace.ops.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.ingest.fraud.FraudPublisher;
import dev.millrace.ops.Millrace;
import dev.millrace.ops.UserError;
import dev.millrace.ops.local.OutputWatcher;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.TestKafka;
import dev.millrace.trainer.RunDecision;
import dev.millrace.trainer.TrainerStatus;
import dev.millrace.trainer.TrainingRecord;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@ExtendWith(KafkaExtension.class)
class MetricsEndpointTest {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  void publisherAndTrainerMetricsAreServedOverHttp() throws Exception {
    AtomicReference<TrainerStatus> status = new AtomicReference<>(status(0, null, null));
    List<TrainingRecord> history = new ArrayList<>();
    try (MetricsEndpoint endpoint = MetricsEndpoint.start(0, "--metrics-port")) {
      AtomicLong events = new AtomicLong(1200);
      MillraceMeters.bindPublisher(
          endpoint, "fraud", () -> new FraudPublisher.Counts(events.get(), 300, 6, 0));
      TrainerMeters.bind(endpoint, "fraud", status::get, () -> history);
      System.gc(); // meters hold their state weakly: the endpoint must keep it reachable

      HttpResponse<String> first = get(endpoint.port());
      assertThat(first.statusCode()).isEqualTo(200);
      assertThat(first.headers().firstValue("Content-Type")).hasValue(MetricsEndpoint.CONTENT_TYPE);
      assertThat(value(first.body(), "millrace_publisher_events_total", "task=\"fraud\""))
          .isEqualTo(1200);
      assertThat(value(first.body(), "millrace_publisher_labels_total", "")).isEqualTo(300);
      assertThat(value(first.body(), "millrace_publisher_poison_total", "")).isEqualTo(6);
      assertThat(first.body()).doesNotContain("millrace_trainer_runs_total");

      // One run finished: read from the status.
      TrainingRecord run1 = run("fraud-20260101-000000-1", RunDecision.PROMOTED, null, 0.41);
      history.add(run1);
      status.set(status(1, run1, run1.version()));
      String body = get(endpoint.port()).body();
      assertThat(value(body, "millrace_trainer_runs_total", "decision=\"promoted\"")).isEqualTo(1);
      assertThat(value(body, "millrace_trainer_runs_total", "device=\"cpu()\"")).isEqualTo(1);
      assertThat(
              value(
                  body,
                  "millrace_trainer_challenger_outcomes_total",
                  "against=\"baseline\",decision=\"promoted\""))
          .isEqualTo(1);
      assertThat(value(body, "millrace_trainer_champion_version", "")).isEqualTo(1);
      assertThat(value(body, "millrace_trainer_run_duration_seconds_sum", "")).isEqualTo(12.5);
      assertThat(value(body, "millrace_trainer_run_rows_sum", "")).isEqualTo(8000);
      assertThat(
              value(
                  body,
                  "millrace_trainer_last_metric",
                  "metric=\"average_precision\",role=\"challenger\""))
          .isEqualTo(0.41);

      // Two more finished between scrapes: read from the history, each counted once.
      TrainingRecord run2 =
          run("fraud-20260101-000100-2", RunDecision.REJECTED, run1.version(), 0.30);
      TrainingRecord run3 =
          run("fraud-20260101-000200-3", RunDecision.PROMOTED, run1.version(), 0.55);
      history.add(run2);
      history.add(run3);
      status.set(status(3, run3, run3.version()));
      body = get(endpoint.port()).body();
      body = get(endpoint.port()).body(); // a second scrape counts nothing twice
      assertThat(value(body, "millrace_trainer_runs_total", "decision=\"promoted\"")).isEqualTo(2);
      assertThat(value(body, "millrace_trainer_runs_total", "decision=\"rejected\"")).isEqualTo(1);
      assertThat(
              value(
                  body,
                  "millrace_trainer_challenger_outcomes_total",
                  "against=\"champion\",decision=\"rejected\""))
          .isEqualTo(1);
      assertThat(value(body, "millrace_trainer_champion_version", "")).isEqualTo(3);
      assertThat(value(body, "millrace_trainer_run_duration_seconds_count", "")).isEqualTo(3);
      assertThat(
              value(
                  body,
                  "millrace_trainer_last_metric",
                  "metric=\"average_precision\",role=\"challenger\""))
          .isEqualTo(0.55);
    }
  }

  @Test
  void committedScoresAndDeadLettersAreCountedByReason(TestKafka kafka) throws Exception {
    kafka.createTopics(Task.FRAUD);
    var topics = kafka.topics();
    try (MetricsEndpoint endpoint = MetricsEndpoint.start(0, "--metrics-port");
        OutputWatcher watcher = new OutputWatcher(kafka.bootstrapServers(), topics, Task.FRAUD)) {
      MillraceMeters.bindOutput(endpoint, "fraud", watcher);
      watcher.start();
      // The watcher reads what is written after it has started: send until it has seen some.
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      String body = get(endpoint.port()).body();
      long n = 0;
      while (System.nanoTime() < deadline
          && (value(body, "millrace_output_dead_letters_total", "reason=\"UNDECODABLE\"") <= 0
              || value(body, "millrace_output_scores_total", "") <= 0)) {
        n++;
        kafka.send(
            topics.scores(Task.FRAUD),
            List.of(new ProducerRecord<>(topics.scores(Task.FRAUD).name(), "C1", score(n))));
        kafka.send(
            topics.dlq(Task.FRAUD),
            List.of(
                new ProducerRecord<>(
                    topics.dlq(Task.FRAUD).name(), null, deadLetter("UNDECODABLE"))));
        Thread.sleep(300); // the watcher polls on its own thread; nothing to wait on
        body = get(endpoint.port()).body();
      }
      assertThat(value(body, "millrace_output_scores_total", "task=\"fraud\"")).isPositive();
      assertThat(value(body, "millrace_output_dead_letters_total", "reason=\"UNDECODABLE\""))
          .isPositive();
      assertThat(value(body, "millrace_model_version_in_use", "")).isEqualTo(7);
      assertThat(value(body, "millrace_output_score_visible_lag_seconds_count", "")).isPositive();
    }
  }

  @Test
  void aPortInUseIsOneClearError() throws Exception {
    try (ServerSocket busy = new ServerSocket()) {
      busy.bind(new InetSocketAddress(0));
      int port = busy.getLocalPort();
      assertThatThrownBy(() -> MetricsEndpoint.start(port, "--metrics-port"))
          .isInstanceOf(UserError.class)
          .hasMessageStartingWith("port " + port + " is in use: ")
          .hasMessageContaining("pass --metrics-port");
      assertThatThrownBy(() -> MetricsEndpoint.requireFree(port, "--flink-metrics-port"))
          .isInstanceOf(UserError.class)
          .hasMessageContaining("pass --flink-metrics-port");
    }
  }

  @Test
  void commandsRefuseABusyMetricsPortWithOneLine(@TempDir Path dir) throws Exception {
    try (ServerSocket busy = new ServerSocket()) {
      busy.bind(new InetSocketAddress(0));
      String port = Integer.toString(busy.getLocalPort());
      for (String[] args :
          List.of(
              new String[] {"trainer", "--task", "fraud", "--metrics-port", port},
              new String[] {"demo", "--demo-dir", dir.toString(), "--metrics-port", port},
              new String[] {
                "demo",
                "--demo-dir",
                dir.toString(),
                "--metrics-port",
                "0",
                "--flink-metrics-port",
                port
              })) {
        StringWriter err = new StringWriter();
        CommandLine cli = Millrace.commandLine();
        cli.setOut(new PrintWriter(new StringWriter(), true));
        cli.setErr(new PrintWriter(err, true));
        assertThat(cli.execute(args)).as(String.join(" ", args)).isNotZero();
        assertThat(err.toString())
            .as(String.join(" ", args))
            .startsWith("millrace: port " + port + " is in use: ")
            .contains("pass --")
            .hasLineCount(1);
      }
    }
  }

  private static HttpResponse<String> get(int port) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The sample of {@code name} whose labels contain {@code labels}; NaN when there is none. */
  static double value(String body, String name, String labels) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{([^}]*)\\})? (\\S+)$").matcher(body);
    while (m.find()) {
      String l = m.group(2) == null ? "" : m.group(2);
      if (l.contains(labels)) {
        return Double.parseDouble(m.group(3));
      }
    }
    return Double.NaN;
  }

  private static TrainerStatus status(long runs, TrainingRecord last, String champion) {
    return new TrainerStatus(
        "fraud",
        TrainerStatus.State.RUNNING,
        10_000,
        0,
        9_000,
        90,
        0,
        runs,
        runs,
        false,
        champion,
        last,
        null);
  }

  private static TrainingRecord run(
      String version, RunDecision decision, String champion, double ap) {
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    return new TrainingRecord(
        "run-" + version,
        "fraud",
        version,
        "examples",
        t,
        t.plusMillis(12_500),
        12_500,
        t,
        t,
        t,
        8_000,
        80,
        2_000,
        20,
        Map.of("average_precision", ap),
        champion,
        champion == null ? null : Map.of("average_precision", 0.4),
        "average_precision",
        0.0,
        0.01,
        decision,
        "test",
        "cpu()",
        List.of(0.5, 0.4),
        12_000L,
        null,
        null,
        null,
        null,
        null,
        null,
        null);
  }

  private static ScoreRecord score(long n) {
    Instant now = Instant.now();
    return ScoreRecord.newBuilder()
        .setTask(Task.FRAUD)
        .setEventId(Long.toString(n))
        .setEntityId("C1")
        .setPrediction(0.1)
        .setModelVersion("fraud-20260101-000000-7")
        .setEventTime(Instant.parse("2018-04-01T00:00:00Z"))
        .setScoringTime(now)
        .build();
  }

  private static DeadLetter deadLetter(String code) {
    return DeadLetter.newBuilder()
        .setReason("bad bytes")
        .setReasonCode(code)
        .setStage("test")
        .setRejectedAt(Instant.now())
        .build();
  }
}
