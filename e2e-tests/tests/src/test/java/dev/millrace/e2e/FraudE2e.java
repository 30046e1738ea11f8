package dev.millrace.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.ingest.fraud.FraudGenerator;
import dev.millrace.ingest.fraud.FraudPublisher;
import dev.millrace.ingest.fraud.LabeledTransaction;
import dev.millrace.pipeline.fraud.FraudFeatures;
import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.pipeline.fraud.KafkaFraudJob;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.scorer.flink.Scoring;
import dev.millrace.testkit.FlinkTestCluster;
import dev.millrace.testkit.TestKafka;
import dev.millrace.trainer.ModelAnnouncements;
import dev.millrace.trainer.RunDecision;
import dev.millrace.trainer.TrainerService;
import dev.millrace.trainer.TrainerSettings;
import dev.millrace.trainer.TrainingRecord;
import dev.millrace.trainer.eval.EvalSettings;
import dev.millrace.trainer.eval.PromotionMetric;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.groups.OperatorMetricGroup;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.executiongraph.AccessExecutionVertex;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Helpers shared by the fraud end-to-end tests. */
final class FraudE2e {

  private static final Logger LOG = LoggerFactory.getLogger(FraudE2e.class);

  private FraudE2e() {}

  /**
   * Hands out generated transactions until a limit that the test may move while a publisher runs on
   * another thread; every transaction handed out is sent (the publisher is never stopped), so the
   * ids sent are exactly {@code 0 .. handedOut()-1}.
   */
  static final class Limited implements Iterator<LabeledTransaction> {
    private final Iterator<LabeledTransaction> source;
    private final AtomicLong handedOut = new AtomicLong();
    private volatile long limit;

    Limited(Iterator<LabeledTransaction> source, long limit) {
      this.source = source;
      this.limit = limit;
    }

    @Override
    public boolean hasNext() {
      return handedOut.get() < limit && source.hasNext();
    }

    @Override
    public LabeledTransaction next() {
      handedOut.incrementAndGet();
      return source.next();
    }

    void limit(long newLimit) {
      limit = newLimit;
    }

    long limit() {
      return limit;
    }

    long handedOut() {
      return handedOut.get();
    }
  }

  /**
   * Job settings on the test's broker and topic namespace, with a consumer group and transactional
   * ids of that namespace; the test adds its own parallelism, checkpoint interval and the rest.
   */
  static FraudPipelineSettings.Builder jobSettings(TestKafka kafka) {
    return FraudPipelineSettings.builder(kafka.bootstrapServers())
        .topics(kafka.topics())
        .consumerGroupId(kafka.namespace() + "-job")
        .transactionalIdPrefix(kafka.namespace());
  }

  /**
   * The trainer as the e2e tests run it: production defaults and gate (average precision, margin 0,
   * card precision at 100), the small {@link TestModels#FAST} net, models and history under {@code
   * dir}; each test adds its retraining cadence and window.
   */
  static TrainerSettings trainerSettings(TestKafka kafka, Path dir) {
    return TrainerSettings.defaults(
            kafka.bootstrapServers(),
            kafka.topics(),
            Task.FRAUD,
            FraudFeatures.SCHEMA,
            dir.resolve("models").toUri())
        .withPromotion(PromotionMetric.AVERAGE_PRECISION, 0.0, 100)
        .withTrainSettings(TestModels.FAST)
        .withHistoryDir(dir.resolve("history"));
  }

  /**
   * Production's evaluation with a 1-day gap before the evaluation slice instead of the 7-day label
   * maturity: with the full gap the first run that can train comes after about 16 days of event
   * time, more than these tests replay. The rest of the gate (bootstrap interval, seed check) is
   * production's; TimeSliceSplitTest tests the full gap.
   */
  static EvalSettings shortGapEvaluation() {
    return EvalSettings.defaults().withGap(Duration.ofDays(1));
  }

  /** Versions the trainer promoted (and announced), in order. */
  static List<String> promotedVersions(TrainerService trainer) {
    List<String> out = new ArrayList<>();
    for (TrainingRecord r : trainer.history().read()) {
      if (r.decision() == RunDecision.PROMOTED) {
        out.add(r.version());
      }
    }
    return out;
  }

  /** Polls {@code condition} every 100 ms until it holds; false when {@code timeout} passed. */
  static boolean await(BooleanSupplier condition, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    return true;
  }

