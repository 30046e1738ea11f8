package dev.millrace.e2e.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.ingest.Pacing;
import dev.millrace.ingest.fraud.FraudGenerator;
import dev.millrace.ingest.fraud.FraudPublisher;
import dev.millrace.ingest.fraud.LabeledTransaction;
import dev.millrace.ingest.fraud.PoisonRecords;
import dev.millrace.ops.cluster.LocalCluster.Proc;
import dev.millrace.schemas.TopicRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Faults and bad input against the real thing: three KRaft brokers (replication 3, min.insync 2)
 * and {@code millrace pipeline}, each a JVM of its own, fed by the transaction publisher at a
 * steady rate while the faults land mid-stream. An independent read_committed consumer ({@link
 * OutputChecker}) watches the scores and the dead letters throughout; each scenario ends with every
 * transaction sent compared with the scores (lost, duplicated) and every poison record with the
 * dead letters (by source partition and offset, and reason).
 *
 * <p>By default (the CI build) it runs one scenario, the job killed with SIGKILL once. The {@code
 * faults} profile runs them all and writes {@code docs/reliability.md}:
 *
 * <pre>
 * mvn -B -ntp -pl e2e-tests/tests -am -Pfaults verify -Dtest=FaultSuiteTest \
 *     -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
class FaultSuiteTest {

  static final String COMMAND =
      "mvn -B -ntp -pl e2e-tests/tests -am -Pfaults verify -Dtest=FaultSuiteTest"
          + " -Dsurefire.failIfNoSpecifiedTests=false";

  private static final boolean ALL =
      "all".equalsIgnoreCase(System.getProperty("millrace.faults", "short"));
  private static final Path REPORT =
      Path.of(System.getProperty("millrace.faults.report", "target/faults/reliability.md"));
  private static final double RATE =
      Double.parseDouble(System.getProperty("millrace.faults.rate", "40"));
  private static final Duration CHECKPOINT_INTERVAL = Duration.ofSeconds(2);
  private static final Duration TRANSACTION_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration WAIT = Duration.ofMinutes(6);

  /** One row of the table. */
  record Row(
      String name,
      int runs,
      long events,
      long lost,
      long duplicated,
      String recovery,
      String dlq,
      int failovers,
      String notes,
      boolean fault,
      boolean ok) {}

  private final List<Row> rows = new CopyOnWriteArrayList<>();
  private final Instant started = Instant.now();
  private final String machine = machine();
  private FaultCluster cluster;
  private String kafkaUp = "";

  @Test
  void faultsLoseNothingAndDuplicateNothingAndBadInputEndsInTheDeadLetters() throws Exception {
    Path dir = Path.of("target/faults/cluster").toAbsolutePath();
    try (FaultCluster c = new FaultCluster(dir)) {
      cluster = c;
      long t0 = System.nanoTime();
      c.startKafka(Duration.ofMinutes(8));
      kafkaUp = String.format(Locale.ROOT, "%.0f s", (System.nanoTime() - t0) / 1e9);
      System.out.println("3 brokers up in " + kafkaUp + " at " + c.bootstrapServers());
      scenario("job-kill", () -> jobKills(ALL ? 3 : 1));
      if (ALL) {
        scenario("bad-input", this::badInput);
        scenario("broker-hard", () -> brokerRestarts(true));
        scenario("broker-clean", () -> brokerRestarts(false));
        scenario("job-stop", this::jobStops);
        scenario("txn-timeout", this::downtimeBeyondTransactionTimeout);
      }
    }
    write();
    System.out.println(Files.readString(REPORT));
    assertThat(rows).isNotEmpty();
    assertThat(rows.stream().filter(r -> !r.ok()).map(Row::toString))
        .as("rows that lost, duplicated, missed a dead letter or failed; see " + REPORT)
        .isEmpty();
  }

  interface Body {
    void run() throws Exception;
  }

  private void scenario(String name, Body body) throws IOException {
    System.out.println("=== " + name + " ===");
    try {
      body.run();
    } catch (Throwable e) {
      e.printStackTrace(System.out);
      rows.add(new Row(name, 0, 0, 0, 0, "-", "-", 0, "did not complete: " + e, true, false));
    }
    write();
  }

