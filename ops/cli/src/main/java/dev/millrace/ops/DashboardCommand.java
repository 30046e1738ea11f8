package dev.millrace.ops;

import dev.millrace.ops.dashboard.DashboardPortInUseException;
import dev.millrace.ops.dashboard.DashboardServer;
import dev.millrace.ops.dashboard.DashboardSettings;
import dev.millrace.schemas.Task;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code millrace dashboard}: the built-in web dashboard of a running pipeline. It reads the
 * pipeline's Kafka topics (read_committed) and the trainers' history files; it never talks to the
 * Flink job.
 */
@Command(
    name = "dashboard",
    mixinStandardHelpOptions = true,
    description = {
      "Serve the built-in dashboard: a live page per task (/tasks/fraud) with model versions,",
      "holdout and live metrics, every promotion/refusal decision, training loss curves,",
      "throughput, score distributions, dead letters and drift. Needs no internet."
    })
public final class DashboardCommand implements Callable<Integer> {

  @Mixin TopicsCommand.ClusterOptions cluster;

  @Mixin Options dashboard;

  @Option(
      names = "--history-dir",
      paramLabel = "DIR",
      defaultValue = "${env:MILLRACE_HISTORY_DIR:-.millrace/models/history}",
      description =
          "Folder of the trainers' training histories (<task>-history.jsonl; env"
              + " MILLRACE_HISTORY_DIR; default ${DEFAULT-VALUE}).")
  Path historyDir;

  @Option(
      names = "--duration",
      converter = DurationConverter.class,
      description = "Stop by itself after this long (default: run until Ctrl-C).")
  Duration duration;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Flags of the dashboard, shared by {@code dashboard} and {@code demo}. */
  public static final class Options {
    @Option(
        names = "--dashboard-port",
        defaultValue = "${env:MILLRACE_DASHBOARD_PORT:-8080}",
        description =
            "Port of the web dashboard; 0 picks a free one (env MILLRACE_DASHBOARD_PORT; default"
                + " ${DEFAULT-VALUE}).")
    int port;

    @Option(
        names = "--dashboard-host",
        defaultValue = "${env:MILLRACE_DASHBOARD_HOST:-127.0.0.1}",
        description = "Address the dashboard listens on (default ${DEFAULT-VALUE}).")
    String host;

    /** Fails fast, before anything else starts, when the port is taken. */
    void requireFree() {
      if (port == 0) {
        return;
      }
      try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
        probe.setReuseAddress(true);
        probe.bind(new java.net.InetSocketAddress(host, port));
      } catch (java.io.IOException e) {
        throw new UserError(
            "dashboard port "
                + port
                + " on "
                + host
                + " is in use; pass another --dashboard-port (0 picks a free one)");
      }
    }

    /** Starts the dashboard; a port in use is a one-line {@link UserError}. */
    DashboardServer start(
        String bootstrapServers, dev.millrace.schemas.TopicRegistry topics, Path historyDir) {
      return start(bootstrapServers, java.util.Map.of(), topics, historyDir);
    }

    /** As above, with {@code --kafka-config} client properties for its Kafka consumer. */
    DashboardServer start(
        String bootstrapServers,
        java.util.Map<String, String> kafkaProperties,
        dev.millrace.schemas.TopicRegistry topics,
        Path historyDir) {
      try {
        return DashboardServer.start(
            new DashboardSettings(
                bootstrapServers,
                topics,
                List.of(Task.values()),
                historyDir,
                host,
                port,
                kafkaProperties));
      } catch (DashboardPortInUseException e) {
        throw new UserError(e.getMessage());
      }
    }
  }

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    dashboard.requireFree();
    CountDownLatch stop = new CountDownLatch(1);
    Thread hook = new Thread(stop::countDown, "millrace-dashboard-stop");
    try (DashboardServer server =
        dashboard.start(
            cluster.bootstrapServers, cluster.kafkaProperties(), cluster.registry(), historyDir)) {
      out.printf(
          "Dashboard on %s, a page per task: %s (Kafka %s, history in %s); press Ctrl-C to"
              + " stop.%n",
          server.uri(),
          java.util.Arrays.stream(Task.values())
              .map(t -> server.taskUri(t).getPath())
              .collect(java.util.stream.Collectors.joining(", ")),
          cluster.bootstrapServers,
          historyDir.toAbsolutePath());
      out.flush();
      Runtime.getRuntime().addShutdownHook(hook);
      if (duration == null) {
        stop.await();
      } else {
        stop.await(duration.toMillis(), TimeUnit.MILLISECONDS);
      }
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException | IllegalArgumentException e) {
        // shutting down, or never added
      }
    }
    return 0;
  }
}
