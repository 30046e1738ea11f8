package dev.millrace.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.ingest.ValidationRules;
import dev.millrace.pipeline.AvroParser;
import dev.millrace.pipeline.KafkaJobSettings;
import dev.millrace.pipeline.demand.DemandFeatureEngine;
import dev.millrace.pipeline.demand.DemandFeatures;
import dev.millrace.pipeline.demand.DemandScoringPoints;
import dev.millrace.pipeline.demand.DemandTask;
import dev.millrace.pipeline.task.KafkaTaskJob;
import dev.millrace.pipeline.task.TaskJobOptions;
import dev.millrace.schemas.AvroSerde;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.schemas.demand.DemandObservation;
import dev.millrace.schemas.demand.NextOpenDay;
import dev.millrace.schemas.demand.StoreDaySales;
import dev.millrace.testkit.FlinkTestCluster;
import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.TestKafka;
import dev.millrace.trainer.model.ModelHead;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
 * Store-day demand end to end on a real broker and a MiniCluster, through the shared task job
 * ({@link KafkaTaskJob} with {@link DemandTask}): generated stores' daily rows with poison in; one
 * score per open day (closed days are not scored); each forecast labelled with the realised sales
 * of the store's next open day; then a regression model trained with DJL on those examples is
 * announced and applied without a restart.
 */
@ExtendWith(KafkaExtension.class)
class DemandPipelineEndToEndTest {

  private static final Logger LOG = LoggerFactory.getLogger(DemandPipelineEndToEndTest.class);

  private static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      FlinkTestCluster.extension(METRICS.addToConfiguration(new Configuration()));

  private static final int STORES = 6;
  private static final int PARALLELISM = 2;
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final String MODEL = "demand-e2e-1";

  private static final String STORE_CSV =
      "Store,StoreType,Assortment,CompetitionDistance,CompetitionOpenSinceMonth,"
          + "CompetitionOpenSinceYear,Promo2,Promo2SinceWeek,Promo2SinceYear,PromoInterval\n"
          + "1,a,a,1270,9,2008,0,,,\n"
          + "2,a,a,570,11,2007,1,13,2010,\"Jan,Apr,Jul,Oct\"\n"
          + "3,a,a,14130,12,2006,1,14,2011,\"Jan,Apr,Jul,Oct\"\n"
          + "4,c,c,620,9,2009,0,,,\n"
          + "5,a,a,29910,4,2015,0,,,\n"
          + "6,a,a,310,12,2013,0,,,\n";

  @TempDir Path dir;

