package dev.millrace.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.millrace.ingest.Pacing;
import dev.millrace.ingest.fraud.FraudGenerator;
import dev.millrace.ingest.fraud.FraudPublisher;
import dev.millrace.ingest.fraud.LabeledTransaction;
import dev.millrace.ops.cluster.ClusterClasspath;
import dev.millrace.pipeline.fraud.FraudFeatureEngine;
import dev.millrace.pipeline.fraud.FraudFeatures;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.scorer.flink.Scoring;
import dev.millrace.scorer.model.ModelBundle;
import dev.millrace.scorer.model.ModelStore;
import dev.millrace.trainer.ModelAnnouncements;
import dev.millrace.trainer.model.Dataset;
import dev.millrace.trainer.model.TabularTrainer;
import dev.millrace.trainer.model.TrainSettings;
import dev.millrace.trainer.model.TrainedModel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The cluster quick start end to end, with the built {@code millrace} jar as a user runs it: {@code
 * cluster up} (3 KRaft brokers, a JobManager and 2 TaskManagers, each its own JVM), the fraud job
 * submitted over REST at parallelism 2 (a subtask on each TaskManager), generated transactions,
 * exactly one read_committed score per transaction, a model trained by the trainer's code and
 * announced on {@code millrace.models} and applied by the scoring subtask on each TaskManager
 * (Flink REST metrics, and the scores that follow name it), stop-with-savepoint, resume from it
 * (the model comes back with the state), more transactions, a TaskManager killed with SIGKILL
 * mid-stream, still exactly one score each, {@code cluster down}.
 *
 * <p>It takes minutes (seven JVMs), so it runs only in the {@code cluster} profile: {@code mvn -B
 * -ntp -pl ops/cli -am -Pcluster verify -Dtest=ClusterIT -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class ClusterIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BATCH = 400;

  @Test
  void jobRunsOnTheClusterStopsWithASavepointResumesAndSurvivesALostTaskManager() throws Exception {
    Path jar = Path.of("target/millrace.jar").toAbsolutePath();
    assumeTrue(Files.isRegularFile(jar), "target/millrace.jar is built in the package phase");
    Path jobJar = ClusterClasspath.findJobJar().orElse(null);
    if (jobJar == null) {
      try (var s = Files.list(Path.of("../../feature-pipeline/target"))) {
        jobJar = s.filter(p -> p.toString().endsWith("-job.jar")).findFirst().orElse(null);
      }
    }
    assumeTrue(jobJar != null, "the fraud job jar is built by feature-pipeline's package phase");

    // Under target/, not a temporary folder, so that the logs stay for a look after a failure.
    Path dir = Path.of("target/cluster-it").toAbsolutePath();
    new dev.millrace.ops.cluster.LocalCluster(dir).purge();
    int kafkaPort = freeRange(3);
    int controllerPort = freeRange(3);
    int restPort = freeRange(1);
    int rpcPort = freeRange(1);
    int metricsPort = freeRange(11);
    String rest = "http://localhost:" + restPort;
    String bootstrap =
        "127.0.0.1:"
            + kafkaPort
            + ",127.0.0.1:"
            + (kafkaPort + 1)
            + ",127.0.0.1:"
            + (kafkaPort + 2);
    try {
      long t0 = System.nanoTime();
      String up =
          millrace(
              jar,
              Duration.ofMinutes(20),
              "cluster",
              "up",
              "--dir",
              dir.toString(),
              "--kafka-port",
              String.valueOf(kafkaPort),
              "--controller-port",
              String.valueOf(controllerPort),
              "--rest-port",
              String.valueOf(restPort),
              "--rpc-port",
              String.valueOf(rpcPort),
              "--metrics-port",
              String.valueOf(metricsPort),
              "--job-jar",
              jobJar.toString(),
              // On a busy machine (2 cores, load 40+) three brokers have taken 180 s to form.
              "--timeout",
              "480s");
      System.out.printf("cluster up in %.1f s:%n%s%n", (System.nanoTime() - t0) / 1e9, up);
      String status =
          millrace(jar, Duration.ofMinutes(1), "cluster", "status", "--dir", dir.toString());
      assertThat(status).contains("2 TaskManagers, 4/4 slots free").contains(": 3 brokers");
      assertThat(status.lines().filter(l -> l.contains(" up ")).count()).isEqualTo(6);

      // Four batches of transactions: before the model, after the hot swap, after the savepoint,
      // and during the kill.
      Iterator<LabeledTransaction> transactions =
          new FraudGenerator(
                  new FraudGenerator.Settings(
                      7, 300, 600, Instant.parse("2018-04-01T00:00:00Z"), null))
              .take(4 * BATCH);
      List<String> batch1 = publish(bootstrap, limit(transactions, BATCH), Pacing.max());

      String submitted =
          millrace(jar, Duration.ofMinutes(4), submitArgs(rest, bootstrap, jobJar, null));
      String job = match(submitted, "Fraud job ([0-9a-f]{32}) submitted");
      awaitRunningOnBothTaskManagers(rest, job);

      Topic<String, ScoreRecord> scores = TopicRegistry.standard().scores(Task.FRAUD);
      Map<String, List<ScoreRecord>> perId =
          awaitScores(bootstrap, scores, BATCH, Duration.ofMinutes(4));
      assertExactlyOnce(perId);
      assertThat(versions(perId, batch1))
          .as("versions before any model")
          .containsOnly("fallback/NO_MODEL");
      System.out.println("batch 1: " + perId.size() + " transactions scored once each (fallback)");

      // A model trained by the real trainer code, stored in the cluster's model folder and
      // announced on millrace.models: each scoring subtask, one per TaskManager, must apply it.
      String version = "cluster-it-" + (System.currentTimeMillis() % 100_000);
      ModelAnnouncement model = trainStoreAndAnnounce(dir.resolve("models"), version, bootstrap);
      Map<Integer, String> scoringTms = awaitModelOnEverySubtask(rest, job, version);
      assertThat(Set.copyOf(scoringTms.values()))
          .as("TaskManagers of the scoring subtasks that applied %s", version)
          .hasSize(2);
      System.out.println("model " + version + " applied by scoring subtasks on " + scoringTms);
      // cluster status shows the same: each scoring subtask, its TaskManager and its model.
      String withJob =
          millrace(jar, Duration.ofMinutes(1), "cluster", "status", "--dir", dir.toString());
      for (Map.Entry<Integer, String> st : scoringTms.entrySet()) {
        assertThat(withJob)
            .contains(
                "scoring subtask "
                    + st.getKey()
                    + " on "
                    + st.getValue()
                    + ": RUNNING, model "
                    + version);
      }

      List<String> batch2 = publish(bootstrap, limit(transactions, BATCH), Pacing.max());
      perId = awaitScores(bootstrap, scores, 2 * BATCH, Duration.ofMinutes(4));
      assertExactlyOnce(perId);
      assertThat(versions(perId, batch2)).as("versions after the swap").containsOnly(version);
      int maxParallelism = scoringVertex(rest, job).path("maxParallelism").asInt(128);
      Map<Integer, Long> bySubtask = scoresBySubtask(batch2, maxParallelism, 2);
      assertThat(bySubtask)
          .as("batch-2 scores (all by %s) per scoring subtask", version)
          .containsOnlyKeys(0, 1);
      System.out.println(
          "batch 2 after the hot swap: "
              + perId.size()
              + " scored once each; batch 2 by "
              + version
              + " per subtask "
              + bySubtask);

      String stopped =
          millrace(
              jar,
              Duration.ofMinutes(6),
              "pipeline",
              "--task",
              "fraud",
              "--submit",
              rest,
              "--stop-with-savepoint",
              job);
      String savepoint = match(stopped, "Savepoint: (\\S+)");
      // The REST answer with the savepoint can come a moment before the job shows FINISHED.
      long finishBy = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!"FINISHED".equals(state(rest, job)) && System.nanoTime() < finishBy) {
        Thread.sleep(250);
      }
      assertThat(state(rest, job)).isEqualTo("FINISHED");

      List<String> batch3 = publish(bootstrap, limit(transactions, BATCH), Pacing.max());
      String resumed =
          millrace(jar, Duration.ofMinutes(4), submitArgs(rest, bootstrap, jobJar, savepoint));
      String job2 = match(resumed, "Fraud job ([0-9a-f]{32}) submitted");
      assertThat(resumed).contains("from savepoint " + savepoint);
      awaitRunningOnBothTaskManagers(rest, job2);
      perId = awaitScores(bootstrap, scores, 3 * BATCH, Duration.ofMinutes(4));
      assertExactlyOnce(perId);
      // The model in use is part of the savepoint: the resumed job serves it from the start.
      assertThat(versions(perId, batch3)).as("versions after the resume").containsOnly(version);
      System.out.println("batch 3 after the savepoint: " + perId.size() + " scored once each");

      // A TaskManager dies mid-stream: the job restarts on the survivor's two slots.
      List<String> batch4 = java.util.Collections.synchronizedList(new ArrayList<>());
      Thread publisher =
          new Thread(
              () -> batch4.addAll(publish(bootstrap, limit(transactions, BATCH), Pacing.rate(40))),
              "publish");
      publisher.start();
      awaitScores(bootstrap, scores, 3 * BATCH + 50, Duration.ofMinutes(3));
      long tm1 = pid(dir, "taskmanager-1");
      ProcessHandle.of(tm1).orElseThrow().destroyForcibly();
      System.out.println("killed taskmanager-1 (pid " + tm1 + ") with SIGKILL");
      publisher.join(TimeUnit.MINUTES.toMillis(3));
      assertThat(publisher.isAlive()).as("publisher still running after 3 min").isFalse();
      perId = awaitScores(bootstrap, scores, 4 * BATCH, Duration.ofMinutes(5));
      assertExactlyOnce(perId);
      // The JobManager may fail over more than once (first the broken connections, then the
      // heartbeat timeout of the lost TaskManager); in the end the job runs on the survivor.
      Set<String> survivors = awaitRunning(rest, job2);
      assertThat(survivors).as("TaskManagers running the job after the kill").hasSize(1);
      assertThat(restarts(rest, job2)).as("restarts after the SIGKILL").isPositive();
      perId = awaitScores(bootstrap, scores, 4 * BATCH, Duration.ofSeconds(30));
      assertExactlyOnce(perId);
      assertThat(versions(perId, batch4)).as("versions across the failover").containsOnly(version);
      System.out.printf(
          "batch 4 across the lost TaskManager: %d scored once each after %d restart(s)%n",
          perId.size(), restarts(rest, job2));
    } finally {
      System.out.println(
          millrace(jar, Duration.ofMinutes(3), "cluster", "down", "--dir", dir.toString()));
    }
    // status says so and exits 1 when a process of the cluster is down.
    String after =
        millrace(jar, Duration.ofMinutes(1), 1, "cluster", "status", "--dir", dir.toString());
    assertThat(after).doesNotContain(" up ");
    assertThat(after.lines().filter(l -> l.contains(" DOWN ")).count()).isEqualTo(6);
  }

  /**
   * Trains a small fraud model with the trainer's own {@link TabularTrainer} on the pipeline's own
   * features of generated transactions, writes it to the model store, announces it as champion.
   */
  private static ModelAnnouncement trainStoreAndAnnounce(
      Path storeDir, String version, String bootstrap) throws IOException {
    int rows = 3000;
    FraudGenerator generator =
        new FraudGenerator(FraudGenerator.Settings.defaults().withSeed(11).withSize(300, 600));
    FraudFeatureEngine engine = new FraudFeatureEngine(Duration.ofHours(1));
    float[][] features = new float[rows][];
    float[] labels = new float[rows];
    long[] times = new long[rows];
    String[] customers = new String[rows];
    for (int i = 0; i < rows; i++) {
      LabeledTransaction tx = generator.next();
      features[i] = engine.onTransaction(tx.tx());
      labels[i] = tx.fraud() ? 1f : 0f;
      times[i] = tx.eventTime().toEpochMilli();
      customers[i] = tx.customerId();
    }
    TrainSettings fast =
        new TrainSettings(4, 256, 1e-2f, 1e-4f, new int[] {32, 16}, 0f, false, 7L, true);
    ModelBundle bundle;
    long t0 = System.nanoTime();
    try (TrainedModel m =
        new TabularTrainer(fast)
            .train(
                "fraud",
                version,
                FraudFeatures.SCHEMA,
                new Dataset(features, labels, times, customers),
                null)) {
      bundle = m.toBundle(Map.of(), null, null);
    }
    ModelStore store = new ModelStore(storeDir.toUri());
    URI uri = store.put(bundle);
    ModelAnnouncement a =
        ModelAnnouncement.newBuilder()
            .setTask(Task.FRAUD)
            .setVersion(version)
            .setArtifactUri(uri.toString())
            .setSha256(store.sha256(uri))
            .setFeatureSchemaFingerprint(FraudFeatures.SCHEMA.fingerprint())
            .setMetrics(Map.of())
            .setStatus(ModelStatus.CHAMPION)
            .setAnnouncedAt(Instant.now())
            .build();
    try (ModelAnnouncements announcements =
        new ModelAnnouncements(bootstrap, TopicRegistry.standard())) {
      announcements.announce(a, Duration.ofSeconds(60));
    }
    System.out.printf(
        "trained %s on %d rows in %.1f s, stored at %s, announced%n",
        version, rows, (System.nanoTime() - t0) / 1e9, uri);
    return a;
  }

  /** The job's scoring vertex (the one chaining the scoring operator) from {@code /jobs/{id}}. */
  private static JsonNode scoringVertex(String rest, String job) throws Exception {
    for (JsonNode v : get(rest + "/jobs/" + job).path("vertices")) {
      if (v.path("name").asText().contains(Scoring.NAME)) {
        return v;
      }
    }
    throw new AssertionError("no vertex named like '" + Scoring.NAME + "' in job " + job);
  }

  /**
   * Waits until every subtask of the scoring vertex reports {@code version} as its {@code
   * modelVersion} gauge (Flink REST, per subtask); returns subtask index to TaskManager id.
   */
  private static Map<Integer, String> awaitModelOnEverySubtask(
      String rest, String job, String version) throws Exception {
    JsonNode vertex = scoringVertex(rest, job);
    String base = rest + "/jobs/" + job + "/vertices/" + vertex.path("id").asText();
    int parallelism = vertex.path("parallelism").asInt();
    assertThat(parallelism).as("scoring parallelism").isEqualTo(2);
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    Map<Integer, String> seen = new TreeMap<>();
    while (true) {
      seen.clear();
      for (int i = 0; i < parallelism; i++) {
        String id = null;
        for (JsonNode m : get(base + "/subtasks/" + i + "/metrics")) {
          if (m.path("id").asText().endsWith("." + "modelVersion")) {
            id = m.path("id").asText();
          }
        }
        if (id != null) {
          JsonNode value =
              get(
                  base
                      + "/subtasks/"
                      + i
                      + "/metrics?get="
                      + java.net.URLEncoder.encode(id, StandardCharsets.UTF_8));
          seen.put(i, value.path(0).path("value").asText());
        }
      }
      if (seen.size() == parallelism && seen.values().stream().allMatch(version::equals)) {
        break;
      }
      assertThat(System.nanoTime())
          .as("every scoring subtask's modelVersion gauge at %s, seen %s", version, seen)
          .isLessThan(deadline);
      Thread.sleep(1000);
    }
    Map<Integer, String> tms = new TreeMap<>();
    for (JsonNode s : get(base).path("subtasks")) {
      tms.put(s.path("subtask").asInt(), s.path("taskmanager-id").asText());
    }
    assertThat(tms).as("scoring subtasks' TaskManagers").hasSize(parallelism);
    return tms;
  }

  /**
   * Counts the given transactions by the scoring subtask that scored them: scoring runs after the
   * keyBy on the terminal id, so Flink's key-group assignment of that id names the subtask.
   */
  private Map<Integer, Long> scoresBySubtask(List<String> ids, int maxParallelism, int p) {
    Map<Integer, Long> n = new TreeMap<>();
    for (String id : ids) {
      String terminal = sent.get(id);
      n.merge(
          KeyGroupRangeAssignment.assignKeyToParallelOperator(terminal, maxParallelism, p),
          1L,
          Long::sum);
    }
    return n;
  }

  /** The model versions named by the scores of these transactions. */
  private static Set<String> versions(Map<String, List<ScoreRecord>> perId, List<String> ids) {
    Set<String> v = new java.util.TreeSet<>();
    for (String id : ids) {
      for (ScoreRecord r : perId.getOrDefault(id, List.of())) {
        // A fallback score says why: "fallback/NO_MODEL"; a model's score is its version alone.
        v.add(
            r.getModelVersion()
                + (r.getFallbackReason() == null ? "" : "/" + r.getFallbackReason()));
      }
    }
    return v;
  }

  private static String[] submitArgs(String rest, String bootstrap, Path jobJar, String savepoint) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "pipeline",
                "--task",
                "fraud",
                "--submit",
                rest,
                "--job-jar",
                jobJar.toString(),
                "--bootstrap-servers",
                bootstrap,
                "--parallelism",
                "2",
                "--checkpoint-interval",
                "2s",
                "--state-backend",
                "hashmap"));
    if (savepoint != null) {
      a.addAll(List.of("--from-savepoint", savepoint));
    }
    return a.toArray(String[]::new);
  }

  /** Runs the built millrace jar; fails with its output unless it exits 0. */
  private static String millrace(Path jar, Duration timeout, String... args)
      throws IOException, InterruptedException {
    return millrace(jar, timeout, 0, args);
  }

  /** Runs the built millrace jar; fails with its output unless it exits with {@code exit}. */
  private static String millrace(Path jar, Duration timeout, int exit, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Dai.djl.offline=true");
    cmd.add("-jar");
    cmd.add(jar.toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out;
    try (var in = p.getInputStream()) {
      out = in.readAllBytes();
    }
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
    }
    String text = new String(out, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("millrace %s%n%s", String.join(" ", args), text).isEqualTo(exit);
    return text;
  }

  private static String match(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertThat(m.find()).as("'%s' in%n%s", regex, text).isTrue();
    return m.group(1);
  }

  /** Publishes the transactions; returns their ids. */
  private List<String> publish(
      String bootstrap, Iterator<LabeledTransaction> source, Pacing pacing) {
    List<String> ids = new ArrayList<>();
    Iterator<LabeledTransaction> recording =
        new Iterator<>() {
          @Override
          public boolean hasNext() {
            return source.hasNext();
          }

          @Override
          public LabeledTransaction next() {
            LabeledTransaction t = source.next();
            ids.add(Long.toString(t.tx().getTransactionId()));
            return t;
          }
        };
    try (FraudPublisher p =
        new FraudPublisher(
            TopicRegistry.standard(),
            FraudPublisher.Settings.defaults(bootstrap).withPacing(pacing))) {
      p.publish(recording, FraudPublisher.Listener.NONE);
    }
    return ids;
  }

  /** Id to terminal id of every transaction handed to a publisher so far. */
  private final Map<String, String> sent = new java.util.concurrent.ConcurrentHashMap<>();

  private Iterator<LabeledTransaction> limit(Iterator<LabeledTransaction> it, int n) {
    return new Iterator<>() {
      int left = n;

      @Override
      public boolean hasNext() {
        return left > 0 && it.hasNext();
      }

      @Override
      public LabeledTransaction next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        left--;
        LabeledTransaction t = it.next();
        sent.put(Long.toString(t.tx().getTransactionId()), t.tx().getTerminalId());
        return t;
      }
    };
  }

  /** Scores per transaction id, read with read_committed until {@code n} or the timeout. */
  private static Map<String, List<ScoreRecord>> awaitScores(
      String bootstrap, Topic<String, ScoreRecord> topic, int n, Duration timeout) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    Map<String, List<ScoreRecord>> perId = new HashMap<>();
    int total = 0;
    try (KafkaConsumer<String, ScoreRecord> c =
        new KafkaConsumer<>(
            p, topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
      List<TopicPartition> parts =
          c.partitionsFor(topic.name(), Duration.ofSeconds(30)).stream()
              .map(i -> new TopicPartition(i.topic(), i.partition()))
              .toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (total < n && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, ScoreRecord> r : c.poll(Duration.ofMillis(500))) {
          perId.computeIfAbsent(r.value().getEventId(), k -> new ArrayList<>()).add(r.value());
          total++;
        }
      }
      long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (System.nanoTime() < settle) {
        for (ConsumerRecord<String, ScoreRecord> r : c.poll(Duration.ofMillis(500))) {
          perId.computeIfAbsent(r.value().getEventId(), k -> new ArrayList<>()).add(r.value());
        }
      }
    }
    return perId;
  }

  /** Exactly one score for each transaction sent so far, none for anything else. */
  private void assertExactlyOnce(Map<String, List<ScoreRecord>> perId) {
    List<String> twice =
        perId.entrySet().stream()
            .filter(e -> e.getValue().size() > 1)
            .map(Map.Entry::getKey)
            .toList();
    List<String> missing = sent.keySet().stream().filter(id -> !perId.containsKey(id)).toList();
    List<String> unexpected = perId.keySet().stream().filter(id -> !sent.containsKey(id)).toList();
    assertThat(twice).as("transactions scored more than once").isEmpty();
    assertThat(missing).as("transactions without a score").isEmpty();
    assertThat(unexpected).as("scores of transactions never sent").isEmpty();
  }

  /** Every vertex's subtasks run, and they run on both TaskManagers. */
  private static void awaitRunningOnBothTaskManagers(String rest, String job) throws Exception {
    assertThat(awaitRunning(rest, job)).as("TaskManagers running the job's subtasks").hasSize(2);
  }

  /** The job's {@code numRestarts} metric. */
  private static long restarts(String rest, String job) throws Exception {
    JsonNode m = get(rest + "/jobs/" + job + "/metrics?get=numRestarts");
    return m.isArray() && m.size() > 0 ? m.get(0).path("value").asLong() : -1;
  }

  /** Waits until every vertex's subtasks run; returns the TaskManagers they run on. */
  private static Set<String> awaitRunning(String rest, String job) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (true) {
      JsonNode j = get(rest + "/jobs/" + job);
      boolean running =
          "RUNNING".equals(j.path("state").asText())
              && j.path("vertices").findValues("status").stream()
                  .allMatch(s -> "RUNNING".equals(s.asText()));
      if (running) {
        java.util.Set<String> tms = new java.util.HashSet<>();
        for (JsonNode v : j.path("vertices")) {
          JsonNode byTm =
              get(rest + "/jobs/" + job + "/vertices/" + v.path("id").asText() + "/taskmanagers");
          byTm.path("taskmanagers").forEach(t -> tms.add(t.path("taskmanager-id").asText()));
        }
        return tms;
      }
      assertThat(System.nanoTime())
          .as("job %s running: %s", job, j.path("state"))
          .isLessThan(deadline);
      Thread.sleep(500);
    }
  }

  private static String state(String rest, String job) throws Exception {
    return get(rest + "/jobs/" + job).path("state").asText();
  }

  private static JsonNode get(String url) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body());
  }

  private static long pid(Path dir, String name) throws IOException {
    return Long.parseLong(Files.readString(dir.resolve("pids").resolve(name + ".pid")).trim());
  }

  /** The first of {@code n} consecutive free loopback ports. */
  private static int freeRange(int n) throws IOException {
    Random random = new Random();
    for (int attempt = 0; attempt < 200; attempt++) {
      // Below Linux's ephemeral range (32768+), where other processes' client sockets come from.
      int base = 20000 + random.nextInt(12000);
      boolean free = true;
      for (int i = 0; i < n && free; i++) {
        try (ServerSocket s = new ServerSocket(base + i, 1, InetAddress.getLoopbackAddress())) {
          s.setReuseAddress(true);
        } catch (IOException busy) {
          free = false;
        }
      }
      if (free) {
        return base;
      }
    }
    throw new IOException("no " + n + " consecutive free ports");
  }
}
