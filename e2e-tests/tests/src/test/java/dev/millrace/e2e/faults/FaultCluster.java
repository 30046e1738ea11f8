package dev.millrace.e2e.faults;

import dev.millrace.kafka.TopicAdmin;
import dev.millrace.ops.Millrace;
import dev.millrace.ops.cluster.ClusterClasspath;
import dev.millrace.ops.cluster.FlinkRest;
import dev.millrace.ops.cluster.LocalCluster;
import dev.millrace.ops.cluster.LocalCluster.KafkaLayout;
import dev.millrace.ops.cluster.LocalCluster.Proc;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Uuid;

/**
 * Three KRaft brokers and {@code millrace pipeline}, {@code trainer} and {@code validator} runs,
 * each a child JVM started with {@link LocalCluster}'s process helpers from the millrace jar and
 * its {@code lib/} folder (what {@code millrace cluster up} runs), or from this test's class path
 * when the jar is not built. Every process it starts is stopped by {@link #close()} and, should the
 * test JVM be stopped, by a shutdown hook.
 */
final class FaultCluster implements AutoCloseable {

  /** The millrace command's own logging, also when a test's log4j2-test.xml is on the path. */
  private static final String LOG4J = "-Dlog4j2.configurationFile=log4j2.xml";

  private final LocalCluster cluster;
  private final KafkaLayout kafka;
  private final String clusterId = Uuid.randomUuid().toString();
  private final String classPath;
  private final List<Proc> started = new CopyOnWriteArrayList<>();
  private final Proc[] brokers = new Proc[4];
  private final Thread hook;
  private int restarts;