  /** The number of records ever written to a (non-compacted) topic: the sum of its end offsets. */
  static long recordsIn(TestKafka kafka, Topic<?, ?> topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          c.partitionsFor(topic.name(), Duration.ofSeconds(30)).stream()
              .map(i -> new TopicPartition(i.topic(), i.partition()))
              .toList();
      return c.endOffsets(partitions, Duration.ofSeconds(30)).values().stream()
          .mapToLong(Long::longValue)
          .sum();
    }
  }

  /**
   * Asserts that the scores hold exactly one record for each transaction id {@code 0 .. n-1}: none
   * missing, none twice, nothing else.
   */
  static void assertExactlyOneScorePerTransaction(
      List<ConsumerRecord<String, ScoreRecord>> scores, long n) {
    Map<String, Long> perId =
        scores.stream()
            .collect(Collectors.groupingBy(r -> r.value().getEventId(), Collectors.counting()));
    List<String> duplicated =
        perId.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
    List<String> missing = new ArrayList<>();
    for (long id = 0; id < n; id++) {
      if (!perId.containsKey(Long.toString(id))) {
        missing.add(Long.toString(id));
      }
    }
    List<String> unexpected =
        perId.keySet().stream().filter(id -> !isIdBelow(id, n)).sorted().toList();
    assertThat(duplicated).as("transactions scored more than once").isEmpty();
    assertThat(missing).as("transactions without a score").isEmpty();
    assertThat(unexpected).as("scores of transactions never sent").isEmpty();
    assertThat(scores).hasSize(Math.toIntExact(n));
  }

  private static boolean isIdBelow(String id, long n) {
    try {
      long v = Long.parseLong(id);
      return v >= 0 && v < n;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** Scores per model version, sorted by version. */
  static Map<String, Long> scoresPerVersion(List<ConsumerRecord<String, ScoreRecord>> scores) {
    return scores.stream()
        .collect(
            Collectors.groupingBy(
                r -> r.value().getModelVersion(), TreeMap::new, Collectors.counting()));
  }

  /** The job ran without any restart: no task was ever redeployed and the job never restarted. */
  static void assertNeverRestarted(MiniCluster cluster, JobID job) throws Exception {
    AccessExecutionGraph graph = cluster.getExecutionGraph(job).get(30, TimeUnit.SECONDS);
    assertThat(graph.getState()).as("job status").hasToString("RUNNING");
    assertThat(graph.getStatusTimestamp(org.apache.flink.api.common.JobStatus.RESTARTING))
        .as("time the job entered RESTARTING (0: never)")
        .isZero();
    assertThat(maxAttemptNumber(graph)).as("highest task attempt number").isZero();
  }

  /** The highest execution attempt number over all subtasks (0 when nothing was redeployed). */
  static int maxAttemptNumber(AccessExecutionGraph graph) {
    int max = 0;
    for (AccessExecutionVertex v : graph.getAllExecutionVertices()) {
      max = Math.max(max, v.getCurrentExecutionAttempt().getAttemptNumber());
    }
    return max;
  }

  /** A counter of the operator named {@code operator}, one value per registered subtask. */
  static List<Long> operatorCounter(
      InMemoryReporter reporter, JobID job, String operator, String counter) {
    List<Long> values = new ArrayList<>();
    for (OperatorMetricGroup group : reporter.findOperatorMetricGroups(job, operator)) {
      Metric m = reporter.getMetricsByGroup(group).get(counter);
      if (m instanceof Counter c) {
        values.add(c.getCount());
      }
    }
    return values;
  }

  /** Whether every one of {@code subtasks} subtasks reports {@code counter >= atLeast}. */
  static boolean everySubtaskCounted(
      InMemoryReporter reporter,
      JobID job,
      String operator,
      String counter,
      int subtasks,
      long atLeast) {
    List<Long> values = operatorCounter(reporter, job, operator, counter);
    return values.size() >= subtasks && values.stream().allMatch(v -> v >= atLeast);
  }

  /**
   * Whether every one of {@code subtasks} subtasks' {@code modelVersion} gauge reads {@code
   * version}.
   */
  static boolean everySubtaskServes(
      InMemoryReporter reporter, JobID job, String operator, int subtasks, String version) {
    int serving = 0;
    for (OperatorMetricGroup group : reporter.findOperatorMetricGroups(job, operator)) {
      Metric m = reporter.getMetricsByGroup(group).get("modelVersion");
      if (m instanceof Gauge<?> g && version.equals(String.valueOf(g.getValue()))) {
        serving++;
      }
    }
    return serving >= subtasks;
  }

  /**
   * The refusal scenario of the tampered- and signed-model tests: the job under {@code settings}
   * (at {@code settings.parallelism()}) applies {@code good} on every scoring subtask and scores
   * {@code batch} generated transactions with it; then each of {@code bad} is announced and every
   * subtask refuses it; a second batch is still scored by {@code good} alone, exactly once per
   * transaction, with no restart.
   */
  static void assertBadModelsRefusedWhileTheGoodOneScores(
      TestKafka kafka,
      MiniCluster cluster,
      InMemoryReporter metrics,
      FraudPipelineSettings settings,
      ModelAnnouncement good,
      List<ModelAnnouncement> bad,
      int batch,
      Duration wait)
      throws Exception {
    int parallelism = settings.parallelism();
    String goodVersion = good.getVersion().toString();
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.getExecutionEnvironment(FlinkTestCluster.configuration());
    JobClient job = KafkaFraudJob.start(env, settings);
    JobID jobId = job.getJobID();
    Limited source =
        new Limited(
            new FraudGenerator(FraudGenerator.Settings.defaults().withSize(500, 1000)), batch);
    try (ModelAnnouncements announcements =
            new ModelAnnouncements(kafka.bootstrapServers(), kafka.topics());
        FraudPublisher publisher =
            new FraudPublisher(
                kafka.topics(), FraudPublisher.Settings.defaults(kafka.bootstrapServers()))) {

      // 1. The good model is applied by every scoring subtask, then a first batch is scored.
      announcements.announce(good, wait);
      assertThat(
              await(
                  () ->
                      everySubtaskCounted(
                          metrics, jobId, Scoring.NAME, "modelsApplied", parallelism, 1),
                  wait))
          .as("every scoring subtask applied %s", goodVersion)
          .isTrue();
      publisher.publish(source, FraudPublisher.Listener.NONE);
      List<ConsumerRecord<String, ScoreRecord>> first =
          kafka.readCommitted(
              kafka.topics().scores(Task.FRAUD), batch, wait, Duration.ofMillis(500));
      assertExactlyOneScorePerTransaction(first, batch);
      assertThat(scoresPerVersion(first)).containsOnlyKeys(goodVersion);

      // 2. The bad announcements arrive; every subtask refuses each.
      for (ModelAnnouncement a : bad) {
        announcements.announce(a, wait);
      }
      assertThat(
              await(
                  () ->
                      everySubtaskCounted(
                          metrics, jobId, Scoring.NAME, "modelsRefused", parallelism, bad.size()),
                  wait))
          .as("every scoring subtask refused all %d bad models", bad.size())
          .isTrue();
      assertThat(operatorCounter(metrics, jobId, Scoring.NAME, "modelsApplied"))
          .as("models applied per subtask: only the good one")
          .containsOnly(1L);

      // 3. Transactions sent after the refusals are still scored by the good model.
      source.limit(2L * batch);
      publisher.publish(source, FraudPublisher.Listener.NONE);
      List<ConsumerRecord<String, ScoreRecord>> all =
          kafka.readCommitted(
              kafka.topics().scores(Task.FRAUD), 2 * batch, wait, Duration.ofSeconds(2));
      assertExactlyOneScorePerTransaction(all, 2L * batch);
      assertThat(scoresPerVersion(all))
          .as("scores per model version")
          .containsOnlyKeys(goodVersion);
      assertThat(operatorCounter(metrics, jobId, Scoring.NAME, "modelsRefused"))
          .containsOnly((long) bad.size());
      assertNeverRestarted(cluster, jobId);
    } finally {
      job.cancel().get();
    }
  }

  /**
   * No transaction has two examples; every transaction whose event time is at or before the newest
   * example's (less a minute for out-of-order keys) has one; and the examples span the stop.
   */
  static void assertTrainingExamplesExactlyOnce(
      List<ConsumerRecord<String, TrainingExample>> training,
      List<ConsumerRecord<String, ScoreRecord>> scores,
      int trainingBeforeStop) {
    Map<String, Long> perId =
        training.stream()
            .collect(Collectors.groupingBy(r -> r.value().getEventId(), Collectors.counting()));
    assertThat(perId.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey))
        .as("transactions with more than one training example")
        .isEmpty();
    Instant newest =
        training.stream().map(r -> r.value().getEventTime()).max(Instant::compareTo).orElseThrow();
    Map<String, Instant> eventTimes =
        scores.stream()
            .collect(
                Collectors.toMap(
                    r -> r.value().getEventId(), r -> r.value().getEventTime(), (a, b) -> a));
    List<String> missing =
        eventTimes.entrySet().stream()
            .filter(e -> !e.getValue().isAfter(newest.minus(Duration.ofMinutes(1))))
            .map(Map.Entry::getKey)
            .filter(id -> !perId.containsKey(id))
            .sorted()
            .toList();
    assertThat(missing).as("matured transactions without a training example").isEmpty();
    assertThat(perId.keySet())
        .as("examples only for transactions that were sent")
        .allMatch(eventTimes::containsKey);
    assertThat(training.size())
        .as("training examples after the restart beyond the %d before it", trainingBeforeStop)
        .isGreaterThan(trainingBeforeStop + 1_000);
    LOG.info(
        "{} training examples ({} before the stop), {} positive, newest event time {}",
        training.size(),
        trainingBeforeStop,
        training.stream().filter(r -> r.value().getLabel() > 0.5).count(),
        newest);
  }
}
