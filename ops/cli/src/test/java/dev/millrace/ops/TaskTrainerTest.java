package dev.millrace.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.pipeline.churn.ChurnFeatures;
import dev.millrace.pipeline.demand.DemandFeatures;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.scorer.model.ModelManifest;
import dev.millrace.scorer.model.ModelStore;
import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.TestKafka;
import dev.millrace.trainer.RunDecision;
import dev.millrace.trainer.TrainerService;
import dev.millrace.trainer.TrainerSettings;
import dev.millrace.trainer.TrainingRecord;
import dev.millrace.trainer.eval.PromotionMetric;
import dev.millrace.trainer.eval.RegressionMetric;
import dev.millrace.trainer.model.ModelHead;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code millrace trainer --task churn|demand}: the settings the command builds from the {@link
 * TaskCatalog}, and for demand the trainer service with them on a real KRaft broker, training with
 * real DJL, promoting under the regression gate and announcing the model.
 */
@ExtendWith(KafkaExtension.class)
class TaskTrainerTest {

  private static final Duration WAIT = Duration.ofMinutes(4);

  /** Ten stores of Rossmann's store.csv format: ids 1..10. */
  private static final String STORE_CSV =
      "Store,StoreType,Assortment,CompetitionDistance,CompetitionOpenSinceMonth,"
          + "CompetitionOpenSinceYear,Promo2,Promo2SinceWeek,Promo2SinceYear,PromoInterval\n"
          + "1,c,a,1270,9,2008,0,,,\n"
          + "2,a,a,570,11,2007,1,13,2010,\"Jan,Apr,Jul,Oct\"\n"
          + "3,a,a,14130,12,2006,1,14,2011,\"Jan,Apr,Jul,Oct\"\n"
          + "4,c,c,620,9,2009,0,,,\n"
          + "5,a,a,29910,4,2015,0,,,\n"
          + "6,a,a,310,12,2013,0,,,\n"
          + "7,a,c,24000,4,2013,0,,,\n"
          + "8,a,a,7520,10,2014,0,,,\n"
          + "9,a,c,2030,8,2000,0,,,\n"
          + "10,a,a,3160,9,2009,0,,,\n";

  private static final int STORES = 10;

  @TempDir Path dir;

  private TrainerCommand parse(String... args) {
    TrainerCommand command = new TrainerCommand();
    new CommandLine(command).parseArgs(args);
    return command;
  }

  private Path stores() throws Exception {
    Path file = dir.resolve("store.csv");
    Files.writeString(file, STORE_CSV);
    return file;
  }

  @Test
  void demandTrainsARegressionOnLogSalesPromotedOnRmspe() throws Exception {
    TrainerSettings s =
        parse("--task", "demand", "--stores", stores().toString(), "--model-store", "m").settings();
    assertThat(s.task()).isEqualTo(Task.DEMAND);
    assertThat(s.featureSchema()).isEqualTo(DemandFeatures.SCHEMA);
    assertThat(s.model().head()).isEqualTo(ModelHead.regressionLog1p());
    assertThat(s.model().regressionError()).isEqualTo(RegressionMetric.RMSPE);
    assertThat(s.promotionKey()).isEqualTo("rmspe");
    assertThat(s.model().vocabularies().keySet())
        .containsExactlyInAnyOrderElementsOf(DemandFeatures.CATEGORICAL);
    assertThat(s.model().vocabularies().get("store"))
        .containsExactly("1", "2", "3", "4", "5", "6", "7", "8", "9", "10");

    // --promotion-metric names an error for a regression head
    TrainerSettings rmsle =
        parse(
                "--task",
                "demand",
                "--stores",
                stores().toString(),
                "--promotion-metric",
                "rmsle",
                "--promotion-margin",
                "0.01")
            .settings();
    assertThat(rmsle.promotionKey()).isEqualTo("rmsle");
    assertThat(rmsle.promotionMargin()).isEqualTo(0.01);
  }

