package dev.millrace.ops.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.millrace.kafka.BrokerSettings;
import dev.millrace.ops.Millrace;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A Kafka and Flink cluster on this machine, one JVM per node, with everything under one folder:
 *
 * <pre>
 * DIR/cluster.json            the processes (pid, ports, log) and addresses; read by status/down
 * DIR/logs/NAME.log           each process's log (stdout and stderr)
 * DIR/kafka/node-N/           each broker's data (kept by down, removed by down --purge)
 * DIR/flink/conf/config.yaml  the Flink configuration every Flink process reads
 * DIR/flink/checkpoints/, savepoints/, tmp/, uploads/
 * </pre>
 */
public final class LocalCluster {

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** The JVM options Flink's own start scripts pass on Java 17. */
  public static final List<String> FLINK_JAVA_OPTS =
      List.of(
          "-XX:+IgnoreUnrecognizedVMOptions",
          "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
          "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
          "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
          "--add-opens=java.base/java.lang=ALL-UNNAMED",
          "--add-opens=java.base/java.net=ALL-UNNAMED",
          "--add-opens=java.base/java.io=ALL-UNNAMED",
          "--add-opens=java.base/java.nio=ALL-UNNAMED",
          "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
          "--add-opens=java.base/java.text=ALL-UNNAMED",
          "--add-opens=java.base/java.time=ALL-UNNAMED",
          "--add-opens=java.base/java.util=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

  /** One process of the cluster, as {@code cluster.json} records it. */
  public record Proc(String name, String role, long pid, List<Integer> ports, String log) {
    /** Alive, and still the process we started (its command line names the cluster folder). */
    public boolean alive(Path dir) {
      return handle(dir).isPresent();
    }

    Optional<ProcessHandle> handle(Path dir) {
      return ProcessHandle.of(pid)
          .filter(ProcessHandle::isAlive)
          .filter(
              h ->
                  h.info()
                      .commandLine()
                      .map(c -> c.contains(dir.toAbsolutePath().toString()))
                      .orElse(true));
    }
  }

  /** What {@code up} started: addresses and processes. */
  public record State(
      String clusterId, String bootstrapServers, String restAddress, List<Proc> processes) {}

  private final Path dir;

  public LocalCluster(Path dir) {
    this.dir = dir.toAbsolutePath().normalize();
  }

  public Path dir() {
    return dir;
  }

  public Path stateFile() {
    return dir.resolve("cluster.json");
  }

  public Optional<State> state() {
    if (!Files.isRegularFile(stateFile())) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readValue(stateFile().toFile(), State.class));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + stateFile(), e);
    }
  }

  public void write(State state) {
    try {
      Files.createDirectories(dir);
      JSON.writeValue(stateFile().toFile(), state);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + stateFile(), e);
    }
  }

  /** The cluster id the brokers' data was formatted with, if there is data. */
  public Optional<String> existingClusterId() {
    return state().map(State::clusterId).filter(id -> Files.isDirectory(dir.resolve("kafka")));
  }

  /**
   * Starts KRaft node {@code node} of {@code kafka} ({@code millrace broker --node-id N --quorum
   * ...}) as process {@code name}, its data in {@code kafka/node-N} of this folder.
   */
  public Proc startBroker(
      String name,
      KafkaLayout kafka,
      int node,
      String clusterId,
      List<String> jvmOpts,
      String classPath)
      throws IOException {
    return start(
        name,
        "kafka",
        jvmOpts,
        classPath,
        Millrace.class.getName(),
        List.of(
            "broker",
            "--node-id",
            String.valueOf(node),
            "--quorum",
            kafka.voters(),
            "--cluster-id",
            clusterId,
            "--host",
            kafka.host(),
            "--port",
            String.valueOf(kafka.port(node)),
            "--controller-port",
            String.valueOf(kafka.controllerPort(node)),
            "--data-dir",
            dir.resolve("kafka/node-" + node).toString()),
        List.of(kafka.port(node), kafka.controllerPort(node)));
  }

  /** Starts {@code java [jvmOpts] -cp classPath main args}, output to {@code logs/NAME.log}. */
  public Proc start(
      String name,
      String role,
      List<String> jvmOpts,
      String classPath,
      String main,
      List<String> args,
      List<Integer> ports)
      throws IOException {
    Path logs = dir.resolve("logs");
    Files.createDirectories(logs);
    Path log = logs.resolve(name + ".log");
    // Flink's processes log to log.file themselves (the web UI shows it); their stdout goes aside.
    boolean flink = role.equals("jobmanager") || role.equals("taskmanager");
    Path out = flink ? logs.resolve(name + ".out") : log;
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOpts);
    // Names the cluster folder on the command line, so that status/down recognise the process.
    cmd.add("-Dmillrace.cluster.dir=" + dir);
    cmd.add("-Dai.djl.offline=true");
    if (flink) {
      cmd.add("-Dlog.file=" + log);
      cmd.add("-Dlog4j.configurationFile=" + dir.resolve("flink/conf/log4j.properties"));
    }
    cmd.add("-cp");
    cmd.add(classPath);
    cmd.add(main);
    cmd.addAll(args);
    Files.writeString(
        out,
        "# "
            + String.join(" ", cmd).replace(classPath, "<" + countEntries(classPath) + " jars>")
            + "\n",
        StandardCharsets.UTF_8);
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().putIfAbsent("DJL_CACHE_DIR", System.getProperty("user.home") + "/.djl.ai");
    Process p = pb.start();
    Files.createDirectories(dir.resolve("pids"));
    Files.writeString(dir.resolve("pids").resolve(name + ".pid"), p.pid() + "\n");
    return new Proc(name, role, p.pid(), ports, log.toString());
  }

  private static int countEntries(String classPath) {
    return classPath.split(File.pathSeparator).length;
  }

  /**
   * Stops the processes: SIGTERM to all of a group at once, SIGKILL to whatever still runs after
   * {@code timeout}. Groups go in order (trainer, local pipelines, TaskManagers, JobManager,
   * brokers).
   *
   * <p>A KRaft node's broker waits for the controller quorum to approve its controlled shutdown.
   * Once only a minority of the nodes still runs there is no quorum left to approve it, and the
   * last nodes would wait out Kafka's five minutes: they get {@link #NO_QUORUM_GRACE} and are then
   * killed (their logs are recovered at the next start, as after a crash).
   *
   * @return one line per process saying how it ended
   */
  public List<String> stop(List<Proc> procs, Duration timeout) {
    List<String> lines = new ArrayList<>();
    for (String role : List.of("trainer", "pipeline", "taskmanager", "jobmanager", "kafka")) {
      List<Proc> group = procs.stream().filter(p -> p.role().equals(role)).toList();
      Map<Proc, ProcessHandle> running = new LinkedHashMap<>();
      for (Proc p : group) {
        Optional<ProcessHandle> h = p.handle(dir);
        if (h.isEmpty()) {
          lines.add(p.name() + " (pid " + p.pid() + ") was not running");
        } else {
          h.get().destroy();
          running.put(p, h.get());
        }
      }
      long deadline = System.nanoTime() + timeout.toNanos();
      long noQuorumSince = -1;
      while (!running.isEmpty()) {
        for (var it = running.entrySet().iterator(); it.hasNext(); ) {
          var e = it.next();
          if (!e.getValue().isAlive()) {
            lines.add(e.getKey().name() + " (pid " + e.getKey().pid() + ") stopped");
            it.remove();
          }
        }
        if (running.isEmpty()) {
          break;
        }
        boolean quorumLost = role.equals("kafka") && running.size() <= group.size() / 2;
        if (quorumLost && noQuorumSince < 0) {
          noQuorumSince = System.nanoTime();
        }
        boolean timedOut = System.nanoTime() > deadline;
        boolean graceOver =
            quorumLost && System.nanoTime() - noQuorumSince > NO_QUORUM_GRACE.toNanos();
        if (timedOut || graceOver) {
          for (var e : running.entrySet()) {
            e.getValue().destroyForcibly();
            awaitExit(e.getValue());
            lines.add(
                e.getKey().name()
                    + " (pid "
                    + e.getKey().pid()
                    + ") "
                    + (timedOut
                        ? "did not stop within " + timeout.toSeconds() + " s of SIGTERM: killed"
                        : "left without a KRaft quorum to approve its controlled shutdown:"
                            + " killed (its logs are recovered at the next start)"));
          }
          running.clear();
          break;
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          running.values().forEach(ProcessHandle::destroyForcibly);
          throw new IllegalStateException("interrupted while stopping the cluster", e);
        }
      }
    }
    return lines;
  }

  /** How long the last KRaft nodes, without a quorum, get before SIGKILL. */
  static final Duration NO_QUORUM_GRACE = Duration.ofSeconds(5);

  private static void awaitExit(ProcessHandle h) {
    try {
      h.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      // reported by status if it still runs
    }
  }

  /**
   * Whether nothing listens on {@code host:port}: a server socket binds there now, with {@code
   * SO_REUSEADDR} as Kafka's and Flink's servers bind, so that the connections a cluster just
   * stopped leaves in TIME_WAIT do not count as busy.
   */
  public static boolean isFree(String host, int port) {
    try (java.net.ServerSocket s = new java.net.ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new java.net.InetSocketAddress(host, port));
      return true;
    } catch (IOException busy) {
      return false;
    }
  }

  /** The last {@code n} lines of a log, for an error message; empty when it cannot be read. */
  public static String tail(Path log, int n) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  /** Removes the whole cluster folder (data, logs, checkpoints). */
  public void purge() throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Node ids, ports and folders of the three brokers. */
  public record KafkaLayout(String host, int basePort, int controllerBasePort, int nodes) {
    public int port(int node) {
      return basePort + node - 1;
    }

    public int controllerPort(int node) {
      return controllerBasePort + node - 1;
    }

    public String voters() {
      return BrokerSettings.Quorum.voters(host, nodes, controllerBasePort);
    }

    public String bootstrapServers() {
      List<String> s = new ArrayList<>();
      for (int n = 1; n <= nodes; n++) {
        s.add(host + ":" + port(n));
      }
      return String.join(",", s);
    }
  }

  /**
   * Writes the Flink processes' configuration ({@link #flinkConfig}, {@link #flinkLog4j}) to {@code
   * flink/conf} and creates the folders it names; returns the conf folder.
   */
  public Path writeFlinkConf(int restPort, int rpcPort, int slots, int metricsPortFrom)
      throws IOException {
    Path conf = dir.resolve("flink/conf");
    Files.createDirectories(conf);
    for (String sub : List.of("checkpoints", "savepoints", "tmp", "uploads")) {
      Files.createDirectories(dir.resolve("flink").resolve(sub));
    }
    Files.writeString(
        conf.resolve("config.yaml"),
        flinkConfig(restPort, rpcPort, slots, metricsPortFrom),
        StandardCharsets.UTF_8);
    Files.writeString(conf.resolve("log4j.properties"), flinkLog4j(), StandardCharsets.UTF_8);
    return conf;
  }

  /**
   * Starts the Flink JobManager (a standalone session cluster) with the conf folder {@code conf}.
   */
  public Proc startJobManager(Path conf, String flinkClassPath, int restPort, int rpcPort)
      throws IOException {
    List<String> opts = new ArrayList<>(FLINK_JAVA_OPTS);
    opts.addAll(List.of("-Xms256m", "-Xmx640m"));
    return start(
        "jobmanager",
        "jobmanager",
        opts,
        flinkClassPath,
        "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
        List.of("--configDir", conf.toString()),
        List.of(restPort, rpcPort));
  }

  /** Starts TaskManager {@code n} ({@code taskmanager-n}) with the conf folder {@code conf}. */
  public Proc startTaskManager(Path conf, String flinkClassPath, int n) throws IOException {
    List<String> opts = new ArrayList<>(FLINK_JAVA_OPTS);
    opts.addAll(taskManagerJvmOpts());
    return start(
        "taskmanager-" + n,
        "taskmanager",
        opts,
        flinkClassPath,
        "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
        List.of("--configDir", conf.toString(), "-D", "taskmanager.resource-id=taskmanager-" + n),
        List.of());
  }

  /** Flink's configuration for this cluster; each line was checked against Flink 2.2's options. */
  public String flinkConfig(int restPort, int rpcPort, int slots, int metricsPortFrom) {
    Path flink = dir.resolve("flink");
    String uri = flink.toUri().toString();
    if (uri.endsWith("/")) {
      uri = uri.substring(0, uri.length() - 1);
    }
    return String.join(
        "\n",
        "# Written by `millrace cluster up`; rewritten on each start.",
        "jobmanager.rpc.address: localhost",
        "jobmanager.rpc.port: " + rpcPort,
        "jobmanager.bind-host: 127.0.0.1",
        "jobmanager.memory.process.size: 1024m",
        "taskmanager.host: localhost",
        "taskmanager.bind-host: 127.0.0.1",
        "taskmanager.numberOfTaskSlots: " + slots,
        "taskmanager.cpu.cores: " + slots,
        // A TaskManager started without Flink's scripts needs every memory part set explicitly.
        "taskmanager.memory.framework.heap.size: " + TM_FRAMEWORK_HEAP_MB + "m",
        "taskmanager.memory.task.heap.size: " + TM_TASK_HEAP_MB + "m",
        "taskmanager.memory.managed.size: 256m",
        "taskmanager.memory.framework.off-heap.size: " + TM_FRAMEWORK_OFF_HEAP_MB + "m",
        "taskmanager.memory.task.off-heap.size: " + TM_TASK_OFF_HEAP_MB + "m",
        "taskmanager.memory.network.min: " + TM_NETWORK_MB + "m",
        "taskmanager.memory.network.max: " + TM_NETWORK_MB + "m",
        "taskmanager.memory.jvm-metaspace.size: " + TM_METASPACE_MB + "m",
        "taskmanager.memory.jvm-overhead.min: 192m",
        "taskmanager.memory.jvm-overhead.max: 192m",
        "rest.address: localhost",
        "rest.bind-address: 127.0.0.1",
        "rest.port: " + restPort,
        "web.submit.enable: true",
        "web.upload.dir: " + flink.resolve("uploads"),
        "io.tmp.dirs: " + flink.resolve("tmp"),
        "parallelism.default: 1",
        // Avro/POJO types only, never Kryo, as on the local MiniCluster.
        "pipeline.generic-types: false",
        // DJL and its native PyTorch load once per TaskManager, from its class path: a job restart
        // then reuses them instead of failing with 'already loaded in another classloader'.
        "classloader.parent-first-patterns.additional: ai.djl.",
        // Subtasks spread over the TaskManagers (a job at parallelism 2 runs on both).
        "taskmanager.load-balance.mode: SLOTS",
        "state.backend.type: rocksdb",
        "execution.checkpointing.dir: " + uri + "/checkpoints",
        "execution.checkpointing.savepoint-dir: " + uri + "/savepoints",
        // A killed TaskManager is noticed in seconds rather than the default 50.
        "heartbeat.interval: 2000",
        "heartbeat.timeout: 15000",
        "metrics.reporter.prom.factory.class:"
            + " org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
        "metrics.reporter.prom.port: " + metricsPortFrom + "-" + (metricsPortFrom + 10),
        "");
  }

  static final int TM_FRAMEWORK_HEAP_MB = 128;
  static final int TM_TASK_HEAP_MB = 512;
  static final int TM_FRAMEWORK_OFF_HEAP_MB = 128;
  static final int TM_TASK_OFF_HEAP_MB = 64;
  static final int TM_NETWORK_MB = 64;
  static final int TM_METASPACE_MB = 256;

  /** The heap and direct-memory limits matching {@link #flinkConfig}'s TaskManager memory. */
  public static List<String> taskManagerJvmOpts() {
    int heap = TM_FRAMEWORK_HEAP_MB + TM_TASK_HEAP_MB;
    int direct = TM_FRAMEWORK_OFF_HEAP_MB + TM_TASK_OFF_HEAP_MB + TM_NETWORK_MB;
    return List.of(
        "-Xms" + heap + "m",
        "-Xmx" + heap + "m",
        "-XX:MaxDirectMemorySize=" + direct + "m",
        "-XX:MaxMetaspaceSize=" + TM_METASPACE_MB + "m");
  }

  /** log4j2 configuration of the Flink processes: INFO to the file {@code -Dlog.file} names. */
  public static String flinkLog4j() {
    return String.join(
        "\n",
        "monitorInterval = 30",
        "rootLogger.level = INFO",
        "rootLogger.appenderRef.main.ref = MainAppender",
        "logger.kafka.name = org.apache.kafka",
        "logger.kafka.level = WARN",
        "appender.main.name = MainAppender",
        "appender.main.type = File",
        "appender.main.append = true",
        "appender.main.fileName = ${sys:log.file}",
        "appender.main.layout.type = PatternLayout",
        "appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n",
        "");
  }
}
