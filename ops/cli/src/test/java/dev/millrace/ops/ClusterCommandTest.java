package dev.millrace.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code cluster up}'s checks before it starts anything (ClusterIT runs the cluster itself). */
class ClusterCommandTest {

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cli = Millrace.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  @Test
  void aBusyPortFailsUpAtOnceNamingItsOptionAndStartsNothing(@TempDir Path tmp) throws Exception {
    Path jobJar = Files.writeString(tmp.resolve("job.jar"), "not started");
    Path dir = tmp.resolve("cluster");
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int port = busy.getLocalPort();
      int code =
          run(
              "cluster",
              "up",
              "--dir",
              dir.toString(),
              "--job-jar",
              jobJar.toString(),
              "--kafka-port",
              String.valueOf(port - 1),
              "--controller-port",
              String.valueOf(port + 10));
      assertThat(code).as(err.toString()).isNotZero();
      assertThat(err.toString())
          .contains(port + " --kafka-port (broker 2)")
          .contains(" in use on 127.0.0.1")
          .contains("ss -ltnp");
    }
    assertThat(dir.resolve("cluster.json")).doesNotExist();
    assertThat(dir.resolve("logs")).doesNotExist();
  }

  @Test
  void overlappingPortRangesAreRefused(@TempDir Path tmp) throws Exception {
    Path jobJar = Files.writeString(tmp.resolve("job.jar"), "not started");
    int code =
        run(
            "cluster",
            "up",
            "--dir",
            tmp.resolve("cluster").toString(),
            "--job-jar",
            jobJar.toString(),
            "--kafka-port",
            "29092",
            "--controller-port",
            "29094");
    assertThat(code).isNotZero();
    assertThat(err.toString())
        .contains(
            "port 29094 is wanted twice: by --controller-port (controller 1) and --kafka-port (broker 3)");
  }
}
