package dev.millrace.e2e.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.e2e.TestModels;
import dev.millrace.ingest.Pacing;
import dev.millrace.ingest.fraud.FraudGenerator;
import dev.millrace.ingest.fraud.FraudPublisher;
import dev.millrace.ingest.fraud.LabeledTransaction;
import dev.millrace.ingest.fraud.PoisonRecords;
import dev.millrace.ops.cluster.LocalCluster.Proc;
import dev.millrace.schemas.DeadLetterLimits;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.scorer.model.ModelBundle;
import dev.millrace.scorer.model.ModelStore;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * <p>Besides the job and the brokers it kills {@code millrace trainer} mid-run, kills the job
 * during a model hot swap, announces a partial and a corrupt model artifact (real DJL bundles,
 * {@link TestModels}), makes the job's checkpoint folder unwritable, resumes the job at another
 * parallelism, and runs the job on a Flink session cluster (JobManager and TaskManager as child
 * JVMs) to stop it with a savepoint and resume it from that savepoint with an operator added to its
 * job graph; the checker also records which model made each score. It sends poison to {@code
 * fraud.labels} ({@link PoisonRecords#forLabels}, matched by source topic, partition and offset),
 * and two kinds of input that are not poison: the same transaction record twice (scored twice, the
 * job's rule) and a hot key (one customer as much traffic as the 300 others). With {@code millrace
 * validator} (Kafka Streams, exactly-once) as a JVM of its own beside the job, it sends JSON
 * transactions and poison ({@link PoisonRecords#forRaw}) to {@code fraud.raw} and kills the
 * validator once mid-stream ({@code raw-poison}), and records that decompress past 1 MB (3 MiB
 * values in zstd batches) to {@code fraud.events} and {@code fraud.raw} ({@code oversized}): each
 * dead letter carries at most {@link DeadLetterLimits#MAX_ORIGINAL_BYTES} of the value and its real
 * size, and nothing written exceeds a producer request.
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

  /**
   * {@code -Dmillrace.faults.only=name,name}: run only these scenarios (names as in {@link
   * #faultsLoseNothingAndDuplicateNothingAndBadInputEndsInTheDeadLetters}); their table goes to
   * {@code target/faults/reliability-selected.md}, never over the full one.
   */
  private static final Set<String> ONLY =
      java.util.Arrays.stream(System.getProperty("millrace.faults.only", "").split(","))
          .map(String::trim)
          .filter(x -> !x.isEmpty())
          .collect(Collectors.toCollection(java.util.LinkedHashSet::new));

  private static final Path REPORT =
      ONLY.isEmpty()
          ? Path.of(System.getProperty("millrace.faults.report", "target/faults/reliability.md"))
          : Path.of("target/faults/reliability-selected.md");
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
      scenario("bad-input", this::badInput);
      scenario("broker-hard", () -> brokerRestarts(true));
      scenario("broker-clean", () -> brokerRestarts(false));
      scenario("job-stop", this::jobStops);
      scenario("txn-timeout", this::downtimeBeyondTransactionTimeout);
      scenario("rescale", this::stopAndResumeRescaled);
      scenario("savepoint-change", this::savepointThenResumeChanged);
      scenario("checkpoint-unwritable", this::unwritableCheckpointFolder);
      scenario("bad-model", this::badModelArtifacts);
      scenario("hot-swap-kill", this::jobKilledDuringHotSwap);
      scenario("trainer-kill", this::trainerKilledDuringARun);
      scenario("bad-labels", this::badLabels);
      scenario("raw-poison", this::rawPoison);
      scenario("oversized", this::oversized);
      scenario("duplicates-hot-key", this::duplicatesAndAHotKey);
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

  /** Whether scenario {@code name} runs: the CI build runs job-kill only. */
  private static boolean selected(String name) {
    if (!ONLY.isEmpty()) {
      return ONLY.contains(name);
    }
    return ALL || name.equals("job-kill");
  }

  private void scenario(String name, Body body) throws IOException {
    if (!selected(name)) {
      return;
    }
    System.out.println("=== " + name + " ===");
    try {
      body.run();
    } catch (Throwable e) {
      e.printStackTrace(System.out);
      rows.add(
          new Row(
              name,
              0,
              0,
              0,
              0,
              "-",
              "-",
              0,
              "did not complete: " + String.valueOf(e).lines().findFirst().orElse(""),
              true,
              false));
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

    /** Every 40th generated transaction, for scenarios that send it again (else never read). */
    final java.util.Queue<dev.millrace.schemas.fraud.FraudTransaction> everyFortieth =
        new java.util.concurrent.ConcurrentLinkedQueue<>();

    /** The latest generated transaction. */
    volatile dev.millrace.schemas.fraud.FraudTransaction latest;

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
              latest = t.tx();
              if (sent.size() % 40 == 0) {
                everyFortieth.add(t.tx());
              }
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
      return startPipeline(Map.of());
    }

    /** Starts a pipeline run with some flags' values changed (e.g. another parallelism). */
    Proc startPipeline(Map<String, String> changed) throws IOException {
      List<String> a = new ArrayList<>(args);
      for (Map.Entry<String, String> e : changed.entrySet()) {
        int i = a.indexOf(e.getKey());
        if (i < 0) {
          a.addAll(List.of(e.getKey(), e.getValue()));
        } else {
          a.set(i + 1, e.getValue());
        }
      }
      Proc p = cluster.startPipeline("pipeline-" + ns + "-" + pipelines.size(), a);
      pipelines.add(p);
      return p;
    }

    /** Announces a model on this stream's {@code millrace.models} and waits for the ack. */
    void announce(dev.millrace.schemas.ModelAnnouncement a) {
      try (dev.millrace.trainer.ModelAnnouncements announcements =
          new dev.millrace.trainer.ModelAnnouncements(cluster.bootstrapServers(), topics)) {
        announcements.announce(a, Duration.ofSeconds(60));
      }
    }

    /** Waits until a score made by model {@code version} is visible; throws after the wait. */
    OutputChecker.Seen awaitScoredBy(String version) throws Exception {
      boolean ok =
          checker.await(
              () -> {
                requireRunning();
                return checker.firstScoredBy(version) != null;
              },
              WAIT);
      if (!ok) {
        throw new IllegalStateException(
            "no score by model " + version + " within " + WAIT + ": " + state());
      }
      return checker.firstScoredBy(version);
    }

    Proc current() {
      return pipelines.get(pipelines.size() - 1);
    }

    /**
     * Throws at once when the pipeline exited or the publisher stopped with an error: a wait for
     * scores would otherwise run its whole length and say only that none came.
     */
    void requireRunning() {
      if (!FaultCluster.alive(current())) {
        throw new IllegalStateException(
            current().name() + " exited:\n" + FaultCluster.tail(current()));
      }
      if (publishing.isDone()) {
        try {
          publishing.get();
        } catch (java.util.concurrent.ExecutionException e) {
          throw new IllegalStateException("the publisher failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException | java.util.concurrent.CancellationException e) {
          // closing
        }
      }
    }

    /**
     * What the scenario's parts were doing, on one line (the table keeps a failure's first line):
     * transactions sent, scores the checker saw and how long ago the last record came, the
     * pipeline's last status line.
     */
    String state() {
      String status =
          FaultCluster.log(current())
              .lines()
              .filter(l -> l.contains("job ") || l.contains("Exception") || l.contains("ERROR"))
              .reduce((a, b) -> b)
              .orElse("no status line yet");
      return String.format(
          Locale.ROOT,
          "%d transactions sent (publisher %s), %d scores seen, last record %.0f s ago;"
              + " %s last said: %s",
          sent.size(),
          publishing.isDone() ? "stopped" : "running",
          checker.seen().size(),
          checker.quietMillis() / 1000.0,
          current().name(),
          status);
    }

    /** Waits until a score computed after {@code t} is visible; the seconds it took. */
    double awaitScoredAfter(Instant t) throws Exception {
      boolean ok =
          checker.await(
              () -> {
                requireRunning();
                return checker.firstVisibleScoredAfter(t) != null;
              },
              WAIT);
      if (!ok) {
        throw new IllegalStateException(
            "no score computed after " + t + " became visible within " + WAIT + ": " + state());
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
    faultRow(name, runs, s, r, rec, note, null);
  }

  /**
   * A fault row; {@code failed}, when not null, is a further check of the scenario that did not
   * hold (the row is then FAILED and says why).
   */
  private void faultRow(
      String name, int runs, Stream s, Result r, List<Double> rec, String note, String failed) {
    long dlq = s.checker.letters().size();
    String dlqText =
        dlq == r.poison() ? String.valueOf(dlq) : dlq + " (expected " + r.poison() + ")";
    String notes = String.join("; ", s.notes) + (note.isEmpty() ? "" : "; " + note);
    if (r.unexpected() > 0) {
      notes += "; " + r.unexpected() + " scores of transactions never sent";
    }
    if (failed != null) {
      notes += "; **" + failed + "**";
    }
    boolean ok =
        r.lost() == 0
            && r.duplicated() == 0
            && r.unexpected() == 0
            && dlq == r.poison()
            && failed == null;
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

  /** A producer of raw bytes (acks=all), for records the publisher would not send. */
  private org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> rawProducer() {
    java.util.Properties p = new java.util.Properties();
    p.put("bootstrap.servers", cluster.bootstrapServers());
    p.put("acks", "all");
    p.put("enable.idempotence", "true");
    return new org.apache.kafka.clients.producer.KafkaProducer<>(
        p,
        new org.apache.kafka.common.serialization.ByteArraySerializer(),
        new org.apache.kafka.common.serialization.ByteArraySerializer());
  }

  /**
   * Poison on {@code fraud.labels} ({@link PoisonRecords#forLabels}: random, empty and truncated
   * bytes, a transaction on the labels topic, a label known 5 years before its transaction, one 10
   * years in the future, empty ids), each kind 8 times, interleaved with the valid stream: each
   * must be in the dead letters, found by its source topic, partition and offset, with its reason,
   * the job must not fail over, and no transaction may be lost.
   */
  private void badLabels() throws Exception {
    try (Stream s = new Stream("badlabels", 0);
        org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> producer = rawProducer()) {
      Instant start = Instant.now();
      s.startPipeline();
      s.awaitScoredAfter(start);
      String topic = s.topics.fraudLabels().name();
      Map<String, PoisonRecords.PoisonRecord> sentPoison = new LinkedHashMap<>(); // t/p/o
      for (int round = 0; round < 8; round++) {
        dev.millrace.schemas.fraud.FraudTransaction tx = s.latest;
        dev.millrace.schemas.fraud.FraudLabel template =
            new dev.millrace.schemas.fraud.FraudLabel(
                tx.getTransactionId(),
                tx.getCustomerId(),
                tx.getTerminalId(),
                tx.getEventTime(),
                tx.getEventTime().plus(Duration.ofDays(1)),
                true);
        for (PoisonRecords.PoisonRecord p : PoisonRecords.forLabels(template, Instant.now())) {
          org.apache.kafka.clients.producer.RecordMetadata m =
              producer
                  .send(
                      new org.apache.kafka.clients.producer.ProducerRecord<>(
                          topic, p.key(), p.value()))
                  .get(60, TimeUnit.SECONDS);
          sentPoison.put(topic + "/" + m.partition() + "/" + m.offset(), p);
        }
        Thread.sleep(2_000);
      }
      s.checker.await(() -> s.checker.letters().size() >= sentPoison.size(), WAIT);
      Result r = s.finish();
      faultRow(
          "valid transactions with poison on `fraud.labels` (8 of each kind below)",
          1,
          s,
          new Result(
              r.events(),
              r.poison() + sentPoison.size(),
              r.lost(),
              r.duplicated(),
              r.unexpected(),
              r.failovers()),
          List.of(),
          "");
      Map<String, List<OutputChecker.Letter>> byOrigin =
          s.checker.letters().stream()
              .collect(
                  Collectors.groupingBy(
                      l -> l.sourceTopic() + "/" + l.partition() + "/" + l.offset()));
      Map<String, long[]> perKind = new LinkedHashMap<>(); // sent, in DLQ, with reason, extra
      Map<String, Set<String>> reasons = new LinkedHashMap<>();
      for (Map.Entry<String, PoisonRecords.PoisonRecord> e : sentPoison.entrySet()) {
        PoisonRecords.PoisonRecord p = e.getValue();
        String kind = p.name() + " → " + p.expectedReasonCode();
        long[] c = perKind.computeIfAbsent(kind, k -> new long[4]);
        c[0]++;
        List<OutputChecker.Letter> found = byOrigin.getOrDefault(e.getKey(), List.of());
        if (!found.isEmpty()) {
          c[1]++;
          if (found.get(0).reasonCode().equals(p.expectedReasonCode())) {
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
                "bad input on `fraud.labels`: " + e.getKey().substring("label: ".length()),
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

  /**
   * {@code millrace validator --task fraud} for stream {@code ns}: its own application id and
   * state.
   */
  private Proc startValidator(String ns, int run) throws IOException {
    return cluster.startValidator(
        "validator-" + ns + "-" + run,
        List.of(
            "--namespace",
            ns,
            "--application-id",
            "fault-suite-validator-" + ns,
            "--state-dir",
            cluster.dir().resolve("validator-state").resolve(ns).toString()));
  }

  /** The validator's stream-thread failures (each one replaced by a new thread), from its log. */
  private static int validatorFailures(Proc p) {
    return (int)
        FaultCluster.log(p)
            .lines()
            .filter(l -> l.contains("stream thread failed; replacing"))
            .count();
  }

  /** Sends one record and waits for the broker's ack. */
  private static org.apache.kafka.clients.producer.RecordMetadata send(
      org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> producer,
      String topic,
      byte[] key,
      byte[] value)
      throws Exception {
    return producer
        .send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, key, value))
        .get(60, TimeUnit.SECONDS);
  }

  /**
   * A valid transaction as a JSON line on {@code fraud.raw}, id {@code id}, otherwise {@code
   * template} (the latest generated one: a customer, terminal and event time of the running
   * stream).
   */
  private static byte[] rawJson(dev.millrace.schemas.fraud.FraudTransaction template, long id) {
    return dev.millrace.ingest.fraud.FraudJson.toJson(
        dev.millrace.schemas.fraud.FraudTransaction.newBuilder(template)
            .setTransactionId(id)
            .build());
  }

  /**
   * One row per kind of {@code sent} poison (by "topic/partition/offset"): sent, found in the dead
   * letters by its source topic, partition and offset, with its reason, dead letters beyond the
   * first; {@code failed}, when not null, is what went wrong in the scenario (every row fails with
   * it); {@code check}, when not null, says what is wrong with a found dead letter (null: nothing)
   * and {@code describe} what it carried, for the notes.
   */
  private void poisonRows(
      String prefix,
      Map<String, PoisonRecords.PoisonRecord> sent,
      List<OutputChecker.Letter> letters,
      int failovers,
      String failed,
      java.util.function.BiFunction<PoisonRecords.PoisonRecord, OutputChecker.Letter, String> check,
      java.util.function.BiFunction<PoisonRecords.PoisonRecord, OutputChecker.Letter, String>
          describe) {
    Map<String, List<OutputChecker.Letter>> byOrigin =
        letters.stream()
            .collect(
                Collectors.groupingBy(
                    l -> l.sourceTopic() + "/" + l.partition() + "/" + l.offset()));
    Map<String, long[]> perKind = new LinkedHashMap<>(); // sent, in DLQ, with reason, extra
    Map<String, Set<String>> reasons = new LinkedHashMap<>();
    Map<String, Set<String>> problems = new LinkedHashMap<>();
    Map<String, Set<String>> carried = new LinkedHashMap<>();
    for (Map.Entry<String, PoisonRecords.PoisonRecord> e : sent.entrySet()) {
      PoisonRecords.PoisonRecord p = e.getValue();
      String kind = p.name() + " → " + p.expectedReasonCode();
      long[] c = perKind.computeIfAbsent(kind, k -> new long[4]);
      c[0]++;
      List<OutputChecker.Letter> found = byOrigin.getOrDefault(e.getKey(), List.of());
      if (found.isEmpty()) {
        continue;
      }
      OutputChecker.Letter first = found.get(0);
      c[1]++;
      if (first.reasonCode().equals(p.expectedReasonCode())) {
        c[2]++;
      }
      c[3] += found.size() - 1;
      reasons.computeIfAbsent(kind, k -> new java.util.TreeSet<>()).add(first.reasonCode());
      String problem = check == null ? null : check.apply(p, first);
      if (problem != null) {
        problems.computeIfAbsent(kind, k -> new java.util.TreeSet<>()).add(problem);
      }
      if (describe != null) {
        carried.computeIfAbsent(kind, k -> new java.util.TreeSet<>()).add(describe.apply(p, first));
      }
    }
    for (Map.Entry<String, long[]> e : perKind.entrySet()) {
      long[] c = e.getValue();
      Set<String> wrong = problems.getOrDefault(e.getKey(), Set.of());
      String notes = String.join("; ", carried.getOrDefault(e.getKey(), Set.of()));
      if (!wrong.isEmpty()) {
        notes += (notes.isEmpty() ? "" : "; ") + "**" + String.join("; ", wrong) + "**";
      }
      if (failed != null) {
        notes += (notes.isEmpty() ? "" : "; ") + "**" + failed + "**";
      }
      boolean ok = c[0] == c[2] && c[3] == 0 && failovers == 0 && wrong.isEmpty() && failed == null;
      rows.add(
          new Row(
              prefix + e.getKey(),
              1,
              c[0],
              c[0] - c[1],
              c[3],
              "-",
              c[2]
                  + " with its reason"
                  + (c[1] > c[2] ? ", others: " + reasons.get(e.getKey()) : ""),
              failovers,
              notes,
              false,
              ok));
    }
  }

  /**
   * Poison on {@code fraud.raw} through {@code millrace validator} (Kafka Streams, exactly-once),
   * running beside the job: valid transactions as JSON lines, each followed by one poison record
   * (every kind of {@link PoisonRecords#forRaw}, and random bytes), 8 rounds; after the fourth the
   * validator is killed with SIGKILL and started again at once. Every valid raw transaction must be
   * scored exactly once, every poison record be in the dead letters once, found by its source topic
   * ({@code fraud.raw}), partition and offset, with its reason and the validator's stage; no stream
   * thread of the validator may fail, and the job must not fail over.
   */
  private void rawPoison() throws Exception {
    List<Proc> validators = new ArrayList<>();
    try (Stream s = new Stream("rawpoison", 0);
        org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> producer = rawProducer()) {
      Instant start = Instant.now();
      s.startPipeline();
      validators.add(startValidator(s.ns, 0));
      s.awaitScoredAfter(start);
      String raw = s.topics.raw(dev.millrace.schemas.Task.FRAUD).name();
      Map<String, PoisonRecords.PoisonRecord> sentPoison = new LinkedHashMap<>(); // t/p/o
      Set<String> rawIds = new java.util.LinkedHashSet<>();
      Set<String> afterKill = new java.util.LinkedHashSet<>();
      long id = 8_000_000_000L;
      Instant kill = null;
      for (int round = 0; round < 8; round++) {
        dev.millrace.schemas.fraud.FraudTransaction template = s.latest;
        byte[] key = template.getCustomerId().getBytes(StandardCharsets.UTF_8);
        java.util.SplittableRandom random = new java.util.SplittableRandom(round);
        byte[] noise = new byte[32];
        random.nextBytes(noise);
        noise[0] = 'x'; // never the start of a JSON value
        List<PoisonRecords.PoisonRecord> poison = new ArrayList<>();
        poison.add(
            new PoisonRecords.PoisonRecord(
                "random bytes", key, noise, dev.millrace.ingest.ReasonCodes.MALFORMED_JSON));
        poison.addAll(PoisonRecords.forRaw(template, Instant.now()));
        for (PoisonRecords.PoisonRecord p : poison) {
          String txId = Long.toString(id);
          send(producer, raw, key, rawJson(s.latest, id++));
          rawIds.add(txId);
          if (kill != null) {
            afterKill.add(txId);
          }
          org.apache.kafka.clients.producer.RecordMetadata m =
              send(producer, raw, p.key(), p.value());
          sentPoison.put(raw + "/" + m.partition() + "/" + m.offset(), p);
          Thread.sleep(100);
        }
        if (round == 3) {
          // The validator has been working: at least one raw transaction is scored.
          boolean working =
              s.checker.await(() -> rawIds.stream().anyMatch(s.checker.perId()::containsKey), WAIT);
          if (!working) {
            throw new IllegalStateException(
                "no raw transaction scored within "
                    + WAIT
                    + ": "
                    + FaultCluster.tail(validators.get(0)));
          }
          kill = Instant.now();
          FaultCluster.stop(validators.get(0), true, Duration.ofSeconds(30));
          validators.add(startValidator(s.ns, 1));
        }
      }
      boolean complete =
          s.checker.await(
              () -> {
                s.requireRunning();
                if (validators.stream().anyMatch(v -> validatorFailures(v) > 0)) {
                  return true; // failed already: no need to wait for the rest
                }
                return s.checker.letters().size() >= sentPoison.size()
                    && s.checker.perId().keySet().containsAll(rawIds);
              },
              WAIT);
      Proc validator = validators.get(validators.size() - 1);
      boolean alive = FaultCluster.alive(validator);
      Result r = s.finish();
      int failures = validators.stream().mapToInt(FaultSuiteTest::validatorFailures).sum();
      Map<String, Integer> perId = Map.copyOf(s.checker.perId());
      long rawLost = rawIds.stream().filter(x -> !perId.containsKey(x)).count();
      long rawExtra =
          rawIds.stream().mapToLong(x -> Math.max(0, perId.getOrDefault(x, 0) - 1)).sum();
      long unexpected = r.unexpected() - (rawIds.size() - rawLost);
      java.util.OptionalLong back =
          s.checker.seen().stream()
              .filter(x -> afterKill.contains(x.eventId()))
              .mapToLong(OutputChecker.Seen::visibleAtMillis)
              .min();
      double recovery =
          back.isPresent() ? (back.getAsLong() - kill.toEpochMilli()) / 1000.0 : Double.NaN;
      long dlq = s.checker.letters().size();
      long notRaw =
          s.checker.letters().stream()
              .filter(l -> !l.sourceTopic().equals(raw) || !"validator".equals(l.stage()))
              .count();
      List<String> failed = new ArrayList<>();
      if (!complete) {
        failed.add(
            "not every raw transaction scored or poison record dead-lettered within " + WAIT);
      }
      if (!alive) {
        failed.add("the restarted validator exited");
      }
      if (failures > 0) {
        failed.add(failures + " validator stream-thread failures");
      }
      if (notRaw > 0) {
        failed.add(notRaw + " dead letters not from fraud.raw by the validator");
      }
      String notes =
          String.format(
              Locale.ROOT,
              "%,d JSON transactions on `fraud.raw`, each followed by a poison record; beside"
                  + " them %,d Avro transactions published on `fraud.events`: %d lost, %d"
                  + " duplicated; validator killed after round 4 of 8 and started again at once"
                  + " (same application id and state folder); recovery s: the kill to the first"
                  + " visible score of a raw transaction sent after it (new JVM, the group's"
                  + " rebalance once the killed member is gone: about the 45 s default"
                  + " session.timeout.ms, by the figure, not a log line);"
                  + " validator stream-thread failures: %d%s",
              rawIds.size(),
              r.events(),
              r.lost(),
              r.duplicated(),
              failures,
              failed.isEmpty() ? "" : "; **" + String.join("; ", failed) + "**");
      if (unexpected != 0) {
        notes += "; **" + unexpected + " scores of transactions never sent**";
      }
      rows.add(
          new Row(
              "valid JSON transactions on `fraud.raw` through `millrace validator` (exactly-once)"
                  + " with poison mixed in (8 of each kind below), the validator killed (SIGKILL)"
                  + " once mid-stream and started again",
              1,
              rawIds.size(),
              rawLost,
              rawExtra,
              Double.isNaN(recovery) ? "-" : String.format(Locale.ROOT, "%.1f", recovery),
              dlq == sentPoison.size()
                  ? String.valueOf(dlq)
                  : dlq + " (expected " + sentPoison.size() + ")",
              r.failovers(),
              notes,
              true,
              rawLost == 0
                  && rawExtra == 0
                  && r.lost() == 0
                  && r.duplicated() == 0
                  && unexpected == 0
                  && dlq == sentPoison.size()
                  && r.failovers() == 0
                  && failed.isEmpty()));
      System.out.println(rows.get(rows.size() - 1));
      poisonRows(
          "bad input on `fraud.raw` (the validator): ",
          sentPoison,
          s.checker.letters(),
          r.failovers(),
          failures == 0 ? null : failures + " validator stream-thread failures",
          (p, l) -> "validator".equals(l.stage()) ? null : "stage " + l.stage(),
          null);
    } finally {
      for (Proc v : validators) {
        FaultCluster.stop(v, false, Duration.ofSeconds(60));
      }
    }
  }

  /** A producer that compresses its batches (zstd) and sends records of up to 8 MiB. */
  private org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> compressingProducer() {
    java.util.Properties p = new java.util.Properties();
    p.put("bootstrap.servers", cluster.bootstrapServers());
    p.put("acks", "all");
    p.put("enable.idempotence", "true");
    p.put("compression.type", "zstd");
    p.put("max.request.size", String.valueOf(8 << 20));
    p.put("buffer.memory", String.valueOf(64 << 20));
    return new org.apache.kafka.clients.producer.KafkaProducer<>(
        p,
        new org.apache.kafka.common.serialization.ByteArraySerializer(),
        new org.apache.kafka.common.serialization.ByteArraySerializer());
  }

  /** Size of the oversized values: 3 MiB, three times what a request or a record may be. */
  static final int OVERSIZED_BYTES = 3 << 20;

  /** What a producer request may hold: {@code max.request.size}'s default, 1 MiB. */
  static final int MAX_REQUEST_BYTES = 1 << 20;

  /**
   * {@link #OVERSIZED_BYTES} of garbage that compresses well: a 4 KiB block of random bytes
   * repeated ({@code first} as its first byte, so that it is neither Avro nor JSON).
   */
  static byte[] compressibleGarbage(byte first) {
    byte[] block = new byte[4096];
    new java.util.SplittableRandom(42).nextBytes(block);
    block[0] = first;
    byte[] out = new byte[OVERSIZED_BYTES];
    for (int i = 0; i < out.length; i += block.length) {
      System.arraycopy(block, 0, out, i, Math.min(block.length, out.length - i));
    }
    return out;
  }

  /**
   * Records that decompress past 1 MB: 3 MiB values in zstd batches the broker takes (a compressed
   * batch under its 1 MB {@code max.message.bytes}), 3 rounds of each kind, on {@code fraud.events}
   * (the job: garbage bytes; the single-object Avro header of the current schema then 0xFF bytes; a
   * well-formed transaction whose customer id has 3 million characters) and on {@code fraud.raw}
   * (the validator: garbage bytes; a valid JSON transaction then 3 MiB of trailing bytes; a JSON
   * transaction whose customer id has 3 million characters), between valid JSON transactions on
   * {@code fraud.raw} and the running Avro stream. Each must be in the dead letters once with its
   * reason, carrying exactly {@link DeadLetterLimits#MAX_ORIGINAL_BYTES} of the value and its real
   * size in {@code originalValueSize}; no record on the scores, dead-letter or training topics may
   * exceed {@link #MAX_REQUEST_BYTES}; nothing valid lost or duplicated; no failover of the job, no
   * stream-thread failure of the validator.
   */
  private void oversized() throws Exception {
    List<Proc> validators = new ArrayList<>();
    AvroSerdeHolder serde = new AvroSerdeHolder();
    try (Stream s = new Stream("oversized", 0);
        org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> producer = rawProducer();
        org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> big =
            compressingProducer()) {
      Instant start = Instant.now();
      s.startPipeline();
      validators.add(startValidator(s.ns, 0));
      s.awaitScoredAfter(start);
      String events = s.topics.fraudEvents().name();
      String raw = s.topics.raw(dev.millrace.schemas.Task.FRAUD).name();
      Map<String, PoisonRecords.PoisonRecord> sentPoison = new LinkedHashMap<>(); // t/p/o
      List<Integer> compressed = new ArrayList<>(); // zstd bytes of each
      Set<String> rawIds = new java.util.LinkedHashSet<>();
      long id = 8_500_000_000L;
      String jobPrefix = "on `fraud.events` (the job): ";
      String rawPrefix = "on `fraud.raw` (the validator): ";
      for (int round = 0; round < 3; round++) {
        dev.millrace.schemas.fraud.FraudTransaction template = s.latest;
        byte[] key = template.getCustomerId().getBytes(StandardCharsets.UTF_8);
        String hugeId = "c".repeat(3_000_000);
        byte[] good = serde.encode(template);
        byte[] headerThenFf = java.util.Arrays.copyOf(good, OVERSIZED_BYTES);
        java.util.Arrays.fill(headerThenFf, 10, headerThenFf.length, (byte) 0xFF);
        byte[] json = rawJson(template, id++);
        byte[] jsonThenTail = java.util.Arrays.copyOf(json, OVERSIZED_BYTES);
        int jsonLength = json.length;
        java.util.Arrays.fill(jsonThenTail, jsonLength, jsonThenTail.length, (byte) 'x');
        List<Map.Entry<String, PoisonRecords.PoisonRecord>> kinds =
            List.of(
                Map.entry(
                    events,
                    new PoisonRecords.PoisonRecord(
                        jobPrefix + "3 MiB of garbage bytes",
                        key,
                        compressibleGarbage((byte) 'x'),
                        dev.millrace.ingest.ReasonCodes.UNDECODABLE)),
                Map.entry(
                    events,
                    new PoisonRecords.PoisonRecord(
                        jobPrefix + "the Avro header of the current schema, then 3 MiB of 0xFF",
                        key,
                        headerThenFf,
                        dev.millrace.ingest.ReasonCodes.UNDECODABLE)),
                Map.entry(
                    events,
                    new PoisonRecords.PoisonRecord(
                        jobPrefix
                            + "a well-formed transaction with a customer id of 3,000,000 characters",
                        key,
                        serde.encode(
                            dev.millrace.schemas.fraud.FraudTransaction.newBuilder(template)
                                .setCustomerId(hugeId)
                                .build()),
                        dev.millrace.ingest.ReasonCodes.ID_TOO_LONG)),
                Map.entry(
                    raw,
                    new PoisonRecords.PoisonRecord(
                        rawPrefix + "3 MiB of garbage bytes",
                        key,
                        compressibleGarbage((byte) 'x'),
                        dev.millrace.ingest.ReasonCodes.MALFORMED_JSON)),
                Map.entry(
                    raw,
                    new PoisonRecords.PoisonRecord(
                        rawPrefix + "a valid JSON transaction, then 3 MiB of trailing bytes",
                        key,
                        jsonThenTail,
                        dev.millrace.ingest.ReasonCodes.MALFORMED_JSON)),
                Map.entry(
                    raw,
                    new PoisonRecords.PoisonRecord(
                        rawPrefix + "a JSON transaction with a customer id of 3,000,000 characters",
                        key,
                        dev.millrace.ingest.fraud.FraudJson.toJson(
                            dev.millrace.schemas.fraud.FraudTransaction.newBuilder(template)
                                .setCustomerId(hugeId)
                                .build()),
                        dev.millrace.ingest.ReasonCodes.ID_TOO_LONG)));
        for (Map.Entry<String, PoisonRecords.PoisonRecord> k : kinds) {
          PoisonRecords.PoisonRecord p = k.getValue();
          rawIds.add(Long.toString(id));
          send(producer, raw, key, rawJson(s.latest, id++));
          org.apache.kafka.clients.producer.RecordMetadata m =
              send(big, k.getKey(), p.key(), p.value());
          sentPoison.put(k.getKey() + "/" + m.partition() + "/" + m.offset(), p);
          compressed.add(com.github.luben.zstd.Zstd.compress(p.value(), 3).length);
          rawIds.add(Long.toString(id));
          send(producer, raw, key, rawJson(s.latest, id++));
          Thread.sleep(500);
        }
      }
      boolean complete =
          s.checker.await(
              () -> {
                s.requireRunning();
                if (validators.stream().anyMatch(v -> validatorFailures(v) > 0)) {
                  return true; // failed already: no need to wait for the rest
                }
                return s.checker.letters().size() >= sentPoison.size()
                    && s.checker.perId().keySet().containsAll(rawIds);
              },
              WAIT);
      boolean alive = FaultCluster.alive(validators.get(0));
      Result r = s.finish();
      int failures = validators.stream().mapToInt(FaultSuiteTest::validatorFailures).sum();
      Map<String, Integer> perId = Map.copyOf(s.checker.perId());
      long rawLost = rawIds.stream().filter(x -> !perId.containsKey(x)).count();
      long rawExtra =
          rawIds.stream().mapToLong(x -> Math.max(0, perId.getOrDefault(x, 0) - 1)).sum();
      long unexpected = r.unexpected() - (rawIds.size() - rawLost);
      long dlq = s.checker.letters().size();
      Map<String, Integer> largest = s.checker.largestRecordBytes();
      String scoresTopic = s.topics.scores(dev.millrace.schemas.Task.FRAUD).name();
      String dlqTopic = s.topics.dlq(dev.millrace.schemas.Task.FRAUD).name();
      String trainingTopic = s.topics.training(dev.millrace.schemas.Task.FRAUD).name();
      int maxWritten = largest.values().stream().mapToInt(Integer::intValue).max().orElse(0);
      List<String> failed = new ArrayList<>();
      if (!complete) {
        failed.add("not every raw transaction scored or record dead-lettered within " + WAIT);
      }
      if (!alive) {
        failed.add("the validator exited");
      }
      if (failures > 0) {
        failed.add(failures + " validator stream-thread failures");
      }
      if (maxWritten > MAX_REQUEST_BYTES) {
        failed.add("a record of " + maxWritten + " bytes written, more than " + MAX_REQUEST_BYTES);
      }
      if (unexpected != 0) {
        failed.add(unexpected + " scores of transactions never sent");
      }
      String notes =
          String.format(
              Locale.ROOT,
              "%d records of about %,d bytes (zstd level 3: %s bytes each) accepted by the brokers"
                  + " (max.message.bytes 1 MB limits the compressed batch); between them %,d"
                  + " valid JSON transactions on `fraud.raw` (%d lost, %d duplicated) and %,d"
                  + " Avro ones on `fraud.events`; the largest record written: scores %s,"
                  + " dead letters %s, training %s bytes (limit %,d, the producers'"
                  + " max.request.size); validator stream-thread failures: %d%s",
              sentPoison.size(),
              OVERSIZED_BYTES,
              String.format(
                  Locale.ROOT,
                  "%,d to %,d",
                  compressed.stream().mapToInt(Integer::intValue).min().orElse(0),
                  compressed.stream().mapToInt(Integer::intValue).max().orElse(0)),
              rawIds.size(),
              rawLost,
              rawExtra,
              r.events(),
              sizeOf(largest, scoresTopic),
              sizeOf(largest, dlqTopic),
              sizeOf(largest, trainingTopic)
                  + (largest.containsKey(trainingTopic)
                      ? ""
                      : " (none written: labels come 1 day later)"),
              MAX_REQUEST_BYTES,
              failures,
              failed.isEmpty() ? "" : "; **" + String.join("; ", failed) + "**");
      rows.add(
          new Row(
              "records that decompress past 1 MB (3 MiB values in zstd batches) on `fraud.events`"
                  + " (the job) and on `fraud.raw` (the validator), 3 of each kind below, valid"
                  + " traffic around them",
              1,
              r.events() + rawIds.size(),
              r.lost() + rawLost,
              r.duplicated() + rawExtra,
              "-",
              dlq == sentPoison.size()
                  ? String.valueOf(dlq)
                  : dlq + " (expected " + sentPoison.size() + ")",
              r.failovers(),
              notes,
              false,
              rawLost == 0
                  && rawExtra == 0
                  && r.lost() == 0
                  && r.duplicated() == 0
                  && dlq == sentPoison.size()
                  && r.failovers() == 0
                  && failed.isEmpty()));
      System.out.println(rows.get(rows.size() - 1));
      poisonRows(
          "record that decompresses past 1 MB ",
          sentPoison,
          s.checker.letters(),
          r.failovers(),
          failures == 0 ? null : failures + " validator stream-thread failures",
          (p, l) -> {
            List<String> wrong = new ArrayList<>();
            if (l.carriedValueBytes() != DeadLetterLimits.MAX_ORIGINAL_BYTES) {
              wrong.add("carried " + l.carriedValueBytes() + " bytes of the value");
            }
            if (l.originalValueSize() == null || l.originalValueSize() != p.value().length) {
              wrong.add("originalValueSize " + l.originalValueSize() + " for " + p.value().length);
            }
            return wrong.isEmpty() ? null : String.join(", ", wrong);
          },
          (p, l) ->
              String.format(
                  Locale.ROOT,
                  "stage %s; each dead letter carries %,d bytes of the value and originalValueSize"
                      + " %s",
                  l.stage(),
                  l.carriedValueBytes(),
                  l.originalValueSize() != null && l.originalValueSize() == p.value().length
                      ? "= the value's real size"
                      : String.valueOf(l.originalValueSize())));
    } finally {
      for (Proc v : validators) {
        FaultCluster.stop(v, false, Duration.ofSeconds(60));
      }
    }
  }

  private static String sizeOf(Map<String, Integer> largest, String topic) {
    Integer b = largest.get(topic);
    return b == null ? "-" : String.format(Locale.ROOT, "%,d", b);
  }

  /**
   * Not poison: the same transaction record published twice (every 40th transaction, its Avro bytes
   * sent again about a second later), and a hot key (one customer sending as many transactions
   * again as the other 300 together). The rule: the job does not deduplicate, a record sent twice
   * is a second event and gets a score of its own, so each duplicated id must have exactly 2
   * scores, every other id exactly 1; every transaction of the hot customer exactly 1; nothing
   * lost, no dead letter, no failover.
   */
  private void duplicatesAndAHotKey() throws Exception {
    AvroSerdeHolder serde = new AvroSerdeHolder();
    try (Stream s = new Stream("duphot", 0);
        org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> producer = rawProducer()) {
      Instant start = Instant.now();
      s.startPipeline();
      s.awaitScoredAfter(start);
      String topic = s.topics.fraudEvents().name();
      s.everyFortieth.clear();
      Set<String> duplicated = new java.util.LinkedHashSet<>();
      Set<String> hot = new java.util.LinkedHashSet<>();
      String hotCustomer = s.latest.getCustomerId();
      long hotId = 9_000_000_000L;
      long end = System.nanoTime() + Duration.ofSeconds(40).toNanos();
      long interval = (long) (1e9 / RATE);
      long next = System.nanoTime();
      List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
      while (System.nanoTime() < end) {
        dev.millrace.schemas.fraud.FraudTransaction tx = s.latest;
        dev.millrace.schemas.fraud.FraudTransaction h =
            dev.millrace.schemas.fraud.FraudTransaction.newBuilder(tx)
                .setTransactionId(hotId++)
                .setCustomerId(hotCustomer)
                .build();
        acks.add(
            producer.send(
                new org.apache.kafka.clients.producer.ProducerRecord<>(
                    topic, hotCustomer.getBytes(StandardCharsets.UTF_8), serde.encode(h))));
        hot.add(Long.toString(h.getTransactionId()));
        dev.millrace.schemas.fraud.FraudTransaction again;
        while ((again = s.everyFortieth.poll()) != null) {
          acks.add(
              producer.send(
                  new org.apache.kafka.clients.producer.ProducerRecord<>(
                      topic,
                      again.getCustomerId().getBytes(StandardCharsets.UTF_8),
                      serde.encode(again))));
          duplicated.add(Long.toString(again.getTransactionId()));
        }
        next += interval;
        long sleep = next - System.nanoTime();
        if (sleep > 0) {
          Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
        }
      }
      for (java.util.concurrent.Future<?> f : acks) {
        f.get(60, TimeUnit.SECONDS);
      }
      s.checker.await(
          () -> {
            Map<String, Integer> perId = s.checker.perId();
            return perId.keySet().containsAll(hot)
                && duplicated.stream().allMatch(id -> perId.getOrDefault(id, 0) >= 2);
          },
          WAIT);
      Result r = s.finish();
      Map<String, Integer> perId = Map.copyOf(s.checker.perId());
      long dupNotTwice = duplicated.stream().filter(id -> perId.getOrDefault(id, 0) != 2).count();
      long dupMissing = duplicated.stream().filter(id -> perId.getOrDefault(id, 0) < 2).count();
      long dupExtra =
          duplicated.stream().mapToLong(id -> Math.max(0, perId.getOrDefault(id, 0) - 2)).sum();
      long otherExtra =
          s.sent.stream()
              .filter(id -> !duplicated.contains(id))
              .mapToLong(id -> Math.max(0, perId.getOrDefault(id, 0) - 1))
              .sum();
      long hotLost = hot.stream().filter(id -> !perId.containsKey(id)).count();
      long hotExtra =
          hot.stream().mapToLong(id -> Math.max(0, perId.getOrDefault(id, 0) - 1)).sum();
      long unexpected = r.unexpected() - (hot.size() - hotLost);
      long dlq = s.checker.letters().size();
      long stream = r.events();
      boolean okDup =
          dupNotTwice == 0
              && otherExtra == 0
              && r.lost() == 0
              && dlq == 0
              && r.failovers() == 0
              && unexpected == 0;
      rows.add(
          new Row(
              "not poison: the same transaction record published twice (every 40th, its bytes"
                  + " again ~1 s later; rule: a second event, scored again)",
              1,
              duplicated.size(),
              dupMissing,
              dupExtra,
              "-",
              String.valueOf(dlq),
              r.failovers(),
              (duplicated.size() - dupNotTwice)
                  + " of "
                  + duplicated.size()
                  + " duplicated ids with exactly 2 scores; the other "
                  + String.format(Locale.ROOT, "%,d", stream - duplicated.size())
                  + " transactions of the stream: "
                  + r.lost()
                  + " lost, "
                  + otherExtra
                  + " with more than 1 score",
              false,
              okDup));
      long hotScored = hot.size() - hotLost;
      rows.add(
          new Row(
              "not poison: a hot key (one customer sending "
                  + String.format(Locale.ROOT, "%.0f", 100.0 * hot.size() / (hot.size() + stream))
                  + " % of the scenario's transactions: for 40 s as many as the 300 others"
                  + " together)",
              1,
              hot.size(),
              hotLost,
              hotExtra,
              "-",
              String.valueOf(dlq),
              r.failovers(),
              hotScored
                  + " of the hot customer's "
                  + hot.size()
                  + " transactions scored exactly once"
                  + (hotExtra > 0 ? " (" + hotExtra + " extra scores)" : "")
                  + "; the "
                  + String.format(Locale.ROOT, "%,d", stream)
                  + " others: "
                  + r.lost()
                  + " lost",
              false,
              hotLost == 0 && hotExtra == 0 && r.lost() == 0 && dlq == 0 && r.failovers() == 0));
    }
  }

  /** Avro single-object bytes of a transaction, as the publisher writes them. */
  private static final class AvroSerdeHolder {
    private final dev.millrace.schemas.AvroSerde<dev.millrace.schemas.fraud.FraudTransaction>
        serde =
            dev.millrace.schemas.AvroSerde.of(dev.millrace.schemas.fraud.FraudTransaction.class);

    byte[] encode(dev.millrace.schemas.fraud.FraudTransaction tx) {
      return serde.encode(tx);
    }
  }

  /** Waits until {@code p}'s log, from character {@code from} on, matches {@code pattern}. */
  private static Matcher awaitLog(Proc p, Pattern pattern, int from, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      String log = FaultCluster.log(p);
      Matcher m = pattern.matcher(log);
      if (m.find(Math.min(from, log.length()))) {
        return m;
      }
      if (!FaultCluster.alive(p)) {
        throw new IllegalStateException(p.name() + " exited:\n" + FaultCluster.tail(p));
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "no '" + pattern + "' in " + p.log() + " within " + timeout);
      }
      Thread.sleep(50);
    }
  }

  private static long count(String text, String what) {
    return Pattern.compile(Pattern.quote(what)).matcher(text).results().count();
  }

  /** A real model of the test's own (DJL, trained here), written to a store of the scenario. */
  private ModelAnnouncement storedModel(String store, String version, long seed, boolean noise)
      throws IOException {
    ModelStore models = new ModelStore(cluster.dir().resolve("models").resolve(store).toUri());
    ModelBundle bundle = TestModels.train(version, 3_000, seed, noise);
    return TestModels.store(models, bundle);
  }

  /**
   * A stop and a resume from the retained checkpoint with another parallelism, twice (1 → 2 → 1):
   * the job graph's operators run with another number of subtasks, keyed state moves between them
   * by key group, the Kafka source's splits and the sinks' transactional writers are reassigned.
   * The local pipeline has no savepoint (that is the session cluster's {@code
   * --stop-with-savepoint}, {@code ClusterIT}); SIGTERM cancels and retains the checkpoint.
   */
  private void stopAndResumeRescaled() throws Exception {
    try (Stream s = new Stream("rescale", 0)) {
      Instant start = Instant.now();
      s.startPipeline();
      s.awaitScoredAfter(start);
      List<Double> recovery = new ArrayList<>();
      List<String> resumed = new ArrayList<>();
      String failed = null;
      for (int parallelism : new int[] {2, 1}) {
        Thread.sleep(4_000);
        Instant fault = Instant.now();
        FaultCluster.stop(s.current(), false, Duration.ofSeconds(90));
        Proc next = s.startPipeline(Map.of("--parallelism", String.valueOf(parallelism)));
        recovery.add(s.awaitScoredAfter(fault));
        String from = s.resumedFrom(next);
        resumed.add(from + " at parallelism " + parallelism);
        if (!from.startsWith("chk")) {
          failed = "run at parallelism " + parallelism + " did not resume: " + from;
        }
      }
      s.notes.add(
          "the change: --parallelism 1 → 2, then 2 → 1 (each a SIGTERM stop, cancel with the"
              + " checkpoint retained, then a start with the new setting); resumed from "
              + String.join(", ", resumed)
              + ": state kept (keyed state redistributed by key group, Kafka offsets and the"
              + " model from the checkpoint)");
      Result r = s.finish();
      faultRow(
          "`millrace pipeline` stopped and resumed after a change of its job (parallelism 1 → 2"
              + " → 1; local: from its retained checkpoint, no savepoint)",
          2,
          s,
          r,
          recovery,
          "",
          failed);
    }
  }

  /**
   * The job on a Flink session cluster (a JobManager and a TaskManager, child JVMs started as
   * {@code millrace cluster up} starts them, beside the three brokers), submitted with {@code
   * millrace pipeline --submit}, stopped with a savepoint ({@code --stop-with-savepoint}) and
   * resumed from it ({@code --from-savepoint}) with its job graph changed: {@code --terminal-order}
   * adds an operator ({@code fraud-terminal-order}, "Terminal order") between the customer and the
   * terminal features, so Flink maps the savepoint's state onto another graph by operator uid, with
   * {@code allowNonRestoredState} off (state it cannot map fails the submission). Flink's REST API
   * must say the new job was restored from that savepoint, and the two jobs' vertices must show the
   * change. A model announced before the stop must come back with the scoring operator's state (its
   * log: "via restore", not a new read of the announcement) and make every score of the resumed
   * job. Recovery counts from the stop command to the first visible score computed after the
   * savepoint.
   */
  private void savepointThenResumeChanged() throws Exception {
    Path jobJar =
        dev.millrace.ops.cluster.ClusterClasspath.findJobJar()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "no fraud job jar (feature-pipeline's package phase builds it)"));
    ModelAnnouncement model = storedModel("savepoint", "fraud-savepoint-1", 21, false);
    String version = model.getVersion().toString();
    try (Stream s = new Stream("savepoint", 0);
        FaultCluster.Flink flink = cluster.startFlink(jobJar, 1, 1, Duration.ofMinutes(5))) {
      // The job runs in the JobManager's cluster: the stream's checks watch the JobManager.
      s.pipelines.add(flink.jobManager());
      String rest = flink.rest().address();
      List<String> submit = new ArrayList<>(List.of("pipeline", "--task", "fraud"));
      submit.addAll(List.of("--bootstrap-servers", cluster.bootstrapServers()));
      submit.addAll(s.args);
      submit.addAll(List.of("--submit", rest, "--job-jar", jobJar.toString()));
      Instant start = Instant.now();
      String job1 =
          matchOne(
              cluster.millrace(Duration.ofMinutes(4), submit),
              "Fraud job ([0-9a-f]{32}) submitted");
      s.awaitScoredAfter(start);
      String before = vertexNames(flink.rest(), job1);
      // A model in use: the scoring operator keeps it in its (union) operator state.
      s.announce(model);
      s.awaitScoredBy(version);
      Thread.sleep(6_000);

      Instant fault = Instant.now();
      String stopped =
          cluster.millrace(
              Duration.ofMinutes(6),
              List.of(
                  "pipeline",
                  "--task",
                  "fraud",
                  "--submit",
                  rest,
                  "--stop-with-savepoint",
                  job1,
                  "--savepoint-dir",
                  cluster.dir().resolve("savepoints").toUri().toString()));
      String savepoint = matchOne(stopped, "Savepoint: (\\S+)");
      // The first job scores nothing after its savepoint: any score computed later is the new
      // job's (recovery counts from the stop's start to the first of those).
      Instant stoppedAt = Instant.now();
      double stopSeconds = Duration.between(fault, stoppedAt).toMillis() / 1000.0;
      List<String> resume = new ArrayList<>(submit);
      resume.addAll(List.of("--terminal-order", "--from-savepoint", savepoint));
      String resumed;
      try {
        resumed = cluster.millrace(Duration.ofMinutes(4), resume);
      } catch (IllegalStateException refused) {
        // The REST answer holds only the client's side; the JobManager's log says why.
        String why =
            FaultCluster.log(flink.jobManager())
                .lines()
                .filter(l -> l.contains("Cannot map") || l.contains("Caused by"))
                .findFirst()
                .orElse(refused.getMessage().lines().findFirst().orElse(""));
        throw new IllegalStateException("the resume from the savepoint failed: " + why, refused);
      }
      String job2 = matchOne(resumed, "Fraud job ([0-9a-f]{32}) submitted");
      double recovery = stopSeconds + s.awaitScoredAfter(stoppedAt);
      String after = vertexNames(flink.rest(), job2);
      String restored = flink.rest().restoredFrom(job2).orElse("nothing");

      String failed = null;
      if (!restored.equals(savepoint)) {
        failed = "the resumed job was not restored from the savepoint: Flink says from " + restored;
      } else if (!"FINISHED".equals(flink.rest().jobState(job1))) {
        failed = "the first job did not end FINISHED: " + flink.rest().jobState(job1);
      } else if (before.contains("Terminal order") || !after.contains("Terminal order")) {
        failed = "the job graph did not change: before [" + before + "], after [" + after + "]";
      }
      s.notes.add(
          String.format(
              Locale.ROOT,
              "Flink session cluster (JobManager + 1 TaskManager, 1 slot, each a JVM; parallelism"
                  + " 1, RocksDB), the job submitted over REST; stop-with-savepoint took %.1f s;"
                  + " resumed with --terminal-order (Flink REST: restored from %s): the job"
                  + " graph went from %d to %d vertices, new: %s%s",
              stopSeconds,
              restored.equals(savepoint) ? "the savepoint" : restored,
              before.split(" \\| ").length,
              after.split(" \\| ").length,
              java.util.Arrays.stream(after.split(" \\| "))
                  .filter(v -> !List.of(before.split(" \\| ")).contains(v))
                  .map(v -> "\"" + v + "\"")
                  .collect(Collectors.joining(", ")),
              restored.equals(savepoint)
                  ? " (not in the savepoint: starts with empty state; every other operator's state"
                      + " mapped by its uid, allowNonRestoredState off)"
                  : ""));
      Result r = s.finish();
      Map<String, Long> resumedBy = s.checker.scoredBy(stoppedAt.toEpochMilli(), Long.MAX_VALUE);
      String tm = FaultCluster.log(flink.taskManagers().get(0));
      long viaRestore = count(tm, "now serves model " + version + " (was fallback, via restore)");
      if (failed == null && !resumedBy.keySet().equals(Set.of(version))) {
        failed = "the resumed job's scores came from " + resumedBy + ", not only " + version;
      } else if (failed == null && viaRestore != 1) {
        failed =
            "the resumed job's scoring operator took "
                + version
                + " from the savepoint "
                + viaRestore
                + " times, expected once ("
                + count(tm, "now serves model")
                + " model changes in the TaskManager's log)";
      }
      s.notes.add(
          String.format(
              Locale.ROOT,
              "the model in use before the stop (%s): the resumed job's scoring operator took it"
                  + " from its restored state %d time%s (its log: via restore); the resumed job's"
                  + " scores: %s",
              version,
              viaRestore,
              viaRestore == 1 ? "" : "s",
              resumedBy));
      faultRow(
          "stop-with-savepoint on a Flink session cluster, then resumed from the savepoint after a"
              + " change of the job graph: an operator added (`--terminal-order`: \"Terminal"
              + " order\", uid fraud-terminal-order, before the terminal features)",
          1,
          s,
          r,
          List.of(recovery),
          "",
          failed);
    }
  }

  /** The names of a job's vertices (Flink REST), joined by " | ". */
  private static String vertexNames(dev.millrace.ops.cluster.FlinkRest rest, String job)
      throws IOException {
    List<String> names = new ArrayList<>();
    rest.job(job).path("vertices").forEach(v -> names.add(v.path("name").asText()));
    return String.join(" | ", names);
  }

  private static String matchOne(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    if (!m.find()) {
      throw new IllegalStateException("no '" + regex + "' in: " + text);
    }
    return m.group(1);
  }

  /**
   * The job's checkpoint folder made unwritable for 40 s mid-stream, then writable again. Every
   * folder and file under it is made immutable ({@code chattr +i}; root ignores {@code chmod}).
   */
  private void unwritableCheckpointFolder() throws Exception {
    Duration unwritable = Duration.ofSeconds(40);
    try (Stream s = new Stream("ckptro", 0)) {
      Instant start = Instant.now();
      Proc p = s.startPipeline();
      s.awaitScoredAfter(start);
      Thread.sleep(6_000);
      Path dir = cluster.dir().resolve("checkpoints").resolve("ckptro.fraud");
      int failedBefore = FaultCluster.failedCheckpoints(p);
      int failoversBefore = FaultCluster.failovers(p);
      Instant fault = Instant.now();
      FaultCluster.immutable(dir, true);
      Instant back;
      try {
        Thread.sleep(unwritable.toMillis());
      } finally {
        FaultCluster.immutable(dir, false);
        back = Instant.now();
      }
      int failedDuring = FaultCluster.failedCheckpoints(p) - failedBefore;
      int failoversDuring = FaultCluster.failovers(p) - failoversBefore;
      long committedWhileUnwritable =
          s.checker.seen().stream()
              .filter(
                  x ->
                      x.visibleAtMillis() > fault.toEpochMilli() + 3_000
                          && x.visibleAtMillis() <= back.toEpochMilli())
              .count();
      List<Double> recovery = List.of(s.awaitScoredAfter(back));
      String firstFailover =
          FaultCluster.log(p)
              .lines()
              .filter(l -> l.contains("failover"))
              .findFirst()
              .map(l -> l.length() > 200 ? l.substring(0, 200) + "…" : l)
              .orElse("none");
      Result r = s.finish();
      s.notes.add(
          String.format(
              Locale.ROOT,
              "folder immutable for %d s: %d checkpoints failed, %d failovers then (tolerable"
                  + " failed checkpoints: %s), %d scores committed while it was (exactly-once output"
                  + " waits for a completed checkpoint); recovery s is from the folder writable"
                  + " again; the first failover line: %s",
              unwritable.toSeconds(),
              failedDuring,
              failoversDuring,
              TOLERABLE,
              committedWhileUnwritable,
              firstFailover));
      faultRow(
          "the job's checkpoint folder unwritable for "
              + unwritable.toSeconds()
              + " s mid-stream, then writable again",
          1,
          s,
          r,
          recovery,
          "");
    }
  }

  /** How long after one scoring subtask's first score by a new model the others may lag. */
  private static final Duration SWAP_SPREAD = Duration.ofSeconds(10);

  /** What the job's settings say of failed checkpoints, for the notes. */
  private static final String TOLERABLE = "0, Flink's default: each failure is a failover";

  /**
   * A partial (cut off half-way) and a corrupt (bytes flipped) model artifact announced with the
   * SHA-256 of the whole, intact bundle, while a good model serves: both refused, the good one
   * keeps serving, no failover.
   */
  private void badModelArtifacts() throws Exception {
    ModelAnnouncement good = storedModel("badmodel", "fraud-good-1", 11, false);
    ModelAnnouncement partial = storedModel("badmodel", "fraud-partial-2", 12, false);
    Path partialFile = Path.of(URI.create(partial.getArtifactUri()));
    byte[] whole = Files.readAllBytes(partialFile);
    Files.write(partialFile, Arrays.copyOf(whole, whole.length / 2));
    ModelAnnouncement corrupt = storedModel("badmodel", "fraud-corrupt-3", 13, false);
    Path corruptFile = Path.of(URI.create(corrupt.getArtifactUri()));
    byte[] bytes = Files.readAllBytes(corruptFile);
    for (int i = 0; i < 16; i++) {
      bytes[bytes.length / 3 + 31 * i] ^= 0x5A;
    }
    Files.write(corruptFile, bytes);
    String goodVersion = good.getVersion().toString();
    try (Stream s = new Stream("badmodel", 0)) {
      Instant start = Instant.now();
      Proc p = s.startPipeline();
      s.awaitScoredAfter(start);
      s.announce(good);
      OutputChecker.Seen firstGood = s.awaitScoredBy(goodVersion);
      List<String> refused = new ArrayList<>();
      for (ModelAnnouncement bad : List.of(partial, corrupt)) {
        Thread.sleep(3_000);
        s.announce(bad);
        Matcher m =
            awaitLog(
                p,
                Pattern.compile(
                    "Refused model "
                        + Pattern.quote(bad.getVersion().toString())
                        + " of task \\w+: (\\w+)[^\\n]*still serving (\\S+)"),
                0,
                WAIT);
        refused.add(bad.getVersion() + ": " + m.group(1) + ", still serving " + m.group(2));
      }
      Thread.sleep(10_000); // scores after the refusals
      Result r = s.finish();
      String log = FaultCluster.log(p);
      Map<String, Long> after = s.checker.scoredBy(firstGood.scoredAtMillis() - 1, Long.MAX_VALUE);
      String failed = null;
      if (!after.keySet().equals(Set.of(goodVersion))) {
        failed = "scores after " + goodVersion + " was applied came from " + after;
      } else if (count(log, "now serves model") != 1) {
        failed = "models applied: " + count(log, "now serves model") + ", expected 1";
      } else if (r.failovers() > 0) {
        failed = r.failovers() + " failovers";
      }
      s.notes.add(
          "refused (log line and the modelsRefused counter): "
              + String.join("; ", refused)
              + String.format(Locale.ROOT, "; scores from the good model's first on: %s", after));
      faultRow(
          "a partial (cut off half-way) and a corrupt (16 bytes flipped) model artifact announced,"
              + " each with the SHA-256 of the intact bundle",
          2,
          s,
          r,
          List.of(),
          "",
          failed);
    }
  }

  /**
   * The job killed right after a model announcement, before it could apply the model (loading a
   * bundle takes longer than the kill), then started again: it restores the old model from its
   * state, reads the announcement again and swaps; from the first score by the new model on, every
   * score names it.
   */
  private void jobKilledDuringHotSwap() throws Exception {
    ModelAnnouncement first = storedModel("hotswap", "fraud-swap-1", 21, false);
    ModelAnnouncement second = storedModel("hotswap", "fraud-swap-2", 22, false);
    String v1 = first.getVersion().toString();
    String v2 = second.getVersion().toString();
    Map<String, String> twoSubtasks = Map.of("--parallelism", "2");
    try (Stream s = new Stream("hotswap", 0)) {
      Instant start = Instant.now();
      s.startPipeline(twoSubtasks);
      s.awaitScoredAfter(start);
      s.announce(first);
      s.awaitScoredBy(v1);
      Thread.sleep(3_000);
      Proc killed = s.current();
      s.announce(second);
      Instant fault = Instant.now();
      FaultCluster.stop(killed, true, Duration.ofSeconds(30));
      long appliedBeforeKill = count(FaultCluster.log(killed), "now serves model " + v2);
      Proc next = s.startPipeline(twoSubtasks);
      List<Double> recovery = List.of(s.awaitScoredAfter(fault));
      String resumed = s.resumedFrom(next);
      OutputChecker.Seen firstV2 = s.awaitScoredBy(v2);
      Result r = s.finish();
      Map<String, Long> between =
          s.checker.scoredBy(fault.toEpochMilli(), firstV2.scoredAtMillis() - 1);
      Map<String, Long> fromV2 = s.checker.scoredBy(firstV2.scoredAtMillis() - 1, Long.MAX_VALUE);
      String restoredLine =
          FaultCluster.log(next)
              .lines()
              .filter(l -> l.contains("now serves model"))
              .map(l -> l.substring(l.indexOf("(subtask")))
              .collect(Collectors.joining(", "));
      // The two subtasks swap one after the other: the old model may score on one for a moment
      // after the other's first score by the new one, never later than SWAP_SPREAD.
      long lastOld =
          s.checker.seen().stream()
              .filter(x -> x.scoredAtMillis() > fault.toEpochMilli() && v1.equals(x.modelVersion()))
              .mapToLong(OutputChecker.Seen::scoredAtMillis)
              .max()
              .orElse(0);
      Map<String, Long> afterRestart = s.checker.scoredBy(fault.toEpochMilli(), Long.MAX_VALUE);
      String failed = null;
      if (!Set.of(v1, v2).containsAll(afterRestart.keySet())) {
        failed = "scores after the restart came from " + afterRestart;
      } else if (lastOld > firstV2.scoredAtMillis() + SWAP_SPREAD.toMillis()) {
        failed =
            "a score by "
                + v1
                + " "
                + (lastOld - firstV2.scoredAtMillis())
                + " ms after the first by "
                + v2;
      }
      s.notes.add(
          String.format(
              Locale.ROOT,
              "parallelism 2; SIGKILL right after %s's announcement was acked, when %d of the 2"
                  + " scoring subtasks had applied it; resumed from %s; the new run's swaps: %s;"
                  + " scores after the restart before %s: %s; from the first by %s on: %s",
              v2,
              appliedBeforeKill,
              resumed,
              restoredLine,
              v2,
              between.isEmpty() ? "none" : between,
              v2,
              fromV2));
      faultRow(
          "`millrace pipeline` killed (SIGKILL) during a model hot swap (right after the"
              + " announcement) and started again",
          1,
          s,
          r,
          recovery,
          "",
          failed);
    }
  }

  /**
   * {@code millrace trainer} killed (SIGKILL) while a retrain run trains, then started again: the
   * model in use keeps scoring; the restarted trainer trains, beats it and announces; the scores
   * move to the new model. The model in use is a real one trained on coin-flip labels, so that an
   * honest challenger beats it.
   */
  private void trainerKilledDuringARun() throws Exception {
    ModelAnnouncement uninformed = storedModel("trainer-seed", "fraud-uninformed-0", 31, true);
    String v0 = uninformed.getVersion().toString();
    List<String> trainerArgs =
        List.of(
            "--namespace",
            "trainer",
            "--model-store",
            cluster.dir().resolve("models").resolve("trainer").toUri().toString(),
            "--retrain-every-examples",
            "1000000",
            "--retrain-every",
            "20s",
            "--min-train-rows",
            "300",
            "--no-seed-check",
            "--bootstrap-resamples",
            "50",
            "--metrics-port",
            "0",
            "--status-every",
            "1s");
    List<Proc> trainers = new ArrayList<>();
    try (Stream s = new Stream("trainer", 0)) {
      Instant start = Instant.now();
      s.startPipeline();
      s.awaitScoredAfter(start);
      s.announce(uninformed);
      OutputChecker.Seen firstV0 = s.awaitScoredBy(v0);
      // Runs that are skipped (too few rows or positives yet) end at once; the first run that
      // goes on to train (its outcome not logged 150 ms after its "retraining" line; training
      // alone takes a second or more) is killed.
      Proc t1 = cluster.startTrainer("trainer-1", trainerArgs);
      trainers.add(t1);
      Pattern retraining = Pattern.compile("retraining (\\S+) on (\\d+) rows \\((\\d+) positives");
      long giveUp = System.nanoTime() + WAIT.toNanos();
      int from = 0;
      int skipped = 0;
      Matcher m;
      String afterStart;
      while (true) {
        m = awaitLog(t1, retraining, from, WAIT);
        from = m.end();
        Thread.sleep(150);
        afterStart = FaultCluster.log(t1).substring(from);
        if (!afterStart.contains("no model trained")) {
          break;
        }
        skipped++;
        if (System.nanoTime() > giveUp) {
          throw new IllegalStateException("every run of the first trainer was skipped");
        }
      }
      Instant fault = Instant.now();
      FaultCluster.stop(t1, true, Duration.ofSeconds(30));
      afterStart = FaultCluster.log(t1).substring(from);
      String runFailed = null;
      if (afterStart.contains("PROMOTED")
          || afterStart.contains("REJECTED")
          || afterStart.contains("no model trained")
          || afterStart.contains("FAILED")) {
        runFailed = "the first trainer's run ended before the kill";
      }
      String killedRun =
          m.group(1)
              + " ("
              + m.group(2)
              + " rows, "
              + m.group(3)
              + " positives; "
              + skipped
              + " earlier run(s) skipped for too few rows or positives), "
              + (afterStart.contains("Trained fraud")
                  ? "after its training, evaluating"
                  : "training")
              + " when killed";
      Proc t2 = cluster.startTrainer("trainer-2", trainerArgs);
      trainers.add(t2);
      Matcher promoted = awaitLog(t2, Pattern.compile("PROMOTED (\\S+) \\(([^)]*)\\)"), 0, WAIT);
      String v = promoted.group(1);
      OutputChecker.Seen firstV = s.awaitScoredBy(v);
      List<Double> recovery = List.of((firstV.visibleAtMillis() - fault.toEpochMilli()) / 1000.0);
      Thread.sleep(5_000);
      FaultCluster.stop(t2, false, Duration.ofSeconds(60));
      Result r = s.finish();
      Map<String, Long> through =
          s.checker.scoredBy(firstV0.scoredAtMillis() - 1, firstV.scoredAtMillis() - 1);
      Map<String, Long> fromV = s.checker.scoredBy(firstV.scoredAtMillis() - 1, Long.MAX_VALUE);
      long sinceKill =
          s.checker.scoredBy(fault.toEpochMilli(), firstV.scoredAtMillis() - 1).values().stream()
              .mapToLong(Long::longValue)
              .sum();
      String failed = runFailed;
      if (failed == null && !through.keySet().equals(Set.of(v0))) {
        failed = "scores before the new model came from " + through;
      } else if (failed == null && !fromV.keySet().equals(Set.of(v))) {
        failed = "scores from the new model's first on came from " + fromV;
      }
      s.notes.add(
          String.format(
              Locale.ROOT,
              "trainer killed in its run %s; %s (uninformed: coin-flip labels) served"
                  + " throughout, %,d scores between the kill and the new model, all by it; the"
                  + " restarted trainer PROMOTED %s (%s) and the scores moved to it; recovery s:"
                  + " the kill to the first visible score by the new model (trainer start, a"
                  + " 20 s retrain period, training, announcement, swap)",
              killedRun,
              v0,
              sinceKill,
              v,
              promoted.group(2)));
      faultRow(
          "`millrace trainer` killed (SIGKILL) during a retrain run and started again",
          1,
          s,
          r,
          recovery,
          "",
          failed);
    } finally {
      for (Proc t : trainers) {
        FaultCluster.stop(t, true, Duration.ofSeconds(30));
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
        .append(
            !ONLY.isEmpty()
                ? " (selected scenarios: " + String.join(", ", ONLY) + ")"
                : ALL ? "" : " (short form: the CI subset)")
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
          .append(
              " s, parallelism 1 unless a row says otherwise), in the trainer row `millrace"
                  + " trainer --task fraud`, in the `fraud.raw` and oversized rows `millrace validator"
                  + " --task fraud`, and in the savepoint row a Flink session cluster (JobManager and"
                  + " one TaskManager, as `millrace cluster up` starts them) with the job jar submitted"
                  + " to it, each a JVM of its own, from ")
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
        scenario; for a bad-input row, the poison records of that kind; for the `fraud.raw` row,
        the JSON transactions sent to `fraud.raw` (the Avro stream beside them is in its notes).
      - **lost**: transactions without a score on the scores topic, read with
        `isolation.level=read_committed` by a consumer of the test (not the job's classes) that
        runs through the whole scenario; for a bad-input row, poison records with no dead letter
        (matched by the source topic, partition and offset the dead letter carries).
      - **duplicated**: scores beyond the first for the same transaction id (dead letters beyond
        the first for a poison record).
      - **recovery s**: from the fault (the signal sent) to the moment the checker first sees a
        committed score that was computed after the fault: for a job restart this includes the new
        JVM's start, the restore from the checkpoint and the next checkpoint that commits. For the
        checkpoint-folder row it counts from the folder writable again; for the trainer row, from
        the kill to the first visible score by the restarted trainer's model; for the `fraud.raw`
        row, from the validator's kill to the first visible score of a raw transaction sent after
        it; for the savepoint row, from
        the start of the stop command (`millrace pipeline --stop-with-savepoint`, its JVM
        included) to the first visible score computed after the savepoint completed: the savepoint,
        the new submission (jar upload, job start), the restore and the next checkpoint that commits.
        The bad-artifact row has no outage.
      - **dead letters**: for fault rows the dead letters seen (none expected: no poison is sent);
        for bad-input rows those with the reason code `PoisonRecords` expects.
      - **job failovers**: Flink restarts inside the pipeline JVMs (the `restarts N` of its status
        lines), summed over the runs; a restart of the JVM itself is the fault, not a failover. On the
        session cluster (savepoint row): the jobs' switches to RESTARTING in the JobManager's log.
        The validator's own failures (a stream thread that failed and was replaced, its log line)
        are in the notes of its rows and must be 0.

      A row is marked **FAILED** when it lost or duplicated anything, saw an unexpected dead
      letter, a poison record missed its dead letter or its reason, the job failed over on bad
      input, the scenario did not complete, or a model row's own check did not hold (it says which
      in bold in its notes): a bad artifact applied, or any score after the good model's first not
      by it, or a failover; after the hot swap's restart, a score by neither model (the fallback
      included), or one by the old model more than 10 s after the first by the new one (the two
      subtasks swap one after the other); around the trainer's kill, any score not by the model
      in use until the restarted trainer's model, and any not by that one after; in the rescale
      row, a start that did not resume from a checkpoint; in the savepoint row, a resumed job that
      Flink's REST API does not report as restored from that savepoint, a first job that did not end
      FINISHED, a job graph without the added operator after the resume (or with it before), any
      score of the resumed job not by the model in use before the stop, or its scoring operator not
      taking that model from its restored state exactly once (its log's `via restore`); in the duplicate row, a duplicated
      transaction without exactly 2 scores or any other with more than 1; in the hot-key row, a
      transaction of the hot customer without exactly 1 score; in the `fraud.raw` and oversized
      rows, a dead letter not written by the stage that reads the topic (`validator` for
      `fraud.raw`), a validator stream-thread failure or exit, a raw transaction not scored exactly
      once; in the oversized rows, a dead letter that does not carry exactly 65,536 bytes of the
      value (`DeadLetterLimits.MAX_ORIGINAL_BYTES`) with `originalValueSize` the value's real size,
      or any record on the scores, dead-letter or training topics larger than 1 MiB (key, value
      and headers; the producers' `max.request.size`). The CI build runs the first row once (`FaultSuiteTest`
      without the profile: one SIGKILL). `-Dmillrace.faults.only=rescale,savepoint-change,checkpoint-unwritable,
      bad-model,hot-swap-kill,trainer-kill,bad-labels,duplicates-hot-key,raw-poison,oversized` (any of the scenario names) runs only those and writes
      their table to `target/faults/reliability-selected.md`.

      What these runs do and do not show:

      - Recovery after a restart of the job is mostly the new JVM's start (a local MiniCluster,
        RocksDB, DJL) on a shared two-core machine under load; a broker restart costs the job
        seconds and no failover, as the producers and consumers move to the new leaders.
      - The transaction-timeout row kills the job at a random moment. Output is lost only if the
        kill falls between a checkpoint's completion and the commit of its transactions (a few
        milliseconds per checkpoint) and the job stays down past the timeout; no run here hit that
        window, so the README's remaining limit still stands (it is not forced here).
      - The model rows use real DJL bundles trained in the test JVM (`TestModels`, 3,000 generated
        transactions) and written to a model store folder the pipeline reads by `file:` URI. A
        refusal is visible as the scoring operator's log line (`Refused model V of task FRAUD:
        CHECKSUM_MISMATCH ...; still serving G`, which the suite reads) and its `modelsRefused`
        counter. Both bad artifacts are refused for their SHA-256 before anything tries to load
        them.
      - The hot swap runs at parallelism 2: the job is killed as soon as the broker has acked the
        announcement, before a scoring subtask could load the bundle; the restarted job restores
        the old model from its (union) operator state, reads the announcement again and swaps.
      - The trainer row: the model in use is a real one trained on coin-flip labels, so that the
        restarted trainer's first honest challenger beats it and is announced (the champion gate
        is kept). Both trainers run with `--retrain-every 20s --min-train-rows 300
        --no-seed-check`; the first is killed in its first run that goes on to train (150 ms after
        its `retraining` line, with no outcome logged yet; training alone takes a second or more),
        the second trains, promotes and announces.
      - The checkpoint folder: the processes run as root, which writes through `chmod a-w`, so the
        suite makes the job's checkpoint folder immutable (`chattr -R +i`) instead; new
        checkpoint files cannot be created in it. The job sets no
        `execution.checkpointing.tolerable-failed-checkpoints`, so Flink's default, 0, governs: each
        failed checkpoint is a failover from the last completed one (exactly-once holds: nothing
        is committed while checkpoints fail, and the restart replays from the checkpoint).
        Failovers back off exponentially from 1 s to 30 s, and after `--restart-attempts` (8)
        failovers in a row the job stops with its root cause and `millrace pipeline` exits 1: by
        those settings a folder unwritable for longer than the eight back-offs (1 + 2 + 4 + 8 + 16
        + 30 + 30 + 30 s, about two minutes, plus the restarts themselves) ends the job (derived,
        not run here); the next start resumes from the last completed checkpoint. Left as it is:
        tolerating failed checkpoints would keep the sinks' transactions open through the outage,
        towards their timeout (`--transaction-timeout`), past which their output is lost.
      - The rescale row: the local pipeline has no savepoints (that is the Flink session
        cluster's `--stop-with-savepoint`, the savepoint row); SIGTERM cancels the job and retains its
        checkpoint, and the next start, with another `--parallelism`, restores from it: keyed
        state is redistributed by key group, the Kafka offsets and the model come from the
        checkpoint.
      - Sabotage checks of the `fraud.raw` and oversized rows (`-Dmillrace.faults.only=raw-poison,
        oversized`, 2026-12-01 00:33 to 00:55, each change undone after): with the validator
        passing negative amounts on to `fraud.events` (`FraudValidatorTopology` dropping its
        `NEGATIVE_AMOUNT` reason), the `fraud.raw` rows failed: the 8 negative amounts had no dead
        letter from `fraud.raw` (lost 8), and the stream row saw 8 dead letters not from the
        validator: the job refused them on `fraud.events`, so the count of dead letters (168)
        still matched; only the source topic and stage tell. With the validator at-least-once
        (and a 30 s commit interval), its SIGKILL duplicated 84 scores of raw transactions and 84
        dead letters (4 of each kind: the rounds before the kill, processed again). With the job's
        dead letters carrying the whole value (`DeadLetters.capped` not capping), the oversized
        scenario did not complete: the job's dead-letter sink failed on the 3 MiB dead letter
        (`RecordTooLargeException`: 3,146,268 bytes, more than `max.request.size`) and the job
        failed over until it gave up. With the validator's dead letters carrying the whole value,
        its exactly-once transaction failed on the first oversized `fraud.raw` record, its stream
        thread failed 9 times (replaced each time) and the validator got no further: 28 of the 36
        valid raw transactions (those sent after it) lost, the oversized raw records without their
        dead letter.
      - The savepoint row (`savepoint-change`) runs the real thing: a Flink session cluster as child
        JVMs (`LocalCluster`'s JobManager and one TaskManager with one slot, parallelism 1, RocksDB, for
        the two cores) beside the three brokers, the job jar submitted with `millrace pipeline --task
        fraud --submit`, a model announced and in use, `--stop-with-savepoint` mid-stream, and `--submit
        ... --terminal-order --from-savepoint` while the publisher keeps going. The change: of what the
        code allows without a second build of the job jar, this is the one that changes the job graph
        Flink must map the savepoint onto: `--terminal-order` adds an operator (`TerminalOrder`, uid
        `fraud-terminal-order`, keyed by terminal with map state and timers) on a new network edge
        between the customer and the terminal features, so the graph goes from 11 to 12 vertices; every
        other operator (the sources' splits and offsets, the customer and terminal features, the scoring
        operator's model, the label join, the sinks' transactions) must find its state by its uid, the
        new one starts empty, and the submission sets `allowNonRestoredState` off, so state that maps to
        nothing fails it. It is a change of the job's configuration, not of its classes (the same jar);
        a parallelism change alone is the rescale row's (same graph, other subtask counts). Live, the
        added operator lets each transaction pass at once (event time is far past `t` − 7 days), so it
        delays no score beyond the first watermark after the restore.
      - Sabotage checks: with the local pipeline's sinks switched to at-least-once, the short form
        failed with 151 duplicated scores after one SIGKILL (0 lost). With the scoring operator
        dropping the model in use when it refuses one (`ScoringOperator.refuse` setting the model
        to null), the bad-artifact row failed: after the good model's first score, 740 scores were
        the fallback (`MODEL_UNAVAILABLE`) and 209 the good model's, and the refusal lines said
        "still serving fallback" (`-Dmillrace.faults.only=bad-model`, 2026-11-30 21:39).
        With `ParseLabels`' label-before-transaction check switched off, the `fraud.labels` rows
        failed: the 8 labels known 5 years before their transaction got no dead letter at all (lost
        8: nothing downstream refuses them), and the stream row saw 56 dead letters of the 64
        expected (`-Dmillrace.faults.only=bad-labels`, 2026-11-30 22:48).
        The savepoint row, resumed without `--from-savepoint` (still with `--terminal-order`): FAILED
        with 239 duplicated scores (0 lost: the fresh job starts from the consumer group's committed
        offsets, which were behind the savepoint's), Flink's REST API reporting no restore, and the
        model coming from a new read of `millrace.models` instead of the restored state (every score
        of the new job was still by that model, so that check alone would not have caught it)
        (2026-12-01 00:33). With the customer features' uid changed in the job code whenever
        `--terminal-order` is on (as a code change that renames an operator's uid does), the resume was
        refused: "Failed to rollback to checkpoint/savepoint ... Cannot map checkpoint/savepoint state
        for operator 2085e324… to the new program" (did not complete, FAILED; 2026-12-01 00:40).
      - Bad input on `fraud.labels` (`bad-labels`): `PoisonRecords.forLabels` sent by the test's own
        producer straight to `fraud.labels`, 8 of each kind interleaved with the running stream,
        each matched to its dead letter by the source topic, partition and offset it carries. The
        job's label parser (`ParseLabels`) refuses them before the label join, so none reaches the
        join or moves a watermark. A label with possible but late times (past its transaction's
        maturity) is not the parser's poison but a dead letter of the label join; not sent here.
      - Amounts: `FraudValidation` refuses a finite amount above `Float.MAX_VALUE` (e.g. 1e300) as
        `AMOUNT_OUT_OF_RANGE`, since the features are floats, where it would be Infinity; any
        amount a float can hold is accepted (no business cap). The crafted Avro row carries the
        marker `C3 01` and the real fingerprint of today's `FraudTransaction` schema, then bytes
        `0xFF` (a long that never ends): UNDECODABLE, not UNKNOWN_SCHEMA.
      - Duplicates and a hot key (`duplicates-hot-key`) are not poison. The rule, as the job
        behaves: it does not deduplicate by transaction id; a record published twice is a second
        event, scored again (two scores with the same transaction id; whether the
        training examples and history features also count it twice is not checked here).
        The hot customer sends as many transactions again as the 300 others together, on one key (one partition, one keyed state); each is scored once.
      - Poison on `fraud.raw` (`raw-poison`): `millrace validator --task fraud` (Kafka Streams,
        exactly-once, its own application id and state folder) runs as a JVM of its own beside
        the job; the test's producer sends valid transactions as JSON lines to `fraud.raw`, each
        followed by one poison record (random bytes and every kind of `PoisonRecords.forRaw`),
        8 rounds, while the Avro stream goes on on `fraud.events`. After the fourth round the
        validator is killed with SIGKILL and started again at once: it comes back once the group
        has dropped the killed member, and what it had processed but not committed is processed
        again, its output written once (the rows count every dead letter and score). The job's
        own checks would also refuse most of these on `fraud.events`, so a dead letter counts
        only when it names `fraud.raw` and the stage `validator`.
      - Records that decompress past 1 MB (`oversized`): 3 MiB values sent by a producer with
        `compression.type=zstd` and `max.request.size` 8 MiB; each value compresses to 124 to
        4,398 bytes (zstd level 3, measured in the test), far under the brokers' 1 MB
        `max.message.bytes` (which limits the compressed batch), so the brokers take them and the consumers get 3 MiB records. Garbage
        bytes are a 4 KiB random block repeated (random bytes would not compress). Each is
        dead-lettered by the stage that reads it, carrying its first 64 KiB and its real size;
        the 3 MiB JSON with a 3,000,000-character customer id is within Jackson's default
        string-length limit (20 M characters), so it parses and is refused as `ID_TOO_LONG`.
        Training examples: none are written during the scenario (labels come a day later), so
        their size check holds trivially there.
      - Not covered here: full disks, network partitions, and the Flink session cluster's lost
        TaskManager (`ClusterIT`).
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
