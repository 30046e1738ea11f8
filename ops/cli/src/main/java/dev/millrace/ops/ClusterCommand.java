package dev.millrace.ops;

import dev.millrace.kafka.TopicAdmin;
import dev.millrace.ops.cluster.ClusterClasspath;
import dev.millrace.ops.cluster.FlinkRest;
import dev.millrace.ops.cluster.LocalCluster;
import dev.millrace.ops.cluster.LocalCluster.KafkaLayout;
import dev.millrace.ops.cluster.LocalCluster.Proc;
import dev.millrace.ops.cluster.LocalCluster.State;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.scorer.flink.Scoring;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code millrace cluster up|down|status}: a three-broker KRaft Kafka cluster and a Flink session
 * cluster (one JobManager, two TaskManagers) on this machine, each node a JVM of its own, started
 * from the millrace jar's class path, with logs, pids and data under one folder.
 */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = {
      "A Kafka cluster (3 KRaft brokers, replication 3, min.insync.replicas 2) and a Flink",
      "session cluster (JobManager with web UI + 2 TaskManagers) on this machine, one JVM each.",
      "Submit the job with 'millrace pipeline --submit http://localhost:8081 ...'."
    },
    subcommands = {ClusterCommand.Up.class, ClusterCommand.Down.class, ClusterCommand.Status.class})
