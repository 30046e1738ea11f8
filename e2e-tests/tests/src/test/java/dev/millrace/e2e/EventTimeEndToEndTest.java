package dev.millrace.e2e;

import static dev.millrace.e2e.FraudE2e.operatorCounter;
import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.ingest.fraud.FraudGenerator;
import dev.millrace.ingest.fraud.LabeledTransaction;
import dev.millrace.pipeline.AvroParser;
import dev.millrace.pipeline.fraud.FraudFeatures;
import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.pipeline.fraud.KafkaFraudJob;
import dev.millrace.pipeline.fraud.ParseTransactions;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.schemas.fraud.FraudLabel;
import dev.millrace.schemas.fraud.FraudTransaction;
import dev.millrace.scorer.model.DjlModelLoader;
import dev.millrace.testkit.FlinkTestCluster;
import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.TestKafka;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Event time on a real broker and a real MiniCluster (DESIGN §4.6: whether a label reaches its
 * example never depends on replay speed or topic timing; one record cannot hijack event time).
 *
 * <ul>
 *   <li>Backlog: both topics fully written before the job starts, so the labels source reads days
 *       ahead of the events source; every fraud label reaches its example.
 *   <li>Events long before labels: the job has scored every transaction before the first label is
 *       published; no example is declared "genuine" before the labels' own event time passed it.
 *   <li>A far-future valid event (within a day of the wall clock, years ahead of the stream) is
 *       dead-lettered, and the features and labels of all other events are those of a run without
 *       it.
 * </ul>
 *
 * <p>Data: {@value #DAYS} days of the seeded generator with {@value #CUSTOMERS} customers (about
 * 200 transactions a day); fraud labels published at transaction time + 7 days.
 */
@ExtendWith(KafkaExtension.class)
class EventTimeEndToEndTest {

  private static final Logger LOG = LoggerFactory.getLogger(EventTimeEndToEndTest.class);

  private static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      FlinkTestCluster.extension(METRICS.addToConfiguration(new Configuration()));

  private static final int CUSTOMERS = 100;
  private static final int TERMINALS = 200;
  private static final int DAYS = 21;
  private static final Instant START = Instant.parse("2018-04-01T00:00:00Z");
  private static final Duration LABEL_DELAY = Duration.ofDays(7);
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String LABEL_JOIN = "Label join";

  /** Ids of the far-future transactions (one per partition). */
  private static final long FAR_FUTURE_ID = 9_000_000;

  /** Ids of the transactions that only move event time forward at the end of a run. */
  private static final long TICK_ID = 8_000_000;

  private static List<LabeledTransaction> transactions() {
    List<LabeledTransaction> out = new ArrayList<>();
    new FraudGenerator(
            FraudGenerator.Settings.defaults().withSize(CUSTOMERS, TERMINALS).withStart(START))
        .until(START.plus(Duration.ofDays(DAYS)))
        .forEachRemaining(out::add);
    return out;
  }

  /**
   * Fraud labels at transaction time + 7 days: the generator's frauds (few at this size) and, so
   * that there are enough of them, every 25th transaction.
   */
  private static List<FraudLabel> fraudLabels(List<LabeledTransaction> txs) {
    return txs.stream()
        .filter(t -> t.fraud() || t.tx().getTransactionId() % 25 == 0)
        .map(t -> new LabeledTransaction(t.tx(), true, t.fraud() ? t.scenario() : 1))
        .map(t -> t.label(t.eventTime().plus(LABEL_DELAY)))
        .sorted((a, b) -> a.getLabelTime().compareTo(b.getLabelTime()))
        .toList();
  }

  private static FraudPipelineSettings.Builder settings(TestKafka kafka, TopicRegistry topics) {
    return FraudPipelineSettings.builder(kafka.bootstrapServers())
        .topics(topics)
        .consumerGroupId(topics.fraudEvents().name() + "-job")
        .transactionalIdPrefix(topics.fraudEvents().name())
        .parallelism(2)
        .checkpointInterval(Duration.ofMillis(500))
        .transactionTimeout(Duration.ofMinutes(2))
        .labelDelay(LABEL_DELAY);
  }

  private static void sendEvents(
      TestKafka kafka, TopicRegistry topics, List<FraudTransaction> txs) {
    Topic<String, FraudTransaction> t = topics.fraudEvents();
    kafka.send(
        t, txs.stream().map(tx -> new ProducerRecord<>(t.name(), tx.getCustomerId(), tx)).toList());
  }

