package dev.millrace.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.ingest.ValidationRules;
import dev.millrace.ingest.churn.ChurnValidation;
import dev.millrace.pipeline.AvroParser;
import dev.millrace.pipeline.KafkaJobSettings;
import dev.millrace.pipeline.churn.ChurnFeatures;
import dev.millrace.pipeline.churn.ChurnSettings;
import dev.millrace.pipeline.churn.ChurnTask;
import dev.millrace.pipeline.task.KafkaTaskJob;
import dev.millrace.pipeline.task.TaskJobOptions;
import dev.millrace.schemas.AvroSerde;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.schemas.churn.ChurnActivity;
import dev.millrace.testkit.FlinkTestCluster;
import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.TestKafka;
import dev.millrace.trainer.model.ModelHead;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The churn task end to end on a real broker and a MiniCluster, through the shared task job ({@link
 * KafkaTaskJob} with {@link ChurnTask}): generated purchase lines with poison in; exactly one score
 * per accepted line, plus weekly re-scores of inactive customers; labels derived in the stream that
 * match the generated truth (no purchase within the horizon); then a model trained with DJL on
 * those examples is announced and applied without a restart.
 */
@ExtendWith(KafkaExtension.class)
class ChurnPipelineEndToEndTest {

  private static final Logger LOG = LoggerFactory.getLogger(ChurnPipelineEndToEndTest.class);

  private static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      FlinkTestCluster.extension(METRICS.addToConfiguration(new Configuration()));

  private static final Instant T0 = Instant.parse("2011-01-03T00:00:00Z");
  private static final Duration HORIZON = Duration.ofDays(30);
  private static final int CUSTOMERS = 120;
  private static final int PARALLELISM = 2;
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final String MODEL = "churn-e2e-1";

  @TempDir Path dir;

  private static ChurnActivity line(String customer, String invoice, int item, double day) {
    return ChurnActivity.newBuilder()
        .setCustomerId(customer)
        .setInvoiceId(invoice)
        .setItemId("i" + item)
        .setQuantity(1 + item)
        .setUnitPrice(2.5)
        .setCountry(customer.hashCode() % 2 == 0 ? "France" : "Germany")
        .setEventTime(T0.plusSeconds(Math.round(day * 86_400)))
        .build();
  }

  /** Purchase lines of generated customers between days {@code from} and {@code to}, by time. */
  private static List<ChurnActivity> generate(long seed, double from, double to) {
    Random random = new Random(seed);
    List<ChurnActivity> lines = new ArrayList<>();
    for (int c = 0; c < CUSTOMERS; c++) {
      double gap = 3 + random.nextDouble() * 20;
      double stops = random.nextBoolean() ? to : from + random.nextDouble() * (to - from);
      int n = 0;
      for (double d = from + random.nextDouble() * 20;
          d < stops;
          d += gap * -Math.log(random.nextDouble())) {
        String invoice = "s" + seed + "-c" + c + "-" + n++;
        int items = 1 + random.nextInt(3);
        for (int i = 0; i < items; i++) {
          lines.add(line("c" + c, invoice, i, d));
        }
      }
    }
    lines.sort(Comparator.comparing(ChurnActivity::getEventTime));
    return lines;
  }

  private static void publish(TestKafka kafka, List<ChurnActivity> lines, List<byte[]> poison)
      throws Exception {
    AvroSerde<ChurnActivity> serde = AvroSerde.of(ChurnActivity.class);
    String topic = kafka.topics().events(Task.CHURN).name();
    try (KafkaProducer<byte[], byte[]> producer = kafka.rawProducer()) {
      for (ChurnActivity a : lines) {
        producer.send(
            new ProducerRecord<>(
                topic, a.getCustomerId().getBytes(StandardCharsets.UTF_8), serde.encode(a)));
      }
      for (byte[] p : poison) {
        producer.send(new ProducerRecord<>(topic, "poison".getBytes(StandardCharsets.UTF_8), p));
      }
      producer.flush();
    }
  }

