package dev.millrace.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DashboardCommandTest {

  @Test
  void aDashboardPortInUseIsOneLine() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      CommandLine cli = Millrace.commandLine();
      cli.setOut(new PrintWriter(out, true));
      cli.setErr(new PrintWriter(err, true));
      int exit =
          cli.execute(
              "dashboard",
              "--dashboard-port",
              String.valueOf(taken.getLocalPort()),
              "--bootstrap-servers",
              "127.0.0.1:1");
      assertThat(exit).isEqualTo(1);
      assertThat(err.toString().strip())
          .isEqualTo(
              "millrace: dashboard port "
                  + taken.getLocalPort()
                  + " on 127.0.0.1 is in use; pass another --dashboard-port (0 picks a free one)");
      assertThat(out.toString()).isEmpty();
    }
  }
}