  private static void sendLabels(TestKafka kafka, TopicRegistry topics, List<FraudLabel> labels) {
    Topic<String, FraudLabel> t = topics.fraudLabels();
    kafka.send(
        t, labels.stream().map(l -> new ProducerRecord<>(t.name(), l.getCustomerId(), l)).toList());
  }

  /** What a run wrote, read with read_committed. */
  private record Outputs(
      List<ScoreRecord> scores, Map<String, TrainingExample> examples, List<DeadLetter> dlq) {

    long positives() {
      return examples.values().stream().filter(e -> e.getLabel() == 1.0).count();
    }

    Set<String> positiveIds() {
      return examples.values().stream()
          .filter(e -> e.getLabel() == 1.0)
          .map(TrainingExample::getEventId)
          .collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    Map<String, Long> reasons() {
      return dlq.stream()
          .collect(
              Collectors.groupingBy(
                  d -> d.getReasonCode().toString(), TreeMap::new, Collectors.counting()));
    }
  }

  private static Outputs read(
      TestKafka kafka, TopicRegistry topics, int scores, int examples, int deadLetters) {
    List<ScoreRecord> s =
        kafka.readCommitted(topics.scores(Task.FRAUD), scores, WAIT, Duration.ofSeconds(1)).stream()
            .map(ConsumerRecord::value)
            .toList();
    List<TrainingExample> t =
        kafka
            .readCommitted(topics.training(Task.FRAUD), examples, WAIT, Duration.ofSeconds(1))
            .stream()
            .map(ConsumerRecord::value)
            .toList();
    List<DeadLetter> d =
        kafka
            .readCommitted(topics.dlq(Task.FRAUD), deadLetters, WAIT, Duration.ofSeconds(1))
            .stream()
            .map(ConsumerRecord::value)
            .toList();
    Map<String, TrainingExample> byId =
        t.stream().collect(Collectors.toMap(TrainingExample::getEventId, Function.identity()));
    assertThat(byId).as("one example per event").hasSize(t.size());
    return new Outputs(s, byId, d);
  }

  /** Runs the job over what the topics hold now (bounded) and returns its id. */
  private static JobID runBounded(FraudPipelineSettings settings) throws Exception {
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.getExecutionEnvironment(FlinkTestCluster.configuration());
    KafkaFraudJob.attach(env, settings, new DjlModelLoader());
    return env.execute(KafkaFraudJob.JOB_NAME).getJobID();
  }

  private static Set<String> ids(List<FraudTransaction> txs) {
    return txs.stream()
        .map(tx -> Long.toString(tx.getTransactionId()))
        .collect(Collectors.toCollection(java.util.TreeSet::new));
  }

  private static Set<String> fraudIds(List<FraudLabel> labels) {
    return labels.stream()
        .map(l -> Long.toString(l.getTransactionId()))
        .collect(Collectors.toCollection(java.util.TreeSet::new));
  }

  @Test
  void withBothTopicsBackloggedEveryFraudLabelReachesItsExample(TestKafka kafka) throws Exception {
    kafka.createTopics(Task.FRAUD);
    TopicRegistry topics = kafka.topics();
    List<LabeledTransaction> data = transactions();
    List<FraudTransaction> txs = data.stream().map(LabeledTransaction::tx).toList();
    List<FraudLabel> labels = fraudLabels(data);
    // Labels first: the whole labels topic is there before the job reads any event.
    sendLabels(kafka, topics, labels);
    sendEvents(kafka, topics, txs);

    JobID job = runBounded(settings(kafka, topics).stopAtLatestOffsets(true).build());

    Outputs out = read(kafka, topics, txs.size(), txs.size(), 0);
    LOG.info(
        "backlog: {} transactions, {} fraud labels, {} examples, {} positive, dlq {}",
        txs.size(),
        labels.size(),
        out.examples().size(),
        out.positives(),
        out.reasons());
    assertThat(labels).hasSizeGreaterThan(10);
    assertThat(out.scores()).hasSize(txs.size());
    assertThat(out.examples().keySet()).isEqualTo(ids(txs));
    assertThat(out.positiveIds()).isEqualTo(fraudIds(labels));
    assertThat(out.dlq()).isEmpty();
    assertThat(operatorCounter(METRICS, job, LABEL_JOIN, "lateLabels")).containsOnly(0L);
  }

  @Test
  void labelsPublishedLongAfterEveryEventWasScoredStillReachTheirExamples(TestKafka kafka)
      throws Exception {
    kafka.createTopics(Task.FRAUD);
    TopicRegistry topics = kafka.topics();
    List<LabeledTransaction> data = transactions();
    List<FraudTransaction> txs = data.stream().map(LabeledTransaction::tx).toList();
    List<FraudLabel> labels = fraudLabels(data);
    sendEvents(kafka, topics, txs);

    // Events idle quickly; the labels source must not, although it has nothing for a while.
    FraudPipelineSettings settings =
        settings(kafka, topics).idleness(Duration.ofSeconds(1)).build();
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.getExecutionEnvironment(FlinkTestCluster.configuration());
    JobClient job = KafkaFraudJob.start(env, settings, new DjlModelLoader());
    try {
      // Every transaction scored, and the events source idle for a while, before any label.
      assertThat(kafka.readCommitted(topics.scores(Task.FRAUD), txs.size(), WAIT, Duration.ZERO))
          .hasSize(txs.size());
      Thread.sleep(3_000); // wall-clock idleness is what this test is about: nothing to wait on
      assertThat(
              kafka.readCommitted(
                  topics.training(Task.FRAUD), 1, Duration.ofSeconds(1), Duration.ZERO))
          .as("no example before the labels' event time passed its maturity")
          .isEmpty();
      sendLabels(kafka, topics, labels);
      // Then both sides move on past the last maturity, in steps the stream bound accepts.
      Instant end = txs.get(txs.size() - 1).getEventTime();
      int maturedTicks =
          sendTicks(kafka, topics, end, end.plus(LABEL_DELAY).plus(Duration.ofDays(2)), settings);

      Outputs out = read(kafka, topics, txs.size() + maturedTicks, txs.size() + maturedTicks, 0);
      Map<String, TrainingExample> main = new TreeMap<>(out.examples());
      main.keySet().retainAll(ids(txs));
      LOG.info(
          "labels late: {} transactions, {} fraud labels, {} examples, {} positive, dlq {}",
          txs.size(),
          labels.size(),
          main.size(),
          main.values().stream().filter(e -> e.getLabel() == 1.0).count(),
          out.reasons());
      assertThat(main.keySet()).isEqualTo(ids(txs));
      Set<String> positives =
          main.values().stream()
              .filter(e -> e.getLabel() == 1.0)
              .map(TrainingExample::getEventId)
              .collect(Collectors.toCollection(java.util.TreeSet::new));
      assertThat(positives).isEqualTo(fraudIds(labels));
      assertThat(out.dlq()).isEmpty();
      assertThat(operatorCounter(METRICS, job.getJobID(), LABEL_JOIN, "lateLabels"))
          .containsOnly(0L);
    } finally {
      job.cancel().get();
    }
  }

  /**
   * Moves event time of every events and labels partition from {@code from} to {@code to} in
   * half-day steps: one transaction per step and partition, each with an immediate genuine label.
   * Returns how many of them mature (emit an example) once the watermark follows.
   */
  private static int sendTicks(
      TestKafka kafka,
      TopicRegistry topics,
      Instant from,
      Instant to,
      FraudPipelineSettings settings) {
    int partitions = topics.fraudEvents().partitions();
    List<ProducerRecord<String, FraudTransaction>> events = new ArrayList<>();
    List<ProducerRecord<String, FraudLabel>> labels = new ArrayList<>();
    long id = TICK_ID;
    for (Instant t = from.plus(Duration.ofHours(12));
        !t.isAfter(to);
        t = t.plus(Duration.ofHours(12))) {
      for (int p = 0; p < partitions; p++) {
        FraudTransaction tx =
            FraudTransaction.newBuilder()
                .setTransactionId(id++)
                .setEventTime(t)
                .setCustomerId("tick-" + p)
                .setTerminalId("tick")
                .setAmount(1)
                .build();
        events.add(new ProducerRecord<>(topics.fraudEvents().name(), p, tx.getCustomerId(), tx));
        FraudLabel genuine =
            new LabeledTransaction(tx, false, 0).label(t); // known at once: genuine
        labels.add(
            new ProducerRecord<>(topics.fraudLabels().name(), p, tx.getCustomerId(), genuine));
      }
    }
    kafka.send(topics.fraudEvents(), events);
    kafka.send(topics.fraudLabels(), labels);
    long last = events.get(events.size() - 1).value().getEventTime().toEpochMilli();
    long watermark = last - settings.outOfOrderness().toMillis() - 1;
    long maturity = settings.labelDelay().plus(settings.labelGrace()).toMillis();
    return (int)
        events.stream()
            .filter(r -> r.value().getEventTime().toEpochMilli() + maturity <= watermark)
            .count();
  }

  @Test
  void aFarFutureValidEventIsDeadLetteredAndChangesNoOtherFeatureOrLabel(TestKafka kafka)
      throws Exception {
    List<LabeledTransaction> data = transactions();
    List<FraudTransaction> txs = data.stream().map(LabeledTransaction::tx).toList();
    List<FraudLabel> labels = fraudLabels(data);

    // Run A: the data as it is.
    TopicRegistry plain = TopicRegistry.namespaced(kafka.namespace() + "-plain");
    kafka.createTopics(plain.all(List.of(Task.FRAUD)));
    sendEvents(kafka, plain, txs);
    sendLabels(kafka, plain, labels);
    runBounded(settings(kafka, plain).stopAtLatestOffsets(true).build());
    Outputs a = read(kafka, plain, txs.size(), txs.size(), 0);

    // Run B: the same, with a valid transaction an hour before the wall clock (years ahead of the
    // 2018 stream) in the middle of every events partition. With per-split watermarks one record
    // can only move its own partition; one in each partition would move them all.
    TopicRegistry hijacked = TopicRegistry.namespaced(kafka.namespace() + "-hijacked");
    kafka.createTopics(hijacked.all(List.of(Task.FRAUD)));
    int half = txs.size() / 2;
    sendEvents(kafka, hijacked, txs.subList(0, half));
    int partitions = hijacked.fraudEvents().partitions();
    List<ProducerRecord<String, FraudTransaction>> farFuture = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      FraudTransaction tx =
          FraudTransaction.newBuilder(txs.get(half + p))
              .setTransactionId(FAR_FUTURE_ID + p)
              .setEventTime(Instant.now().minus(Duration.ofHours(1)))
              .build();
      farFuture.add(new ProducerRecord<>(hijacked.fraudEvents().name(), p, "future", tx));
    }
    kafka.send(hijacked.fraudEvents(), farFuture);
    sendEvents(kafka, hijacked, txs.subList(half, txs.size()));
    sendLabels(kafka, hijacked, labels);
    JobID jobB = runBounded(settings(kafka, hijacked).stopAtLatestOffsets(true).build());
    Outputs b = read(kafka, hijacked, txs.size(), txs.size(), partitions);

    LOG.info(
        "far future: run A {} examples ({} positive), run B {} examples ({} positive), dlq {}",
        a.examples().size(),
        a.positives(),
        b.examples().size(),
        b.positives(),
        b.reasons());
    // The far-future events are dead letters with their reason, nothing else is.
    assertThat(b.dlq()).hasSize(partitions);
    assertThat(b.dlq())
        .allSatisfy(
            d -> {
              assertThat(d.getReasonCode()).isEqualTo(AvroParser.EVENT_TIME_AHEAD_OF_STREAM);
              assertThat(d.getStage()).isEqualTo(ParseTransactions.STAGE);
              assertThat(d.getSourceTopic()).isEqualTo(hijacked.fraudEvents().name());
            });
    assertThat(b.dlq())
        .extracting(DeadLetter::getSourcePartition)
        .containsExactlyInAnyOrder(0, 1, 2);
    // Every other event: the same score ids, the same examples, labels and features as run A.
    assertThat(b.scores()).hasSize(txs.size());
    assertThat(a.examples().keySet()).isEqualTo(ids(txs));
    assertThat(b.examples().keySet()).isEqualTo(a.examples().keySet());
    assertThat(b.positiveIds()).isEqualTo(a.positiveIds()).isEqualTo(fraudIds(labels));
    int compared = 0;
    for (TrainingExample ea : a.examples().values()) {
      TrainingExample eb = b.examples().get(ea.getEventId());
      assertThat(eb.getLabel()).as("label of %s", ea.getEventId()).isEqualTo(ea.getLabel());
      assertThat(eb.getLabelTime())
          .as("label time of %s", ea.getEventId())
          .isEqualTo(ea.getLabelTime());
      // The transaction and customer features. The terminal features of a backlog depend, in
      // every run, on how the source interleaves the partitions (a terminal's transactions come
      // from many customers, so from every partition) and the two topics.
      for (int i = 0; i < FraudFeatures.TERMINAL_OFFSET; i++) {
        assertThat(eb.getFeatures().get(i))
            .as("%s of %s", FraudFeatures.NAMES.get(i), ea.getEventId())
            .isEqualTo(ea.getFeatures().get(i));
        compared++;
      }
    }
    assertThat(compared).isEqualTo(txs.size() * FraudFeatures.TERMINAL_OFFSET);
    assertThat(operatorCounter(METRICS, jobB, LABEL_JOIN, "lateLabels")).containsOnly(0L);
  }
}