  /** Sales of a store on a day: its base, a weekday pattern, promotions in odd weeks, noise. */
  private static Map<String, Double> sales(long seed, LocalDate from, LocalDate to) {
    Random random = new Random(seed);
    Map<String, Double> sales = new HashMap<>();
    for (int s = 1; s <= STORES; s++) {
      double base = 3_000 + 1_000 * s;
      for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(1)) {
        if (d.getDayOfWeek() == DayOfWeek.SUNDAY) {
          continue;
        }
        double weekday = 1 + 0.1 * (d.getDayOfWeek().getValue() - 3);
        double promo = promo(d) ? 1.25 : 1.0;
        sales.put(
            s + " " + d, Math.rint(base * weekday * promo * (0.95 + 0.1 * random.nextDouble())));
      }
    }
    return sales;
  }

  private static boolean promo(LocalDate d) {
    return d.get(java.time.temporal.IsoFields.WEEK_OF_WEEK_BASED_YEAR) % 2 == 1
        && d.getDayOfWeek().getValue() <= 5;
  }

  private static DemandObservation row(String store, LocalDate d, Map<String, Double> sales) {
    boolean open = d.getDayOfWeek() != DayOfWeek.SUNDAY;
    LocalDate next = d.plusDays(1);
    if (next.getDayOfWeek() == DayOfWeek.SUNDAY) {
      next = next.plusDays(1);
    }
    return DemandObservation.newBuilder()
        .setSeriesId(store)
        .setEventTime(d.atStartOfDay().toInstant(ZoneOffset.UTC))
        .setObservation(
            StoreDaySales.newBuilder()
                .setStoreId(store)
                .setDayOfWeek(d.getDayOfWeek().getValue())
                .setSales(open ? sales.get(store + " " + d) : 0.0)
                .setCustomers(null)
                .setOpen(open)
                .setPromo(open && promo(d))
                .setStateHoliday("0")
                .setSchoolHoliday(false)
                .setNextOpenDay(
                    NextOpenDay.newBuilder()
                        .setDaysAhead((int) (next.toEpochDay() - d.toEpochDay()))
                        .setDayOfWeek(next.getDayOfWeek().getValue())
                        .setPromo(promo(next))
                        .setStateHoliday("0")
                        .setSchoolHoliday(false)
                        .build())
                .build())
        .build();
  }

  private static List<DemandObservation> rows(LocalDate from, LocalDate to, Map<String, Double> s) {
    List<DemandObservation> rows = new ArrayList<>();
    for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(1)) {
      for (int store = 1; store <= STORES; store++) {
        rows.add(row(Integer.toString(store), d, s));
      }
    }
    rows.sort(Comparator.comparing(DemandObservation::getEventTime));
    return rows;
  }

  /**
   * Sends the rows, then the poison, each keyed by the store it names (so that a repeated day
   * follows its store's rows in their partition, as a producer's retry or replay would).
   */
  private static void publish(
      TestKafka kafka, List<DemandObservation> rows, Map<String, byte[]> poison) throws Exception {
    AvroSerde<DemandObservation> serde = AvroSerde.of(DemandObservation.class);
    String topic = kafka.topics().events(Task.DEMAND).name();
    try (KafkaProducer<byte[], byte[]> producer = kafka.rawProducer()) {
      for (DemandObservation o : rows) {
        producer.send(
            new ProducerRecord<>(
                topic, o.getSeriesId().getBytes(StandardCharsets.UTF_8), serde.encode(o)));
      }
      for (Map.Entry<String, byte[]> p : poison.entrySet()) {
        String store = p.getKey().substring(0, p.getKey().indexOf(' '));
        producer.send(
            new ProducerRecord<>(topic, store.getBytes(StandardCharsets.UTF_8), p.getValue()));
      }
      producer.flush();
    }
  }

  @Test
  void openDaysAreScoredOnceLabelledByTheNextOpenDayAndANewModelIsApplied(
      TestKafka kafka, @InjectMiniCluster MiniCluster cluster) throws Exception {
    kafka.createTopics(Task.DEMAND);
    DemandTask task =
        new DemandTask(
            STORE_CSV.getBytes(StandardCharsets.UTF_8),
            new ValidationRules(Instant.parse("2000-01-01T00:00:00Z"), Duration.ofDays(1)),
            kafka.topics().events(Task.DEMAND).name());
    KafkaJobSettings kafkaJob = TaskE2e.kafkaJob(kafka, Task.DEMAND);
    TaskJobOptions options = TaskE2e.options(Task.DEMAND, PARALLELISM);
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.getExecutionEnvironment(FlinkTestCluster.configuration());
    JobClient job = KafkaTaskJob.start(env, task, kafkaJob, options);
    JobID jobId = job.getJobID();
    LocalDate from = LocalDate.parse("2014-01-01");
    LocalDate end = LocalDate.parse("2014-04-30");
    Map<String, Double> sales = sales(7, from, LocalDate.parse("2014-05-31"));
    try {
      // 1. Four months of six stores, with poison of the shared and of the task's kinds.
      List<DemandObservation> first = rows(from, end, sales);
      AvroSerde<DemandObservation> serde = AvroSerde.of(DemandObservation.class);
      DemandObservation unknownStore =
          DemandObservation.newBuilder(first.get(0))
              .setSeriesId("99")
              .setObservation(
                  StoreDaySales.newBuilder((StoreDaySales) first.get(0).getObservation())
                      .setStoreId("99")
                      .build())
              .build();
      DemandObservation nanSales =
          DemandObservation.newBuilder(first.get(0))
              .setObservation(
                  StoreDaySales.newBuilder((StoreDaySales) first.get(0).getObservation())
                      .setSales(Double.NaN)
                      .build())
              .build();
      DemandObservation again = first.get(7); // a day of store 2 the store has passed
      Map<String, byte[]> poison = new java.util.LinkedHashMap<>();
      poison.put("1 garbage", "garbage".getBytes(StandardCharsets.UTF_8));
      poison.put("99 unknown store", serde.encode(unknownStore));
      poison.put("1 NaN sales", serde.encode(nanSales));
      poison.put("2 a day again", serde.encode(again));
      publish(kafka, first, poison);
      List<String> openDays =
          first.stream()
              .filter(o -> ((StoreDaySales) o.getObservation()).getOpen())
              .map(
                  o ->
                      o.getSeriesId()
                          + " "
                          + o.getSeriesId()
                          + "/"
                          + LocalDate.ofInstant(o.getEventTime(), ZoneOffset.UTC))
              .toList();

      // One score per open day; closed days and poison have none.
      List<ConsumerRecord<String, ScoreRecord>> scores =
          kafka.readCommitted(
              kafka.topics().scores(Task.DEMAND), openDays.size(), WAIT, Duration.ofSeconds(5));
      assertThat(
              scores.stream()
                  .map(r -> r.value().getEntityId() + " " + r.value().getEventId())
                  .toList())
          .as("scores: one per open day")
          .containsExactlyInAnyOrderElementsOf(openDays);
      List<ConsumerRecord<byte[], DeadLetter>> dead =
          kafka.readCommitted(kafka.topics().dlq(Task.DEMAND), 4, WAIT, Duration.ofSeconds(1));
      assertThat(dead)
          .extracting(r -> r.value().getReasonCode())
          .containsExactlyInAnyOrder(
              AvroParser.UNDECODABLE,
              DemandFeatureEngine.UNKNOWN_STORE,
              DemandTask.BAD_SALES,
              DemandFeatureEngine.NOT_AFTER_PREVIOUS);

      // Each forecast is labelled with the realised sales of the store's next open day.
      int expectedExamples = openDays.size() - STORES; // each store's last forecast has no label
      List<ConsumerRecord<String, TrainingExample>> training =
          kafka.readCommitted(
              kafka.topics().training(Task.DEMAND), expectedExamples, WAIT, Duration.ofSeconds(3));
      assertThat(training).hasSize(expectedExamples);
      for (ConsumerRecord<String, TrainingExample> r : training) {
        TrainingExample e = r.value();
        LocalDate scored = LocalDate.ofInstant(e.getEventTime(), ZoneOffset.UTC);
        LocalDate target = LocalDate.ofInstant(e.getLabelTime(), ZoneOffset.UTC);
        assertThat(target)
            .as("target of %s", e.getEventId())
            .isEqualTo(
                scored.getDayOfWeek() == DayOfWeek.SATURDAY
                    ? scored.plusDays(2)
                    : scored.plusDays(1));
        assertThat(e.getLabel())
            .as("label of %s", e.getEventId())
            .isEqualTo(sales.get(e.getEntityId() + " " + target));
      }
      LOG.info("{} open days scored once, {} labelled forecasts", openDays.size(), training.size());

      // 2. A regression net trained with DJL on those examples is applied without a restart.
      ModelAnnouncement model =
          TaskE2e.trainAndStore(
              Task.DEMAND,
              MODEL,
              DemandFeatures.SCHEMA,
              ModelHead.regressionLog1p(),
              DemandFeatures.vocabularies(
                  DemandScoringPoints.stores(STORE_CSV.getBytes(StandardCharsets.UTF_8))),
              training,
              dir);
      TaskE2e.announceAndAwaitServed(kafka, model, METRICS, jobId, PARALLELISM, WAIT);
      List<DemandObservation> second = rows(end.plusDays(1), LocalDate.parse("2014-05-31"), sales);
      publish(kafka, second, Map.of());
      long secondOpen =
          second.stream().filter(o -> ((StoreDaySales) o.getObservation()).getOpen()).count();
      List<ScoreRecord> all =
          kafka
              .readCommitted(
                  kafka.topics().scores(Task.DEMAND),
                  (int) (openDays.size() + secondOpen),
                  WAIT,
                  Duration.ofSeconds(5))
              .stream()
              .map(ConsumerRecord::value)
              .toList();
      assertThat(all).hasSize((int) (openDays.size() + secondOpen));
      List<ScoreRecord> may =
          all.stream().filter(s -> s.getEventId().contains("/2014-05-")).toList();
      assertThat(may).hasSize((int) secondOpen);
      assertThat(may).extracting(ScoreRecord::getModelVersion).containsOnly(MODEL);
      // The forecasts are sales on their scale, not the fallback 0: within 35 % on average.
      double ape = 0;
      int n = 0;
      for (ScoreRecord s : may) {
        LocalDate d = LocalDate.parse(s.getEventId().substring(s.getEventId().indexOf('/') + 1));
        LocalDate target = d.getDayOfWeek() == DayOfWeek.SATURDAY ? d.plusDays(2) : d.plusDays(1);
        Double actual = sales.get(s.getEntityId() + " " + target);
        if (actual != null) {
          ape += Math.abs(s.getPrediction() - actual) / actual;
          n++;
        }
      }
      LOG.info(
          "model {}: mean absolute percentage error {} over {} May forecasts", MODEL, ape / n, n);
      assertThat(ape / n)
          .as("mean absolute percentage error of the May forecasts")
          .isLessThan(0.35);
      FraudE2e.assertNeverRestarted(cluster, jobId);
    } finally {
      job.cancel().get();
    }
  }
}
