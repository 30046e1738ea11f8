package dev.millrace.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.TestKafka;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@ExtendWith(KafkaExtension.class)
class MillraceCommandTest {

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cli = Millrace.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  @Test
  void everySubcommandHasHelp() {
    CommandLine cli = Millrace.commandLine();
    for (String name : cli.getSubcommands().keySet()) {
      if (name.equals("help")) {
        continue;
      }
      out.getBuffer().setLength(0);
      assertThat(run(name, "--help")).as(name + ": " + err).isZero();
      assertThat(out.toString()).as(name).startsWith("Usage: millrace " + name);
    }
  }

  @Test
  void versionNamesTheStack() {
    assertThat(run("version")).isZero();
    assertThat(out.toString()).contains("kafka 4.2.0").contains("flink 2.2.0");
  }

  @Test
  void aMalformedValueIsOneLineAndExitCode2() {
    assertThat(run("broker", "--port", "abc")).isEqualTo(2);
    assertThat(err.toString())
        .isEqualTo(
            "millrace: Invalid value for option '--port': 'abc' is not an int\n"
                + "Try 'millrace broker --help'.\n");
  }

  @Test
  void pipelineStateFlagsAreCheckedAndDocumented() {
    assertThat(run("pipeline", "--task", "fraud", "--state-backend", "memory")).isEqualTo(2);
    assertThat(err.toString())
        .startsWith(
            "millrace: Invalid value for option '--state-backend': unknown state backend"
                + " 'memory': expected one of rocksdb, hashmap");

    out.getBuffer().setLength(0);
    assertThat(run("pipeline", "--help")).isZero();
    assertThat(out.toString())
        .contains("--checkpoint-dir=DIR")
        .contains("MILLRACE_CHECKPOINT_DIR")
        .contains("millrace/pipeline/checkpoints")
        .contains("--fresh")
        .contains("--state-backend=rocksdb|hashmap")
        .contains("--restart-attempts")
        .contains("--log-level=LEVEL");
  }

  @Test
  void churnAndDemandPipelinesSayWhatTheyNeed() {
    assertThat(run("pipeline", "--task", "demand", "-b", "127.0.0.1:1")).isEqualTo(1);
    assertThat(err.toString())
        .isEqualTo("millrace: the demand task needs --stores FILE (Rossmann's store.csv)\n");
    err.getBuffer().setLength(0);
    assertThat(run("pipeline", "--task", "churn", "--submit", "http://localhost:8081"))
        .isEqualTo(1);
    assertThat(err.toString()).contains("run churn on the local MiniCluster");
    err.getBuffer().setLength(0);
    assertThat(run("pipeline", "--task", "sales", "-b", "127.0.0.1:1")).isEqualTo(1);
    assertThat(err.toString())
        .isEqualTo("millrace: unknown task 'sales': expected one of fraud, churn, demand\n");
    out.getBuffer().setLength(0);
    assertThat(run("pipeline", "--help")).isZero();
    assertThat(out.toString())
        .contains("--horizon")
        .contains("--rescore-every")
        .contains("--stores");
  }

  @Test
  void aGpuThatIsNotThereIsOneLineAndExitCode2() {
    // this machine has no GPU and the CPU natives: --device gpu stops before anything starts
    for (String command : new String[] {"trainer", "pipeline"}) {
      err.getBuffer().setLength(0);
      assertThat(run(command, "--task", "fraud", "-b", "127.0.0.1:1", "--device", "gpu"))
          .as(command + ": " + err)
          .isEqualTo(2);
      assertThat(err.toString())
          .as(command)
          .matches(
              "millrace: --device gpu: no GPU visible to PyTorch \\(natives: cpu build"
                  + " [0-9][0-9.]*\\); use --device auto or cpu\n");
    }
    err.getBuffer().setLength(0);
    assertThat(run("trainer", "--task", "fraud", "--device", "tpu")).isEqualTo(2);
    assertThat(err.toString())
        .startsWith(
            "millrace: Invalid value for option '--device': unknown device 'tpu': expected auto,"
                + " cpu or gpu");
    out.getBuffer().setLength(0);
    assertThat(run("trainer", "--help")).isZero();
    assertThat(out.toString()).contains("--device=auto|cpu|gpu").contains("MILLRACE_DEVICE");
  }

  @Test
  void aBadLogLevelIsOneLineAndExitCode2() {
    assertThat(run("version", "--log-level", "LOUD")).isEqualTo(2);
    assertThat(err.toString())
        .startsWith(
            "millrace: Invalid value for option '--log-level': 'LOUD' is not one of ERROR, WARN,"
                + " INFO, DEBUG, TRACE");
    assertThat(run("version", "--log-level", "warn")).isZero();
    assertThat(org.apache.logging.log4j.LogManager.getLogger("org.apache.flink.x").getLevel())
        .isEqualTo(org.apache.logging.log4j.Level.WARN);
  }

  @Test
  void anUnknownTaskIsOneLineAndExitCode1() {
    assertThat(run("topics", "create", "--task", "frod", "-b", "127.0.0.1:1")).isEqualTo(1);
    assertThat(err.toString())
        .isEqualTo("millrace: unknown task 'frod': expected one of fraud, churn, demand\n");
  }

  @Test
  void aBusyPortIsOneLineAndExitCode1(@TempDir Path dir) throws Exception {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = busy.getLocalPort();
      assertThat(run("broker", "--port", String.valueOf(port), "--data-dir", dir.toString()))
          .isEqualTo(1);
      assertThat(err.toString())
          .isEqualTo(
              "millrace: port "
                  + port
                  + " on 127.0.0.1 is already in use: stop whatever listens there or pass another"
                  + " --port\n");
    }
  }

  @Test
  void anUnwritableDataDirIsOneLineAndExitCode1(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("file"), "x");
    assertThat(run("broker", "--port", "0", "--data-dir", file.resolve("kafka").toString()))
        .isEqualTo(1);
    assertThat(err.toString()).startsWith("millrace: cannot create data directory").hasLineCount(1);
  }

  @Test
  void topicsCreateIsIdempotent(TestKafka kafka) {
    String[] args = {
      "topics",
      "create",
      "--task",
      "all",
      "-b",
      kafka.bootstrapServers(),
      "--namespace",
      kafka.namespace()
    };
    int expected = kafka.topics().all(java.util.List.of(dev.millrace.schemas.Task.values())).size();
    assertThat(run(args)).isZero();
    assertThat(out.toString()).contains(kafka.namespace() + ".fraud.events").contains("created");
    assertThat(out.toString().lines().filter(l -> l.contains(" created "))).hasSize(expected);

    out.getBuffer().setLength(0);
    assertThat(run(args)).isZero();
    assertThat(out.toString().lines().filter(l -> l.contains(" exists "))).hasSize(expected);
    assertThat(out.toString())
        .contains(kafka.namespace() + ".millrace.models")
        .contains("cleanup=compact");
  }
}
