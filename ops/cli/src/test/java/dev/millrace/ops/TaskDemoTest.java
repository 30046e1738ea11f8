package dev.millrace.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code millrace demo --task demand} as a user runs it: a real broker, the demand job on a
 * MiniCluster, the trainer and the generator in one command. Within its minute it trains a
 * regression model on the stream's own examples, promotes it under the regression gate, and the
 * job's scores name it; nothing is dead-lettered and the job never restarts.
 */
class TaskDemoTest {

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void theDemandDemoTrainsPromotesAndServesARegressionModel(@TempDir Path dir) throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Millrace.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int rc =
        cli.execute(
            "demo",
            "--task",
            "demand",
            "--duration",
            "75s",
            "--demo-dir",
            dir.toString(),
            "--port",
            Integer.toString(freePort()),
            "--dashboard-port",
            "0",
            "--metrics-port",
            "0",
            "--flink-metrics-port",
            "0",
            "--status-every",
            "5s",
            "--store-count",
            "20");
    String o = out.toString();
    System.out.println(o);
    assertThat(rc).as(err.toString()).isZero();
    assertThat(o)
        .contains(
            "Demand job running on a local MiniCluster",
            "Trainer running: regression-log1p models, promoted on rmspe",
            "Generating store-day rows at 1000/s");
    Matcher promoted = Pattern.compile("trainer run \\d+: PROMOTED (demand-\\S+)").matcher(o);
    assertThat(promoted.find()).as("a promoted run in:\n" + o).isTrue();
    String first = promoted.group(1);
    List<String> status = o.lines().filter(l -> l.matches("\\d\\d:\\d\\d  events .*")).toList();
    String last = status.get(status.size() - 1);
    assertThat(last).contains("| DLQ 0 |", "restarts 0").doesNotContain("model fallback");
    Matcher serving =
        Pattern.compile("\\| model (demand-\\S+) \\(versions scored: (\\d+)\\)").matcher(last);
    assertThat(serving.find()).as(last).isTrue();
    assertThat(serving.group(1))
        .as("a promoted model, at or after the first")
        .isGreaterThanOrEqualTo(first);
    assertThat(Integer.parseInt(serving.group(2)))
        .as("fallback, then models")
        .isGreaterThanOrEqualTo(2);
    assertThat(o).contains("Demo stopped.");
  }
}