  @Test
  void linesAreScoredOnceInactiveCustomersRescoredLabelsMatureAndANewModelIsApplied(
      TestKafka kafka, @InjectMiniCluster MiniCluster cluster) throws Exception {
    kafka.createTopics(Task.CHURN);
    ChurnSettings churn = ChurnSettings.defaults().withHorizon(HORIZON);
    ChurnTask task =
        new ChurnTask(
            churn,
            new ValidationRules(Instant.parse("2000-01-01T00:00:00Z"), Duration.ofDays(1)),
            kafka.topics().events(Task.CHURN).name());
    KafkaJobSettings kafkaJob = TaskE2e.kafkaJob(kafka, Task.CHURN);
    TaskJobOptions options = TaskE2e.options(Task.CHURN, PARALLELISM);
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.getExecutionEnvironment(FlinkTestCluster.configuration());
    JobClient job = KafkaTaskJob.start(env, task, kafkaJob, options);
    JobID jobId = job.getJobID();
    try {
      // 1. Half a year of purchase lines, with poison of the shared and of the task's kinds.
      List<ChurnActivity> first = generate(1, 0, 200);
      ChurnActivity noCustomer =
          ChurnActivity.newBuilder(first.get(0)).setCustomerId(" ").setInvoiceId("x1").build();
      ChurnActivity zeroQuantity =
          ChurnActivity.newBuilder(first.get(1)).setQuantity(0).setInvoiceId("x2").build();
      AvroSerde<ChurnActivity> serde = AvroSerde.of(ChurnActivity.class);
      publish(
          kafka,
          first,
          List.of(
              "garbage".getBytes(StandardCharsets.UTF_8),
              serde.encode(noCustomer),
              serde.encode(zeroQuantity)));

      // Every accepted line has exactly one score (by customer and line id), no poison has one.
      List<ConsumerRecord<String, ScoreRecord>> scores =
          readScores(kafka, first.size(), Duration.ofSeconds(5));
      Map<String, Long> perLine = perLine(scores);
      assertThat(perLine.values()).as("scores per scoring point").containsOnly(1L);
      TreeSet<String> lineIds =
          first.stream()
              .map(a -> a.getCustomerId() + " " + a.getInvoiceId() + "/" + a.getItemId())
              .collect(Collectors.toCollection(TreeSet::new));
      assertThat(lineIds).hasSize(first.size());
      assertThat(perLine.keySet().stream().filter(k -> !k.contains(" rescore/")))
          .as("line scores")
          .containsExactlyInAnyOrderElementsOf(lineIds);
      // Customers who went quiet were re-scored weekly after their newest line.
      List<ScoreRecord> rescores =
          scores.stream()
              .map(ConsumerRecord::value)
              .filter(s -> s.getEventId().startsWith("rescore/"))
              .toList();
      assertThat(rescores).as("re-scores of inactive customers").isNotEmpty();
      Map<String, Instant> newest = new HashMap<>();
      for (ChurnActivity a : first) {
        newest.merge(a.getCustomerId(), a.getEventTime(), (x, y) -> x.isAfter(y) ? x : y);
      }
      for (ScoreRecord r : rescores) {
        Duration after = Duration.between(newest.get(r.getEntityId()), r.getEventTime());
        if (r.getEventTime().isBefore(newest.get(r.getEntityId()))) {
          continue; // a re-score between two purchases
        }
        assertThat(after.toMillis() % Duration.ofDays(7).toMillis())
            .as("re-score of %s %s after its newest line", r.getEntityId(), after)
            .isZero();
      }
      List<ConsumerRecord<byte[], DeadLetter>> dead =
          kafka.readCommitted(kafka.topics().dlq(Task.CHURN), 3, WAIT, Duration.ofSeconds(1));
      assertThat(dead)
          .extracting(r -> r.value().getReasonCode())
          .containsExactlyInAnyOrder(
              AvroParser.UNDECODABLE,
              ChurnValidation.MISSING_CUSTOMER_ID,
              ChurnValidation.NON_POSITIVE_QUANTITY);

      // Labels matured in event time; each matches the generated truth: 1 when the customer
      // bought nothing in (t, t + horizon].
      List<ConsumerRecord<String, TrainingExample>> training =
          kafka.readCommitted(
              kafka.topics().training(Task.CHURN), 500, WAIT, Duration.ofSeconds(3));
      assertThat(training).as("matured churn examples").hasSizeGreaterThan(500);
      Map<String, List<Instant>> purchases = new HashMap<>();
      for (ChurnActivity a : first) {
        purchases.computeIfAbsent(a.getCustomerId(), k -> new ArrayList<>()).add(a.getEventTime());
      }
      long positives = 0;
      for (ConsumerRecord<String, TrainingExample> r : training) {
        TrainingExample e = r.value();
        Instant t = e.getEventTime();
        assertThat(purchases).as("the example's customer").containsKey(e.getEntityId());
        boolean boughtAgain =
            purchases.get(e.getEntityId()).stream()
                .anyMatch(p -> p.isAfter(t) && !p.isAfter(t.plus(HORIZON)));
        assertThat(e.getLabel())
            .as("label of %s at %s", e.getEntityId(), t)
            .isEqualTo(boughtAgain ? 0.0 : 1.0);
        assertThat(e.getModelVersion()).isEqualTo("fallback");
        positives += e.getLabel() > 0.5 ? 1 : 0;
      }
      assertThat(positives).as("churned examples").isPositive().isLessThan(training.size());
      LOG.info(
          "{} lines scored once, {} re-scores, {} examples ({} churned)",
          lineIds.size(),
          rescores.size(),
          training.size(),
          positives);

      // 2. A model trained with DJL on the stream's own examples is applied without a restart.
      ModelAnnouncement model =
          TaskE2e.trainAndStore(
              Task.CHURN, MODEL, ChurnFeatures.SCHEMA, ModelHead.binary(), Map.of(), training, dir);
      TaskE2e.announceAndAwaitServed(kafka, model, METRICS, jobId, PARALLELISM, WAIT);
      List<ChurnActivity> second = generate(2, 200, 230);
      publish(kafka, second, List.of());
      List<ConsumerRecord<String, ScoreRecord>> all =
          readScores(kafka, scores.size() + second.size(), Duration.ofSeconds(5));
      assertThat(perLine(all).values())
          .as("scores per scoring point, both batches")
          .containsOnly(1L);
      Map<String, String> secondVersions =
          all.stream()
              .map(ConsumerRecord::value)
              .filter(s -> s.getEventId().startsWith("s2-"))
              .collect(
                  Collectors.toMap(
                      s -> s.getEntityId() + " " + s.getEventId(), ScoreRecord::getModelVersion));
      assertThat(secondVersions).hasSize(second.size());
      assertThat(secondVersions.values())
          .as("versions scoring the second batch")
          .containsOnly(MODEL);
      FraudE2e.assertNeverRestarted(cluster, jobId);
    } finally {
      job.cancel().get();
    }
  }

  private static List<ConsumerRecord<String, ScoreRecord>> readScores(
      TestKafka kafka, int atLeast, Duration settle) {
    return kafka.readCommitted(kafka.topics().scores(Task.CHURN), atLeast, WAIT, settle);
  }

  private static Map<String, Long> perLine(List<ConsumerRecord<String, ScoreRecord>> scores) {
    return scores.stream()
        .map(ConsumerRecord::value)
        .collect(
            Collectors.groupingBy(
                s -> s.getEntityId() + " " + s.getEventId(), Collectors.counting()));
  }
}
