package dev.millrace.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.schemas.Task;
import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.TestKafka;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@ExtendWith(KafkaExtension.class)
class IngestCommandsTest {

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cli = Millrace.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  @Test
  void durationsAsPeopleTypeThem() {
    assertThat(DurationConverter.parse("7d")).isEqualTo(Duration.ofDays(7));
    assertThat(DurationConverter.parse("12h")).isEqualTo(Duration.ofHours(12));
    assertThat(DurationConverter.parse("30m")).isEqualTo(Duration.ofMinutes(30));
    assertThat(DurationConverter.parse("45s")).isEqualTo(Duration.ofSeconds(45));
    assertThat(DurationConverter.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(DurationConverter.parse("PT1H30M")).isEqualTo(Duration.ofMinutes(90));
    assertThatThrownBy(() -> DurationConverter.parse("7x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'7x' is not a duration");
    assertThatThrownBy(() -> DurationConverter.parse("-1d"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void timesAreUtc() {
    assertThat(TimeConverter.parse("2018-07-25")).isEqualTo(Instant.parse("2018-07-25T00:00:00Z"));
    assertThat(TimeConverter.parse("2018-07-25 12:30:00"))
        .isEqualTo(Instant.parse("2018-07-25T12:30:00Z"));
    assertThat(TimeConverter.parse("2018-07-25T14:00:00+02:00"))
        .isEqualTo(Instant.parse("2018-07-25T12:00:00Z"));
    assertThatThrownBy(() -> TimeConverter.parse("yesterday"))
        .hasMessageContaining("'yesterday' is not a time");
  }

  @Test
  void userErrorsAreOneLine(@TempDir Path dir) {
    assertThat(run("replay", "frod", "--file", "x.csv.gz", "-b", "127.0.0.1:1")).isEqualTo(1);
    assertThat(err.toString())
        .isEqualTo("millrace: unknown task 'frod': expected one of fraud, churn, demand\n");
    err.getBuffer().setLength(0);

    assertThat(run("replay", "churn", "--file", "x.csv.gz", "-b", "127.0.0.1:1")).isEqualTo(1);
    assertThat(err.toString()).isEqualTo("millrace: no such file: x.csv.gz\n");
    err.getBuffer().setLength(0);

    Path missing = dir.resolve("missing.csv.gz");
    assertThat(run("replay", "fraud", "--file", missing.toString(), "-b", "127.0.0.1:1"))
        .isEqualTo(1);
    assertThat(err.toString()).isEqualTo("millrace: no such file: " + missing + "\n");
    err.getBuffer().setLength(0);

    assertThat(run("replay", "fraud", "--file", "x", "--label-delay", "7x")).isEqualTo(2);
    assertThat(err.toString())
        .startsWith("millrace: Invalid value for option '--label-delay': '7x' is not a duration")
        .hasLineCount(2);
    err.getBuffer().setLength(0);

    assertThat(run("generate", "fraud", "--rate", "fast", "-b", "127.0.0.1:1")).isEqualTo(1);
    assertThat(err.toString())
        .isEqualTo("millrace: --rate must be 'max' or a positive number, got 'fast'\n");
    err.getBuffer().setLength(0);

    assertThat(run("validator", "--task", "demand", "-b", "127.0.0.1:1")).isEqualTo(1);
    assertThat(err.toString())
        .isEqualTo("millrace: validator for task 'demand' is not available: only fraud\n");
  }

  @Test
  void generatePublishesTheRequestedCount(TestKafka kafka) {
    int code =
        run(
            "generate",
            "fraud",
            "--count",
            "300",
            "--rate",
            "max",
            "--customers",
            "50",
            "--terminals",
            "100",
            "--flush-labels",
            "--no-progress",
            "--namespace",
            kafka.namespace(),
            "-b",
            kafka.bootstrapServers());
    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString()).startsWith("Generated 300 events to " + kafka.namespace());
    var events =
        kafka.readCommitted(
            kafka.topics().fraudEvents(), 300, Duration.ofSeconds(60), Duration.ofSeconds(1));
    assertThat(events).hasSize(300);
  }

  @Test
  void replayPublishesAFileWithItsLabels(TestKafka kafka, @TempDir Path dir) throws Exception {
    Path file = dir.resolve("tx.csv.gz");
    try (Writer w =
        new OutputStreamWriter(
            new GZIPOutputStream(Files.newOutputStream(file)), StandardCharsets.UTF_8)) {
      w.write(
          "TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_TIME_SECONDS,"
              + "TX_TIME_DAYS,TX_FRAUD,TX_FRAUD_SCENARIO\n");
      w.write("0,2018-04-01 00:00:31,596,3156,57.16,31,0,0,0\n");
      w.write("1,2018-04-01 00:02:10,4961,3412,281.51,130,0,1,1\n");
      w.write("2,2018-04-01 01:07:56,2,1365,146.0,4076,0,0,0\n");
      w.write("3,2018-04-01 03:09:29,4128,8737,64.49,11369,0,0,0\n");
    }
    int code =
        run(
            "replay",
            "fraud",
            "--file",
            file.toString(),
            "--label-delay",
            "1h",
            "--no-progress",
            "--namespace",
            kafka.namespace(),
            "-b",
            kafka.bootstrapServers());
    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString()).contains("Replayed 4 events").contains("1 labels");
    kafka.createTopics(Task.FRAUD); // no-op: replay created them
    var labels =
        kafka.readCommitted(
            kafka.topics().fraudLabels(), 1, Duration.ofSeconds(60), Duration.ofSeconds(1));
    assertThat(labels).hasSize(1);
    assertThat(labels.get(0).value().getTransactionId()).isEqualTo(1L);
  }
}