  FaultCluster(Path dir) throws IOException {
    this.cluster = new LocalCluster(dir);
    cluster.purge();
    Files.createDirectories(cluster.dir());
    this.kafka = new KafkaLayout("127.0.0.1", freeRange(3), freeRange(3), 3);
    this.classPath = ClusterClasspath.join(ClusterClasspath.full());
    this.hook =
        new Thread(
            () ->
                started.forEach(p -> ProcessHandle.of(p.pid()).ifPresent(h -> h.destroyForcibly())),
            "fault-cluster-kill");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** Where the children's classes come from, for the report. */
  String classPathSource() {
    Path root = Path.of("../..").toAbsolutePath().normalize();
    return ClusterClasspath.millraceJar()
        .map(j -> root.relativize(j.toAbsolutePath().normalize()))
        .map(j -> "`" + j + "` and `" + j.resolveSibling("lib") + "/*`")
        .orElse("the test's class path (the reactor gave ops/cli's classes, not millrace.jar)");
  }

  Path dir() {
    return cluster.dir();
  }

  String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  /** Starts the three brokers and waits until they form a cluster. */
  void startKafka(Duration timeout) throws Exception {
    for (int node = 1; node <= 3; node++) {
      startBroker(node);
    }
    awaitBrokers(3, timeout);
  }

  void startBroker(int node) throws IOException {
    String name = "kafka-" + node + (brokers[node] == null ? "" : "-restart-" + (++restarts));
    Proc p =
        cluster.startBroker(
            name, kafka, node, clusterId, List.of("-Xms256m", "-Xmx512m", LOG4J), classPath);
    brokers[node] = p;
    started.add(p);
  }

  /** Stops broker {@code node}: SIGKILL when {@code hard}, else SIGTERM and wait for its exit. */
  void stopBroker(int node, boolean hard, Duration timeout) throws Exception {
    stop(brokers[node], hard, timeout);
  }

  /** Creates the fraud topics of {@code namespace}, replication 3 (min.insync.replicas 2). */
  TopicRegistry createTopics(String namespace) {
    TopicRegistry topics = TopicRegistry.namespaced(namespace);
    try (TopicAdmin admin = new TopicAdmin(kafka.bootstrapServers())) {
      admin.ensure(topics.all(List.of(Task.FRAUD)), (short) 3);
    }
    return topics;
  }

  /** Waits until {@code wanted} brokers answer. */
  void awaitBrokers(int wanted, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin = admin()) {
      while (true) {
        requireBrokersAlive();
        try {
          if (admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size() >= wanted) {
            return;
          }
        } catch (Exception e) {
          // not up yet
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              wanted + " brokers did not answer within " + timeout + "; logs in " + logs());
        }
        Thread.sleep(500);
      }
    }
  }

  /**
   * Waits until every partition of every topic (internal ones included: transaction state, consumer
   * offsets) has all its replicas in sync again, so that the next broker may go.
   */
  void awaitFullIsr(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String lagging = "?";
    try (Admin admin = admin()) {
      while (System.nanoTime() < deadline) {
        try {
          Set<String> names =
              admin
                  .listTopics(new ListTopicsOptions().listInternal(true))
                  .names()
                  .get(10, TimeUnit.SECONDS);
          Map<String, TopicDescription> all =
              admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS);
          lagging =
              all.values().stream()
                  .flatMap(
                      d ->
                          d.partitions().stream()
                              .filter(
                                  p -> p.leader() == null || p.isr().size() < p.replicas().size())
                              .map(p -> d.name() + "-" + p.partition()))
                  .findFirst()
                  .orElse(null);
          if (lagging == null) {
            return;
          }
        } catch (Exception e) {
          lagging = e.toString();
        }
        Thread.sleep(1000);
      }
    }
    throw new IllegalStateException("replicas not in sync within " + timeout + ": " + lagging);
  }

  /** Starts {@code millrace pipeline --task fraud} with {@code args} after the common ones. */
  Proc startPipeline(String name, List<String> args) throws IOException {
    return startFraudCommand(name, "pipeline", "-Xmx768m", args);
  }

  /** Starts {@code millrace trainer --task fraud} with {@code args} after the common ones. */
  Proc startTrainer(String name, List<String> args) throws IOException {
    return startFraudCommand(name, "trainer", "-Xmx768m", args);
  }

  /** Starts {@code millrace validator --task fraud} with {@code args} after the common ones. */
  Proc startValidator(String name, List<String> args) throws IOException {
    return startFraudCommand(name, "validator", "-Xmx512m", args);
  }

  /** {@code millrace COMMAND --task fraud --bootstrap-servers ... ARGS}, a JVM of its own. */
  private Proc startFraudCommand(String name, String command, String heap, List<String> args)
      throws IOException {
    List<String> all = new ArrayList<>(List.of(command, "--task", "fraud"));
    all.addAll(List.of("--bootstrap-servers", kafka.bootstrapServers()));
    all.addAll(args);
    Proc p =
        cluster.start(
            name,
            command,
            List.of(heap, "-XX:+UseSerialGC", LOG4J),
            classPath,
            Millrace.class.getName(),
            all,
            List.of());
    started.add(p);
    return p;
  }

  /** A Flink session cluster of child JVMs ({@link #startFlink}); {@link #close} stops them. */
  record Flink(FlinkRest rest, Proc jobManager, List<Proc> taskManagers) implements AutoCloseable {
    @Override
    public void close() throws Exception {
      for (Proc p : taskManagers) {
        stop(p, false, Duration.ofSeconds(30));
      }
      stop(jobManager, false, Duration.ofSeconds(30));
    }
  }

  /**
   * Starts a Flink session cluster as {@code millrace cluster up} does (a JobManager and {@code
   * taskManagers} TaskManagers of {@code slots} slots, {@link LocalCluster}'s configuration, the
   * class path less the job jar's classes) beside the brokers, and waits until its slots register.
   */
  Flink startFlink(Path jobJar, int taskManagers, int slots, Duration timeout) throws Exception {
    int restPort = freeRange(2);
    Path conf = cluster.writeFlinkConf(restPort, restPort + 1, slots, freeRange(11));
    String flinkCp = ClusterClasspath.join(ClusterClasspath.withoutJobClasses(jobJar));
    Proc jm = cluster.startJobManager(conf, flinkCp, restPort, restPort + 1);
    started.add(jm);
    List<Proc> tms = new ArrayList<>();
    for (int n = 1; n <= taskManagers; n++) {
      Proc tm = cluster.startTaskManager(conf, flinkCp, n);
      started.add(tm);
      tms.add(tm);
    }
    Flink flink = new Flink(new FlinkRest("http://localhost:" + restPort), jm, tms);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (Proc p : started) {
        if ((p == jm || tms.contains(p)) && !alive(p)) {
          flink.close();
          throw new IllegalStateException(p.name() + " exited; see " + p.log() + "\n" + tail(p));
        }
      }
      try {
        if (flink.rest().overview().slotsTotal() >= taskManagers * slots) {
          return flink;
        }
      } catch (IOException notYet) {
        // the REST API is not up yet
      }
      if (System.nanoTime() > deadline) {
        flink.close();
        throw new IllegalStateException(
            "Flink's " + taskManagers + " TaskManagers did not register within " + timeout);
      }
      Thread.sleep(500);
    }
  }

  /**
   * Runs {@code millrace ARGS} to its end (a JVM of its own, as a user runs it), e.g. {@code
   * pipeline --submit}; returns its output, or throws with it unless it exits 0.
   */
  String millrace(Duration timeout, List<String> args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-Xmx512m", "-XX:+UseSerialGC", LOG4J, "-Dai.djl.offline=true"));
    cmd.addAll(List.of("-cp", classPath, Millrace.class.getName()));
    cmd.addAll(args);
    Path out = Files.createTempFile(cluster.dir(), "millrace-", ".out");
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .directory(cluster.dir().toFile())
            .start();
    boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (!done) {
      p.destroyForcibly().waitFor();
    }
    String text = Files.readString(out, StandardCharsets.UTF_8);
    if (!done || p.exitValue() != 0) {
      throw new IllegalStateException(
          "millrace "
              + String.join(" ", args)
              + (done ? " exited " + p.exitValue() : " did not end within " + timeout)
              + ": "
              + text.lines().filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse("")
              + "\n"
              + text);
    }
    return text;
  }

  /**
   * Makes every folder and file under {@code dir} immutable ({@code chattr -R +i}) or mutable
   * again. The processes run as root here, and root writes through {@code chmod a-w}; an immutable
   * folder refuses new entries, deletions and renames to root too, which is what a read-only
   * checkpoint volume does to Flink.
   */
  static void immutable(Path dir, boolean on) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder("chattr", "-R", on ? "+i" : "-i", dir.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException("chattr " + (on ? "+i " : "-i ") + dir + " failed: " + out);
    }
  }

  /** SIGKILL ({@code hard}) or SIGTERM, then waits for the exit (SIGKILL after the timeout). */
  static void stop(Proc p, boolean hard, Duration timeout) throws Exception {
    Optional<ProcessHandle> h = ProcessHandle.of(p.pid()).filter(ProcessHandle::isAlive);
    if (h.isEmpty()) {
      return;
    }
    if (hard) {
      h.get().destroyForcibly();
    } else {
      h.get().destroy();
    }
    try {
      h.get().onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      h.get().destroyForcibly();
      h.get().onExit().get(30, TimeUnit.SECONDS);
    }
  }

  static boolean alive(Proc p) {
    return ProcessHandle.of(p.pid()).map(ProcessHandle::isAlive).orElse(false);
  }

  static String log(Proc p) {
    try {
      return Files.readString(Path.of(p.log()), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final Pattern RESTARTS = Pattern.compile("restarts (\\d+)");
  private static final Pattern FAILED_CHECKPOINTS = Pattern.compile("\\((\\d+) failed\\)");

  /** The most failed checkpoints a pipeline's status lines reported. */
  static int failedCheckpoints(Proc p) {
    Matcher m = FAILED_CHECKPOINTS.matcher(log(p));
    int max = 0;
    while (m.find()) {
      max = Math.max(max, Integer.parseInt(m.group(1)));
    }
    return max;
  }

  /**
   * The most Flink failovers a pipeline's status lines reported; for a session cluster's JobManager
   * (the job submitted to it), its jobs' switches to RESTARTING in its log.
   */
  static int failovers(Proc p) {
    if (p.role().equals("jobmanager")) {
      return (int) log(p).lines().filter(l -> l.contains(" to RESTARTING")).count();
    }
    Matcher m = RESTARTS.matcher(log(p));
    int max = 0;
    while (m.find()) {
      max = Math.max(max, Integer.parseInt(m.group(1)));
    }
    return max;
  }

  private void requireBrokersAlive() {
    for (int n = 1; n <= 3; n++) {
      if (brokers[n] != null && !alive(brokers[n])) {
        throw new IllegalStateException(
            "broker " + n + " exited; see " + brokers[n].log() + "\n" + tail(brokers[n]));
      }
    }
  }

  static String tail(Proc p) {
    String s = log(p);
    return s.length() > 3000 ? s.substring(s.length() - 3000) : s;
  }

  private Path logs() {
    return cluster.dir().resolve("logs");
  }

  private Admin admin() {
    return Admin.create(
        Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000));
  }

  @Override
  public void close() {
    cluster.stop(started, Duration.ofSeconds(30));
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
  }

  /** {@code n} consecutive free ports on the loopback interface. */
  static int freeRange(int n) throws IOException {
    Random random = new Random();
    for (int attempt = 0; attempt < 200; attempt++) {
      int base = 20_000 + random.nextInt(30_000);
      boolean free = true;
      for (int i = 0; i < n && free; i++) {
        try (ServerSocket s = new ServerSocket(base + i, 1, InetAddress.getLoopbackAddress())) {
          s.setReuseAddress(true);
        } catch (IOException taken) {
          free = false;
        }
      }
      if (free) {
        return base;
      }
    }
    throw new IOException("no " + n + " consecutive free ports found");
  }
}