  @Test
  void churnTrainsABinaryHeadWithTheCountryEmbedding() {
    TrainerSettings s = parse("--task", "churn", "--model-store", "m").settings();
    assertThat(s.task()).isEqualTo(Task.CHURN);
    assertThat(s.featureSchema()).isEqualTo(ChurnFeatures.SCHEMA);
    assertThat(s.model().head()).isEqualTo(ModelHead.binary());
    assertThat(s.model().vocabularies()).isEqualTo(ChurnFeatures.VOCABULARIES);
    assertThat(s.promotionMetric()).isEqualTo(PromotionMetric.AVERAGE_PRECISION);
    assertThat(s.promotionKey()).isEqualTo("average_precision");
  }

  @Test
  void demandModelsAreTrainedPromotedUnderTheRegressionGateAndAnnounced(TestKafka kafka)
      throws Exception {
    kafka.createTopics(Task.DEMAND);
    List<TrainingExample> examples = demandExamples(300, 5);
    send(kafka, examples);
    Path models = dir.resolve("models");
    TrainerSettings settings =
        parse(
                "--task",
                "demand",
                "-b",
                kafka.bootstrapServers(),
                "--namespace",
                kafka.namespace(),
                "--stores",
                stores().toString(),
                "--model-store",
                models.toString(),
                "--retrain-every-examples",
                "" + examples.size(),
                "--retrain-every",
                "1h",
                "--device",
                "cpu")
            .settings();

    try (TrainerService service = new TrainerService(settings).startThread()) {
      assertThat(service.awaitCompletedRuns(1, WAIT)).isTrue();
      TrainingRecord run = service.history().read().get(0);
      // promoted by the regression gate: the challenger errs less than the slice's mean sales
      assertThat(run.decision()).as(run.reason()).isEqualTo(RunDecision.PROMOTED);
      assertThat(run.promotionMetric()).isEqualTo("rmspe");
      assertThat(run.reason()).contains("first model: challenger rmspe");
      assertThat(run.baseline()).isNotNull();
      // every store stays in the evaluation slice (no "known positive" entities for sales)
      assertThat(run.knownPositiveRowsRemoved()).isZero();
      // examples with missing (NaN) features are training data, not dead letters
      assertThat(service.status().examplesRejected()).isZero();
      assertThat(service.status().examplesConsumed()).isEqualTo(examples.size());

      List<ConsumerRecord<String, ModelAnnouncement>> announced =
          kafka.readCommitted(kafka.topics().models(), 1, WAIT, Duration.ZERO);
      assertThat(announced).hasSize(1);
      assertThat(announced.get(0).key()).isEqualTo("demand");
      ModelAnnouncement a = announced.get(0).value();
      assertThat(a.getTask()).isEqualTo(Task.DEMAND);
      assertThat(a.getStatus()).isEqualTo(ModelStatus.CHAMPION);
      assertThat(a.getVersion()).matches("demand-\\d{8}-\\d{6}-1");
      assertThat(a.getFeatureSchemaFingerprint()).isEqualTo(DemandFeatures.FINGERPRINT);
      // the regression errors, not a classifier's ranking metrics
      assertThat(a.getMetrics()).containsKeys("rmse", "rmspe", "rmsle", "rows");
      assertThat(a.getMetrics()).doesNotContainKeys("average_precision", "roc_auc");

      // the bundle: a regression on log1p of the sales, with the store embedding
      ModelManifest manifest =
          new ModelStore(models.toUri()).read(URI.create(a.getArtifactUri())).manifest();
      assertThat(manifest.objective()).isEqualTo(ModelManifest.REGRESSION);
      assertThat(manifest.targetOrIdentity().transform())
          .isEqualTo(ModelManifest.FeatureStats.LOG1P);
      assertThat(manifest.categoricalVocabularies().get("store")).hasSize(STORES);
      assertThat(manifest.holdoutMetrics()).containsKeys("rmse", "rmspe", "rmsle");

      assertThat(a.getVersion()).isEqualTo(run.version());
      double rmspe = a.getMetrics().get("rmspe");
      assertThat(rmspe).isLessThan(run.baseline()).isLessThan(0.2);
      System.out.printf("demand model %s: %s; %s%n", a.getVersion(), a.getMetrics(), run.reason());
      assertThat(service.status().line(Instant.now()))
          .contains("trainer demand", "champion " + a.getVersion(), "PROMOTED", "rmspe=")
          .doesNotContain("positives");
    }
  }