  /** The pipeline's flags in every scenario. */
  private List<String> pipelineArgs(String ns, String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "--namespace",
                ns,
                "--checkpoint-dir",
                cluster.dir().resolve("checkpoints").toString(),
                "--checkpoint-interval",
                CHECKPOINT_INTERVAL.toMillis() + "ms",
                "--flink-metrics-port",
                "0",
                "--status-every",
                "2s",
                "--label-delay",
                "1d",
                "--parallelism",
                "1"));
    a.addAll(List.of(more));
    return a;
  }

  /**
   * One scenario's stream: its topics, the checker, the publisher (running until {@link #finish}),
   * the pipeline runs.
   */
  private final class Stream implements AutoCloseable {
    final String ns;
    final TopicRegistry topics;
    final OutputChecker checker;
    final Set<String> sent = ConcurrentHashMap.newKeySet();
    final List<Proc> pipelines = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    final Map<String, String> poisonReason = new ConcurrentHashMap<>(); // "p/o" -> expected
    final Map<String, String> poisonKind = new ConcurrentHashMap<>(); // "p/o" -> kind name
    private final ExecutorService executor = Executors.newSingleThreadExecutor();
    private final FraudPublisher publisher;
    private final Future<FraudPublisher.Counts> publishing;
    private volatile boolean stop;
    private final List<String> args;

    Stream(String ns, double poison, String... pipelineFlags) throws Exception {
      this.ns = ns;
      this.topics = cluster.createTopics(ns);
      this.args = pipelineArgs(ns, pipelineFlags);
      this.checker = new OutputChecker(cluster.bootstrapServers(), topics);
      FraudPublisher.Settings settings =
          FraudPublisher.Settings.defaults(cluster.bootstrapServers())
              .withLabelDelay(Duration.ofDays(1))
              .withPacing(Pacing.rate(RATE));
      if (poison > 0) {
        settings = settings.withPoison(poison, 11);
      }
      this.publisher = new FraudPublisher(topics, settings);
      Iterator<LabeledTransaction> generated =
          new FraudGenerator(
                  new FraudGenerator.Settings(
                      7, 300, 600, Instant.parse("2018-04-01T00:00:00Z"), null))
              .take(Long.MAX_VALUE);
      Iterator<LabeledTransaction> recorded =
          new Iterator<>() {
            @Override
            public boolean hasNext() {
              return !stop && generated.hasNext();
            }

            @Override
            public LabeledTransaction next() {
              LabeledTransaction t = generated.next();
              sent.add(Long.toString(t.tx().getTransactionId()));
              return t;
            }
          };
      FraudPublisher.Listener listener =
          new FraudPublisher.Listener() {
            @Override
            public void onPoisonAcked(PoisonRecords.PoisonRecord p, int partition, long offset) {
              poisonReason.put(partition + "/" + offset, p.expectedReasonCode());
              poisonKind.put(partition + "/" + offset, p.name());
            }
          };
      this.publishing = executor.submit(() -> publisher.publish(recorded, listener));
    }

    Proc startPipeline() throws IOException {
      Proc p = cluster.startPipeline("pipeline-" + ns + "-" + pipelines.size(), args);
      pipelines.add(p);
      return p;
    }

    Proc current() {
      return pipelines.get(pipelines.size() - 1);
    }

    /** Waits until a score computed after {@code t} is visible; the seconds it took. */
    double awaitScoredAfter(Instant t) throws Exception {
      boolean ok =
          checker.await(
              () -> {
                if (!FaultCluster.alive(current())) {
                  throw new IllegalStateException(
                      current().name() + " exited:\n" + FaultCluster.tail(current()));
                }
                return checker.firstVisibleScoredAfter(t) != null;
              },
              WAIT);
      if (!ok) {
        throw new IllegalStateException(
            "no score computed after " + t + " became visible within " + WAIT);
      }
      return Duration.between(t, checker.firstVisibleScoredAfter(t)).toMillis() / 1000.0;
    }

    /** What the last pipeline run says it resumed from. */
    String resumedFrom(Proc p) throws InterruptedException {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() < deadline) {
        String log = FaultCluster.log(p);
        java.util.regex.Matcher m =
            java.util.regex.Pattern.compile("Resuming from checkpoint (\\d+)").matcher(log);
        if (m.find()) {
          return "chk " + m.group(1);
        }
        if (log.contains("No retained checkpoint") || log.contains("Starting fresh")) {
          return "no checkpoint";
        }
        Thread.sleep(200);
      }
      return "?";
    }

    /** Stops the publisher, waits for every transaction's score, stops the pipeline. */
    Result finish() throws Exception {
      Thread.sleep(5_000); // a tail of traffic after the last fault
      stop = true;
      FraudPublisher.Counts counts = publishing.get(5, TimeUnit.MINUTES);
      assertThat(counts.events()).as("transactions acknowledged").isEqualTo(sent.size());
      checker.await(
          () ->
              checker.perId().keySet().containsAll(sent)
                  && checker.letters().size() >= counts.poison(),
          WAIT);
      // A few more checkpoints: a late duplicate would show up now.
      Thread.sleep(4 * CHECKPOINT_INTERVAL.toMillis() + 2_000);
      int failovers = 0;
      for (Proc p : pipelines) {
        failovers += FaultCluster.failovers(p);
      }
      FaultCluster.stop(current(), false, Duration.ofSeconds(90));
      Map<String, Integer> perId = Map.copyOf(checker.perId());
      long lost = sent.stream().filter(id -> !perId.containsKey(id)).count();
      long duplicated =
          perId.entrySet().stream()
              .filter(e -> sent.contains(e.getKey()))
              .mapToLong(e -> e.getValue() - 1)
              .sum();
      long unexpected = perId.keySet().stream().filter(id -> !sent.contains(id)).count();
      return new Result(sent.size(), counts.poison(), lost, duplicated, unexpected, failovers);
    }

    @Override
    public void close() throws Exception {
      stop = true;
      publisher.stop();
      executor.shutdownNow();
      publisher.close();
      checker.close();
      for (Proc p : pipelines) {
        FaultCluster.stop(p, true, Duration.ofSeconds(30));
      }
    }
  }

  record Result(
      long events, long poison, long lost, long duplicated, long unexpected, int failovers) {}

  private static String seconds(List<Double> s) {
    if (s.isEmpty()) {
      return "-";
    }
    double max = s.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    return String.format(Locale.ROOT, "%.1f", max)
        + (s.size() > 1
            ? " ("
                + s.stream()
                    .map(x -> String.format(Locale.ROOT, "%.1f", x))
                    .collect(Collectors.joining(", "))
                + ")"
            : "");
  }

  private void faultRow(String name, int runs, Stream s, Result r, List<Double> rec, String note) {
    long dlq = s.checker.letters().size();
    String dlqText =
        dlq == r.poison() ? String.valueOf(dlq) : dlq + " (expected " + r.poison() + ")";
    String notes = String.join("; ", s.notes) + (note.isEmpty() ? "" : "; " + note);
    if (r.unexpected() > 0) {
      notes += "; " + r.unexpected() + " scores of transactions never sent";
    }
    boolean ok = r.lost() == 0 && r.duplicated() == 0 && r.unexpected() == 0 && dlq == r.poison();
    rows.add(
        new Row(
            name,
            runs,
            r.events(),
            r.lost(),
            r.duplicated(),
            seconds(rec),
            dlqText,
            r.failovers(),
            notes,
            true,
            ok));
    System.out.println(rows.get(rows.size() - 1));
  }

  /** The job's JVM killed with SIGKILL mid-stream and started again, {@code kills} times. */
  private void jobKills(int kills) throws Exception {
    try (Stream s = new Stream("jobkill", 0)) {
      Instant start = Instant.now();
      s.startPipeline();
      s.awaitScoredAfter(start);
      List<Double> recovery = new ArrayList<>();
      List<String> resumed = new ArrayList<>();
      for (int k = 1; k <= kills; k++) {
        Thread.sleep(3_000 + 1_500L * k); // lands at different points of the checkpoint cycle
        Instant fault = Instant.now();
        FaultCluster.stop(s.current(), true, Duration.ofSeconds(30));
        Proc next = s.startPipeline();
        recovery.add(s.awaitScoredAfter(fault));
        resumed.add(s.resumedFrom(next));
      }
      s.notes.add("resumed from " + String.join(", ", resumed));
      Result r = s.finish();
      faultRow(
          "`millrace pipeline` JVM killed (SIGKILL) and started again", kills, s, r, recovery, "");
    }
  }

  /** The job stopped with SIGTERM (Ctrl-C: cancel, checkpoint retained) and started again. */
  private void jobStops() throws Exception {
    try (Stream s = new Stream("jobstop", 0)) {
      Instant start = Instant.now();
      s.startPipeline();
      s.awaitScoredAfter(start);
      List<Double> recovery = new ArrayList<>();
      List<String> resumed = new ArrayList<>();
      for (int k = 1; k <= 2; k++) {
        Thread.sleep(4_000L * k);
        Instant fault = Instant.now();
        FaultCluster.stop(s.current(), false, Duration.ofSeconds(90));
        Proc next = s.startPipeline();
        recovery.add(s.awaitScoredAfter(fault));
        resumed.add(s.resumedFrom(next));
      }
      s.notes.add("resumed from " + String.join(", ", resumed));
      Result r = s.finish();
      faultRow(
          "`millrace pipeline` stopped (SIGTERM) and started again (local: no savepoint; resumes"
              + " from its retained checkpoint)",
          2,
          s,
          r,
          recovery,
          "");
    }
  }

  /**
   * The job killed and kept down for longer than its transaction timeout ({@code
   * --transaction-timeout 20s}): the broker aborts its open transactions before it comes back.
   */
  private void downtimeBeyondTransactionTimeout() throws Exception {
    Duration down = TRANSACTION_TIMEOUT.plusSeconds(20);
    try (Stream s =
        new Stream(
            "txntimeout", 0, "--transaction-timeout", TRANSACTION_TIMEOUT.toSeconds() + "s")) {
      Instant start = Instant.now();
      s.startPipeline();
      s.awaitScoredAfter(start);
      List<Double> recovery = new ArrayList<>();
      List<String> resumed = new ArrayList<>();
      for (int k = 1; k <= 2; k++) {
        Thread.sleep(3_000L * k);
        Instant fault = Instant.now();
        FaultCluster.stop(s.current(), true, Duration.ofSeconds(30));
        Thread.sleep(down.toMillis());
        Proc next = s.startPipeline();
        recovery.add(s.awaitScoredAfter(fault));
        resumed.add(s.resumedFrom(next));
      }
      s.notes.add("resumed from " + String.join(", ", resumed));
      Result r = s.finish();
      faultRow(
          "`millrace pipeline` killed (SIGKILL) and down "
              + down.toSeconds()
              + " s, longer than its transaction timeout (`--transaction-timeout "
              + TRANSACTION_TIMEOUT.toSeconds()
              + "s`)",
          2,
          s,
          r,
          recovery,
          "recovery includes the " + down.toSeconds() + " s of downtime");
    }
  }

  /** Each broker in turn stopped (SIGKILL or SIGTERM) and started again on its data. */
  private void brokerRestarts(boolean hard) throws Exception {
    try (Stream s = new Stream(hard ? "brokerkill" : "brokerstop", 0)) {
      Instant start = Instant.now();
      s.startPipeline();
      s.awaitScoredAfter(start);
      List<Double> recovery = new ArrayList<>();
      List<String> restartedAfter = new ArrayList<>();
      for (int node = 1; node <= 3; node++) {
        Thread.sleep(3_000);
        Instant fault = Instant.now();
        cluster.stopBroker(node, hard, Duration.ofSeconds(120));
        Thread.sleep(3_000);
        restartedAfter.add(
            String.format(
                Locale.ROOT, "%.0f", Duration.between(fault, Instant.now()).toMillis() / 1000.0));
        cluster.startBroker(node);
        cluster.awaitBrokers(3, Duration.ofMinutes(5));
        recovery.add(s.awaitScoredAfter(fault));
        cluster.awaitFullIsr(Duration.ofMinutes(5));
      }
      s.notes.add(
          "brokers 1, 2, 3 in turn, each started again "
              + String.join(", ", restartedAfter)
              + " s after the signal"
              + (hard ? "" : " (after its controlled shutdown)")
              + ", the next one once every replica was back in sync");
      Result r = s.finish();
      faultRow(
          hard
              ? "each broker killed (SIGKILL) and started again, in turn"
              : "each broker stopped (SIGTERM, controlled shutdown) and started again, in turn",
          3,
          s,
          r,
          recovery,
          "");
    }
  }

  /**
   * Poison mixed into the transactions (5 %, every kind of {@link PoisonRecords#forEvents}): each
   * one must be in the dead letters, found by its source partition and offset, with its reason, and
   * the job must not restart.
   */
  private void badInput() throws Exception {
    try (Stream s = new Stream("badinput", 0.05)) {
      Instant start = Instant.now();
      s.startPipeline();
      s.awaitScoredAfter(start);
      Thread.sleep(30_000);
      Result r = s.finish();
      faultRow("valid transactions with 5 % poison mixed in", 1, s, r, List.of(), "");
      Map<String, List<OutputChecker.Letter>> byOrigin =
          s.checker.letters().stream()
              .collect(Collectors.groupingBy(l -> l.partition() + "/" + l.offset()));
      Map<String, long[]> perKind = new TreeMap<>(); // sent, in DLQ, with reason, twice
      Map<String, Set<String>> reasons = new LinkedHashMap<>();
      for (Map.Entry<String, String> e : s.poisonKind.entrySet()) {
        String kind = e.getValue() + " → " + s.poisonReason.get(e.getKey());
        long[] c = perKind.computeIfAbsent(kind, k -> new long[4]);
        c[0]++;
        List<OutputChecker.Letter> found = byOrigin.getOrDefault(e.getKey(), List.of());
        if (!found.isEmpty()) {
          c[1]++;
          if (found.get(0).reasonCode().equals(s.poisonReason.get(e.getKey()))) {
            c[2]++;
          }
          c[3] += found.size() - 1;
          reasons
              .computeIfAbsent(kind, k -> new java.util.TreeSet<>())
              .add(found.get(0).reasonCode());
        }
      }
      for (Map.Entry<String, long[]> e : perKind.entrySet()) {
        long[] c = e.getValue();
        boolean ok = c[0] == c[2] && c[3] == 0 && r.failovers() == 0;
        rows.add(
            new Row(
                "bad input: " + e.getKey(),
                1,
                c[0],
                c[0] - c[1],
                c[3],
                "-",
                c[2]
                    + " with its reason"
                    + (c[1] > c[2] ? ", others: " + reasons.get(e.getKey()) : ""),
                r.failovers(),
                "",
                false,
                ok));
      }
    }
  }

  private void write() throws IOException {
    StringBuilder b = new StringBuilder();
    b.append("# Reliability under faults and bad input\n\n");
    b.append(
        "Produced by `FaultSuiteTest` (`e2e-tests/tests/.../faults/`) with\n\n```\n"
            + COMMAND
            + "\n```\n\n");
    b.append("- Date: ")
        .append(DateTimeFormatter.ISO_INSTANT.format(started.atOffset(ZoneOffset.UTC).toInstant()))
        .append(ALL ? "" : " (short form: the CI subset)")
        .append(
            String.format(
                Locale.ROOT,
                "; the suite ran %.0f min",
                Duration.between(started, Instant.now()).toSeconds() / 60.0))
        .append('\n');
    b.append("- Machine: ").append(machine).append('\n');
    if (cluster != null) {
      b.append(
              "- Processes: 3 KRaft brokers (`millrace broker --node-id N --quorum ...`, replication 3, min.insync.replicas 2, transaction.version 1; up in ")
          .append(kafkaUp)
          .append(") and `millrace pipeline --task fraud` (RocksDB, checkpoints every ")
          .append(CHECKPOINT_INTERVAL.toSeconds())
          .append(" s, parallelism 1), each a JVM of its own, from ")
          .append(cluster.classPathSource())
          .append('\n');
    }
    b.append(
            "- Input: generated transactions (`FraudGenerator`, 300 customers) published by `FraudPublisher` at ")
        .append((long) RATE)
        .append("/s throughout each scenario, so that every fault lands mid-stream\n\n");
    b.append(
        "| fault or bad input | runs | events | lost | duplicated | recovery s (max; each) | dead letters | job failovers | notes |\n");
    b.append("|---|---:|---:|---:|---:|---|---|---:|---|\n");
    for (Row r : rows) {
      b.append("| ")
          .append(r.ok() ? "" : "**FAILED** ")
          .append(r.name())
          .append(" | ")
          .append(r.runs())
          .append(" | ")
          .append(String.format(Locale.ROOT, "%,d", r.events()))
          .append(" | ")
          .append(r.lost())
          .append(" | ")
          .append(r.duplicated())
          .append(" | ")
          .append(r.recovery())
          .append(" | ")
          .append(r.dlq())
          .append(" | ")
          .append(r.failovers())
          .append(" | ")
          .append(r.notes().replace("|", "\\|").replace("\n", " "))
          .append(" |\n");
    }
    b.append('\n').append(LEGEND);
    Files.createDirectories(REPORT.toAbsolutePath().getParent());
    Files.writeString(REPORT, b.toString(), StandardCharsets.UTF_8);
  }

  static final String LEGEND =
      """
      How to read it:

      - **events**: transactions the publisher sent and Kafka acknowledged (acks=all) in the
        scenario; for a bad-input row, the poison records of that kind.
      - **lost**: transactions without a score on the scores topic, read with
        `isolation.level=read_committed` by a consumer of the test (not the job's classes) that
        runs through the whole scenario; for a bad-input row, poison records with no dead letter
        (matched by the source partition and offset the dead letter carries).
      - **duplicated**: scores beyond the first for the same transaction id (dead letters beyond
        the first for a poison record).
      - **recovery s**: from the fault (the signal sent) to the moment the checker first sees a
        committed score that was computed after the fault: for a job restart this includes the new
        JVM's start, the restore from the checkpoint and the next checkpoint that commits.
      - **dead letters**: for fault rows the dead letters seen (none expected: no poison is sent);
        for bad-input rows those with the reason code `PoisonRecords` expects.
      - **job failovers**: Flink restarts inside the pipeline JVMs (the `restarts N` of its status
        lines), summed over the runs; a restart of the JVM itself is the fault, not a failover.

      A row is marked **FAILED** when it lost or duplicated anything, saw an unexpected dead
      letter, a poison record missed its dead letter or its reason, the job failed over on bad
      input, or the scenario did not complete. The CI build runs the first row once
      (`FaultSuiteTest` without the profile: one SIGKILL).

      What these runs do and do not show:

      - Recovery after a restart of the job is mostly the new JVM's start (a local MiniCluster,
        RocksDB, DJL) on a shared two-core machine under load; a broker restart costs the job
        seconds and no failover, as the producers and consumers move to the new leaders.
      - The transaction-timeout row kills the job at a random moment. Output is lost only if the
        kill falls between a checkpoint's completion and the commit of its transactions (a few
        milliseconds per checkpoint) and the job stays down past the timeout; no run here hit that
        window, so the README's remaining limit still stands (it is not forced here).
      - Sabotage check: with the local pipeline's sinks switched to at-least-once, the short form
        failed with 151 duplicated scores after one SIGKILL (0 lost).
      - Not covered here: a corrupt model artifact (`TamperedModelTest`, in one JVM), an unwritable
        checkpoint folder, full disks, network partitions, and the Flink session cluster's
        stop-with-savepoint and lost TaskManager (`ClusterIT`).
      """;

  private static String machine() {
    String cpu = "?";
    String mem = "?";
    try {
      cpu =
          Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
              .filter(l -> l.startsWith("model name"))
              .findFirst()
              .map(l -> l.substring(l.indexOf(':') + 1).trim())
              .orElse("?");
      mem =
          Files.readAllLines(Path.of("/proc/meminfo")).stream()
              .filter(l -> l.startsWith("MemTotal"))
              .findFirst()
              .map(l -> Long.parseLong(l.replaceAll("\\D", "")) / 1024 / 1024 + " GiB")
              .orElse("?");
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    double load =
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    return String.format(
        Locale.ROOT,
        "%d cores (%s), %s RAM, %s %s, Java %s; load average %.0f at the start (shared machine)",
        Runtime.getRuntime().availableProcessors(),
        cpu,
        mem,
        System.getProperty("os.name"),
        System.getProperty("os.arch"),
        System.getProperty("java.version"),
        load);
  }
}