public final class ClusterCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The cluster folder, shared by the subcommands. */
  static final class DirOption {
    @Option(
        names = "--dir",
        defaultValue = "${env:MILLRACE_CLUSTER_DIR:-.millrace/cluster}",
        paramLabel = "DIR",
        description =
            "Folder of the cluster's logs, pids, data and checkpoints (MILLRACE_CLUSTER_DIR;"
                + " default ${DEFAULT-VALUE}).")
    Path dir;
  }

  @Command(
      name = "up",
      mixinStandardHelpOptions = true,
      description = "Start the brokers, create the topics, start the JobManager and TaskManagers.")
  static final class Up implements Callable<Integer> {
    @CommandLine.Mixin DirOption dir;

    @Option(
        names = "--kafka-port",
        defaultValue = "19092",
        description =
            "Client port of broker 1; brokers 2 and 3 take the next two (default"
                + " ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(
        names = "--controller-port",
        defaultValue = "19192",
        description =
            "KRaft controller port of node 1; nodes 2 and 3 take the next two (default"
                + " ${DEFAULT-VALUE}).")
    int controllerPort;

    @Option(
        names = "--rest-port",
        defaultValue = "8081",
        description = "Flink web UI and REST port (default ${DEFAULT-VALUE}).")
    int restPort;

    @Option(
        names = "--rpc-port",
        defaultValue = "6123",
        description = "JobManager RPC port (default ${DEFAULT-VALUE}).")
    int rpcPort;

    @Option(
        names = "--metrics-port",
        defaultValue = "9260",
        description =
            "First port of the Flink processes' Prometheus endpoints (each takes the next free one"
                + " of ten; default ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(
        names = "--taskmanagers",
        defaultValue = "2",
        description = "Number of TaskManagers (default ${DEFAULT-VALUE}).")
    int taskManagers;

    @Option(
        names = "--slots",
        defaultValue = "2",
        description = "Task slots per TaskManager (default ${DEFAULT-VALUE}).")
    int slots;

    @Option(
        names = "--job-jar",
        paramLabel = "JAR",
        description =
            "The fraud job jar (default: the one ./millrace builds in feature-pipeline/target);"
                + " its classes stay off the TaskManagers' class path.")
    Path jobJar;

    @Option(
        names = "--with-trainer",
        description =
            "Also start the fraud trainer as a process of its own (models in DIR/models,"
                + " announced on millrace.models).")
    boolean withTrainer;

    @Option(
        names = "--timeout",
        defaultValue = "300s",
        converter = DurationConverter.class,
        description = "How long to wait for each part to come up (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      LocalCluster cluster = new LocalCluster(dir.dir);
      Optional<State> previous = cluster.state();
      if (previous.isPresent()
          && previous.get().processes().stream().anyMatch(p -> p.alive(cluster.dir()))) {
        throw new UserError(
            "a cluster is already running from "
                + cluster.dir()
                + ": 'millrace cluster status' shows it, 'millrace cluster down' stops it");
      }
      Path job =
          Optional.ofNullable(jobJar)
              .or(ClusterClasspath::findJobJar)
              .orElseThrow(
                  () ->
                      new UserError(
                          "no fraud job jar found (feature-pipeline/target/"
                              + "millrace-feature-pipeline-*-job.jar): build it with ./millrace"
                              + " or pass --job-jar"));
      if (!Files.isRegularFile(job)) {
        throw new UserError("--job-jar " + job + " is not a file");
      }
      String clusterId = cluster.existingClusterId().orElse(Uuid.randomUuid().toString());
      KafkaLayout kafka = new KafkaLayout("127.0.0.1", kafkaPort, controllerPort, 3);
      requireFreePorts(kafka);
      List<Proc> procs = new ArrayList<>();
      String restAddress = "http://localhost:" + restPort;
      try {
        long t0 = System.nanoTime();
        String fullCp = ClusterClasspath.join(ClusterClasspath.full());
        for (int node = 1; node <= kafka.nodes(); node++) {
          procs.add(
              cluster.startBroker(
                  "kafka-" + node,
                  kafka,
                  node,
                  clusterId,
                  List.of("-Xms256m", "-Xmx512m"),
                  fullCp));
          cluster.write(new State(clusterId, kafka.bootstrapServers(), restAddress, procs));
        }
        out.printf(
            "Starting Kafka: 3 KRaft brokers on %s (cluster id %s) ...%n",
            kafka.bootstrapServers(), clusterId);
        out.flush();
        int brokers = awaitBrokers(kafka.bootstrapServers(), 3, procs, cluster);
        int created;
        try (TopicAdmin admin = new TopicAdmin(kafka.bootstrapServers())) {
          created =
              admin
                  .ensure(TopicRegistry.standard().all(TopicRegistry.tasks("all")), (short) 3)
                  .size();
        }
        out.printf(
            "Kafka ready: %d brokers in %.1f s; topics created with replication 3 (%d new)%n",
            brokers, (System.nanoTime() - t0) / 1e9, created);
        out.flush();

        long t1 = System.nanoTime();
        Path conf = cluster.writeFlinkConf(restPort, rpcPort, slots, metricsPort);
        String flinkCp = ClusterClasspath.join(ClusterClasspath.withoutJobClasses(job));
        procs.add(cluster.startJobManager(conf, flinkCp, restPort, rpcPort));
        cluster.write(new State(clusterId, kafka.bootstrapServers(), restAddress, procs));
        for (int tm = 1; tm <= taskManagers; tm++) {
          procs.add(cluster.startTaskManager(conf, flinkCp, tm));
          cluster.write(new State(clusterId, kafka.bootstrapServers(), restAddress, procs));
        }
        out.printf(
            "Starting Flink: JobManager (web UI %s) and %d TaskManagers x %d slots ...%n",
            restAddress, taskManagers, slots);
        out.flush();
        FlinkRest.Overview o = awaitFlink(new FlinkRest(restAddress), procs, cluster);
        out.printf(
            "Flink ready: %d TaskManagers, %d slots in %.1f s%n",
            o.taskManagers(), o.slotsTotal(), (System.nanoTime() - t1) / 1e9);

        if (withTrainer) {
          procs.add(
              cluster.start(
                  "trainer",
                  "trainer",
                  List.of("-Xmx1g"),
                  fullCp,
                  Millrace.class.getName(),
                  List.of(
                      "trainer",
                      "--task",
                      "fraud",
                      "--bootstrap-servers",
                      kafka.bootstrapServers(),
                      "--model-store",
                      cluster.dir().resolve("models").toString(),
                      "--history-dir",
                      cluster.dir().resolve("trainer-history").toString()),
                  List.of()));
          cluster.write(new State(clusterId, kafka.bootstrapServers(), restAddress, procs));
          out.println("Trainer started (log " + procs.get(procs.size() - 1).log() + ")");
        }
        out.printf(
            "Cluster up in %.1f s; logs and pids in %s. Next:%n"
                + "  ./millrace pipeline --task fraud --submit %s --bootstrap-servers %s"
                + " --parallelism 2%n",
            (System.nanoTime() - t0) / 1e9, cluster.dir(), restAddress, kafka.bootstrapServers());
        out.flush();
        return 0;
      } catch (Exception e) {
        out.println("The cluster did not come up; stopping what started: " + e.getMessage());
        out.flush();
        cluster.stop(procs, Duration.ofSeconds(20)).forEach(out::println);
        out.println("Logs are in " + cluster.dir().resolve("logs"));
        out.flush();
        if (e instanceof UserError u) {
          throw u;
        }
        throw new UserError("cluster up failed: " + e.getMessage());
      }
    }

    /**
     * Every port the cluster binds, checked before anything starts: a busy one fails {@code up} at
     * once with the option that moves it, rather than a node exiting minutes later.
     */
    private void requireFreePorts(KafkaLayout kafka) {
      Map<Integer, String> wanted = new java.util.LinkedHashMap<>();
      for (int n = 1; n <= kafka.nodes(); n++) {
        claim(wanted, kafka.port(n), "--kafka-port (broker " + n + ")");
        claim(wanted, kafka.controllerPort(n), "--controller-port (controller " + n + ")");
      }
      claim(wanted, restPort, "--rest-port (Flink REST and web UI)");
      claim(wanted, rpcPort, "--rpc-port (JobManager RPC)");
      List<String> busy = new ArrayList<>();
      for (Map.Entry<Integer, String> e : wanted.entrySet()) {
        if (!LocalCluster.isFree(kafka.host(), e.getKey())) {
          busy.add(e.getKey() + " " + e.getValue());
        }
      }
      if (!busy.isEmpty()) {
        throw new UserError(
            "port"
                + (busy.size() > 1 ? "s " : " ")
                + String.join(", ", busy)
                + (busy.size() > 1 ? " are" : " is")
                + " in use on "
                + kafka.host()
                + " ('ss -ltnp' shows by what); move them with the options named");
      }
    }

    private static void claim(Map<Integer, String> wanted, int port, String what) {
      if (port < 1 || port > 65535) {
        throw new UserError(what + ": port " + port + " is out of range");
      }
      String other = wanted.putIfAbsent(port, what);
      if (other != null) {
        throw new UserError("port " + port + " is wanted twice: by " + other + " and " + what);
      }
    }

    private int awaitBrokers(String bootstrap, int wanted, List<Proc> procs, LocalCluster cluster)
        throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      int seen = 0;
      try (Admin admin =
          Admin.create(
              Map.of(
                  AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                  AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000,
                  AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000))) {
        while (true) {
          requireAlive(procs, cluster);
          try {
            int n = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size();
            seen = Math.max(seen, n);
            if (n >= wanted) {
              return n;
            }
          } catch (Exception e) {
            // not up yet
          }
          if (System.nanoTime() > deadline) {
            throw new UserError(
                "the Kafka brokers did not form a cluster within "
                    + timeout.toSeconds()
                    + " s ("
                    + seen
                    + " of "
                    + wanted
                    + " registered; the logs in "
                    + cluster.dir().resolve("logs")
                    + " say why; a slow machine may need a longer --timeout)");
          }
          Thread.sleep(500);
        }
      }
    }

    private FlinkRest.Overview awaitFlink(FlinkRest rest, List<Proc> procs, LocalCluster cluster)
        throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      FlinkRest.Overview last = null;
      while (true) {
        requireAlive(procs, cluster);
        try {
          FlinkRest.Overview o = rest.overview();
          last = o;
          if (o.taskManagers() >= taskManagers && o.slotsTotal() >= taskManagers * slots) {
            return o;
          }
        } catch (IOException e) {
          // not up yet
        }
        if (System.nanoTime() > deadline) {
          throw new UserError(
              "Flink did not report "
                  + taskManagers
                  + " TaskManagers within "
                  + timeout.toSeconds()
                  + " s ("
                  + (last == null
                      ? "its REST API at http://localhost:" + restPort + " never answered"
                      : last.taskManagers() + " registered")
                  + "; see the logs in "
                  + cluster.dir().resolve("logs")
                  + ")");
        }
        Thread.sleep(500);
      }
    }

    /** A Flink process's stdout (JVM errors before its log starts), when there is one. */
    private static String outputOf(Proc p) {
      Path out = Path.of(p.log().replaceAll("\\.log$", ".out"));
      return out.toString().equals(p.log()) || !Files.isRegularFile(out)
          ? ""
          : "\nthe end of " + out + ":\n" + LocalCluster.tail(out, 10);
    }

    private static void requireAlive(List<Proc> procs, LocalCluster cluster) {
      for (Proc p : procs) {
        if (!p.alive(cluster.dir())) {
          throw new UserError(
              p.name()
                  + " exited while starting; the end of "
                  + p.log()
                  + ":\n"
                  + LocalCluster.tail(Path.of(p.log()), 15)
                  + outputOf(p));
        }
      }
    }
  }

  @Command(
      name = "down",
      mixinStandardHelpOptions = true,
      description = "Stop every process of the cluster (SIGTERM, then SIGKILL); data stays.")
  static final class Down implements Callable<Integer> {
    @CommandLine.Mixin DirOption dir;

    @Option(
        names = "--purge",
        description = "Also delete the cluster folder: Kafka data, checkpoints, logs.")
    boolean purge;

    @Option(
        names = "--timeout",
        defaultValue = "30s",
        converter = DurationConverter.class,
        description =
            "How long each group may take to stop before SIGKILL (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      LocalCluster cluster = new LocalCluster(dir.dir);
      Optional<State> state = cluster.state();
      if (state.isEmpty()) {
        out.println("No cluster in " + cluster.dir());
      } else {
        cluster.stop(state.get().processes(), timeout).forEach(out::println);
      }
      if (purge) {
        cluster.purge();
        out.println("Removed " + cluster.dir());
      } else if (state.isPresent()) {
        out.println(
            "Data, checkpoints and logs stay in " + cluster.dir() + " (--purge removes them)");
      }
      out.flush();
      return 0;
    }
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description =
          "Each process (alive, ports, log), Flink's overview with each running job's scoring"
              + " subtasks (TaskManager, model version), and the broker count.")
  static final class Status implements Callable<Integer> {
    @CommandLine.Mixin DirOption dir;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      LocalCluster cluster = new LocalCluster(dir.dir);
      Optional<State> state = cluster.state();
      if (state.isEmpty()) {
        out.println("No cluster in " + cluster.dir() + " ('millrace cluster up' starts one)");
        out.flush();
        return 1;
      }
      State s = state.get();
      int alive = 0;
      for (Proc p : s.processes()) {
        boolean up = p.alive(cluster.dir());
        alive += up ? 1 : 0;
        out.printf(
            "%-14s pid %-8d %-5s ports %-14s log %s%n",
            p.name(),
            p.pid(),
            up ? "up" : "DOWN",
            p.ports().isEmpty() ? "-" : p.ports().toString(),
            p.log());
      }
      try {
        FlinkRest.Overview o = new FlinkRest(s.restAddress()).overview();
        out.printf(
            "Flink %s: %d TaskManagers, %d/%d slots free, %d running jobs%n",
            s.restAddress(), o.taskManagers(), o.slotsAvailable(), o.slotsTotal(), o.jobsRunning());
        FlinkRest rest = new FlinkRest(s.restAddress());
        for (FlinkRest.JobSummary job : rest.jobs()) {
          if (!job.state().equals("RUNNING")) {
            continue;
          }
          out.printf("  job %s %s (%s)%n", job.id(), job.state(), job.name());
          // Flink's REST API fetches metrics every 10 s: wait that long for a subtask's first one.
          List<FlinkRest.Subtask> subtasks = rest.subtasks(job.id(), Scoring.NAME, "modelVersion");
          for (int i = 0; i < 10 && subtasks.stream().anyMatch(st -> st.metric() == null); i++) {
            sleepQuietly(1000);
            subtasks = rest.subtasks(job.id(), Scoring.NAME, "modelVersion");
          }
          for (FlinkRest.Subtask st : subtasks) {
            out.printf(
                "    scoring subtask %d on %s: %s, model %s%n",
                st.index(),
                st.taskManager(),
                st.status(),
                st.metric() == null ? "(not reported yet)" : st.metric());
          }
        }
      } catch (IOException e) {
        out.println("Flink " + s.restAddress() + ": not answering (" + e.getMessage() + ")");
      }
      try (Admin admin =
          Admin.create(
              Map.of(
                  AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers(),
                  AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000,
                  AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 8000))) {
        int n = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size();
        out.printf("Kafka %s: %d brokers%n", s.bootstrapServers(), n);
      } catch (Exception e) {
        out.println("Kafka " + s.bootstrapServers() + ": not answering");
      }
      out.flush();
      return alive == s.processes().size() ? 0 : 1;
    }
  }
}