  private static void send(TestKafka kafka, List<TrainingExample> examples) {
    Topic<String, TrainingExample> topic = kafka.topics().training(Task.DEMAND);
    List<ProducerRecord<String, TrainingExample>> records = new ArrayList<>();
    for (TrainingExample e : examples) {
      records.add(new ProducerRecord<>(topic.name(), e.getEntityId(), e));
    }
    kafka.send(topic, records);
  }

  /**
   * Store-day examples of {@code days} days (Sundays closed, no row): sales from a base per store
   * times a weekday pattern, 30 % more in promotion weeks, 5 % noise; the features as the pipeline
   * computes them from the plan and the store's recent sales. The label (the target day's sales) is
   * known the day after the scoring day.
   */
  static List<TrainingExample> demandExamples(int days, long seed) {
    Random random = new Random(seed);
    double[] weekday = {1.15, 1.0, 0.95, 0.95, 1.05, 1.2};
    LocalDate first = LocalDate.of(2014, 1, 1);
    List<TrainingExample> out = new ArrayList<>();
    double[] last = new double[STORES];
    for (int d = 0; d < days; d++) {
      LocalDate today = first.plusDays(d);
      int daysAhead = today.getDayOfWeek().getValue() == 6 ? 2 : 1;
      LocalDate target = today.plusDays(daysAhead);
      if (today.getDayOfWeek().getValue() == 7) {
        continue;
      }
      boolean promo = (target.toEpochDay() / 7) % 2 == 0;
      for (int s = 0; s < STORES; s++) {
        double base = 2_500 + 900 * s;
        int dow = target.getDayOfWeek().getValue();
        double sales =
            base * weekday[dow - 1] * (promo ? 1.3 : 1.0) * (1 + 0.05 * random.nextGaussian());
        double lastLog = last[s] == 0 ? Math.log1p(base) : Math.log1p(last[s]);
        float[] f = new float[DemandFeatures.NAMES.size()];
        int i = 0;
        f[i++] = s; // store
        f[i++] = dow - 1;
        f[i++] = target.getMonthValue() - 1;
        f[i++] = target.getDayOfMonth() - 1;
        f[i++] = promo ? 1 : 0;
        f[i++] = 0; // state holiday
        f[i++] = 0; // school holiday
        f[i++] = s == 0 || s == 3 ? 2 : 0; // store type
        f[i++] = s == 3 ? 2 : 0; // assortment
        f[i++] = s == 1 || s == 2 ? 1 : 0; // promo2
        f[i++] = 0; // promo2 active
        f[i++] = 1; // competition open
        f[i++] = 1_000 + 500 * s; // competition distance
        // missing values are NaN, as the pipeline sends them: a competitor's opening month nobody
        // recorded, the sales of the same weekday last week in a store's first week
        f[i++] = s == 4 ? Float.NaN : 24;
        f[i++] = daysAhead;
        f[i++] = (float) lastLog;
        f[i++] = (float) Math.log1p(base);
        f[i++] = (float) Math.log1p(base);
        f[i++] = d < 7 ? Float.NaN : (float) lastLog;
        f[i++] = 0.26f;
        f[i++] = Math.min(28, d);
        List<Float> values = new ArrayList<>(f.length);
        for (float v : f) {
          values.add(v);
        }
        Instant eventTime = today.atStartOfDay().toInstant(ZoneOffset.UTC);
        out.add(
            TrainingExample.newBuilder()
                .setTask(Task.DEMAND)
                .setEventId("store-" + (s + 1) + "-" + today)
                .setEntityId("store-" + (s + 1))
                .setFeatureSchemaFingerprint(DemandFeatures.FINGERPRINT)
                .setFeatures(values)
                .setLabel(sales)
                .setEventTime(eventTime)
                .setLabelTime(eventTime.plus(Duration.ofDays(daysAhead)))
                .setModelVersion("none")
                .setScore(0.0)
                .build());
        last[s] = sales;
      }
    }
    return out;
  }
}
