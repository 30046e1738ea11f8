package dev.millrace.pipeline.demand;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.ingest.ValidationRules;
import dev.millrace.pipeline.RawRecord;
import dev.millrace.pipeline.task.TaskEventParser;
import dev.millrace.pipeline.task.TaskJobOptions;
import dev.millrace.pipeline.task.TaskPipeline;
import dev.millrace.pipeline.testing.CollectingSink;
import dev.millrace.pipeline.testing.ListSource;
import dev.millrace.pipeline.testing.ParsedListSource;
import dev.millrace.schemas.AvroSerde;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.schemas.demand.DemandObservation;
import dev.millrace.schemas.demand.NextOpenDay;
import dev.millrace.schemas.demand.StoreDaySales;
import dev.millrace.scorer.flink.ScoringSettings;
import dev.millrace.scorer.model.DjlModelLoader;
import dev.millrace.testkit.FlinkTestCluster;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class DemandTaskTest {

  static final String STORE_CSV =
      "Store,StoreType,Assortment,CompetitionDistance,CompetitionOpenSinceMonth,"
          + "CompetitionOpenSinceYear,Promo2,Promo2SinceWeek,Promo2SinceYear,PromoInterval\n"
          + "1,a,a,1270,9,2008,0,,,\n";

  static DemandObservation row(String store, double sales) {
    return DemandObservation.newBuilder()
        .setSeriesId(store)
        .setEventTime(Instant.parse("2014-01-02T00:00:00Z"))
        .setObservation(
            StoreDaySales.newBuilder()
                .setStoreId(store)
                .setDayOfWeek(4)
                .setSales(sales)
                .setCustomers(null)
                .setOpen(true)
                .setPromo(false)
                .setStateHoliday("0")
                .setSchoolHoliday(false)
                .setNextOpenDay(
                    NextOpenDay.newBuilder()
                        .setDaysAhead(1)
                        .setDayOfWeek(5)
                        .setPromo(false)
                        .setStateHoliday("0")
                        .setSchoolHoliday(false)
                        .build())
                .build())
        .build();
  }

  private static Either<DemandObservation, DeadLetter> parse(DemandObservation o) {
    DemandTask task =
        new DemandTask(
            STORE_CSV.getBytes(StandardCharsets.UTF_8),
            ValidationRules.defaults(),
            "demand.events");
    TaskEventParser<DemandObservation> parser =
        new TaskEventParser<>(task, null, Clock.systemUTC());
    parser.open(UnregisteredMetricsGroup.createOperatorMetricGroup());
    return parser.parse(
        RawRecord.of(
            "demand.events",
            o.getSeriesId().getBytes(StandardCharsets.UTF_8),
            AvroSerde.of(DemandObservation.class).encode(o)));
  }

  @RegisterExtension static final MiniClusterExtension FLINK = FlinkTestCluster.extension();

  @Test
  void theJobScoresOpenDaysAndLabelsEachWithTheNextOpenDaysSales() throws Exception {
    List<RawRecord> records = new ArrayList<>();
    AvroSerde<DemandObservation> serde = AvroSerde.of(DemandObservation.class);
    Instant t0 = Instant.parse("2014-01-02T00:00:00Z");
    for (int d = 0; d < 5; d++) {
      DemandObservation o =
          DemandObservation.newBuilder(row("1", 1000 + d))
              .setEventTime(t0.plus(Duration.ofDays(d)))
              .build();
      records.add(
          RawRecord.of("demand.events", "1".getBytes(StandardCharsets.UTF_8), serde.encode(o)));
    }
    DemandTask task =
        new DemandTask(
            STORE_CSV.getBytes(StandardCharsets.UTF_8),
            ValidationRules.defaults(),
            "demand.events");
    TaskJobOptions options = TaskJobOptions.defaults(ScoringSettings.defaults(Task.DEMAND));
    CollectingSink<ScoreRecord> scores = new CollectingSink<>();
    CollectingSink<TrainingExample> training = new CollectingSink<>();
    CollectingSink<DeadLetter> dead = new CollectingSink<>();
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.getExecutionEnvironment(FlinkTestCluster.configuration());
    TaskPipeline.build(
        env,
        task,
        ParsedListSource.of(records, TaskPipeline.eventParser(task, options)),
        ListSource.of(List.of(otherTaskModel()), new AvroTypeInfo<>(ModelAnnouncement.class)),
        scores,
        training,
        dead,
        null,
        new DjlModelLoader(),
        options);
    env.execute("demand-task-test");
    assertThat(dead.values()).isEmpty();
    assertThat(scores.values())
        .extracting(s -> s.getEventId())
        .containsExactlyInAnyOrder(
            "1/2014-01-02", "1/2014-01-03", "1/2014-01-04", "1/2014-01-05", "1/2014-01-06");
    assertThat(training.values())
        .extracting(TrainingExample::getLabel)
        .containsExactlyInAnyOrder(1001.0, 1002.0, 1003.0, 1004.0);
  }

  private static ModelAnnouncement otherTaskModel() {
    return ModelAnnouncement.newBuilder()
        .setTask(Task.FRAUD)
        .setVersion("fraud-1")
        .setArtifactUri("file:///nonexistent/model.zip")
        .setSha256("00")
        .setFeatureSchemaFingerprint("x")
        .setMetrics(java.util.Map.of())
        .setStatus(ModelStatus.CHAMPION)
        .setAnnouncedAt(Instant.EPOCH)
        .build();
  }

  @Test
  void aStoreDayRowIsAcceptedAndBadSalesAreRefusedWithTheirReason() {
    Either<DemandObservation, DeadLetter> ok = parse(row("1", 5263));
    assertThat(ok.isLeft()).as(String.valueOf(ok.isRight() ? ok.right() : "")).isTrue();
    Either<DemandObservation, DeadLetter> nan = parse(row("1", Double.NaN));
    assertThat(nan.isRight()).isTrue();
    assertThat(nan.right().getReasonCode()).isEqualTo(DemandTask.BAD_SALES);
    Either<DemandObservation, DeadLetter> negative = parse(row("1", -1));
    assertThat(negative.right().getReasonCode()).isEqualTo(DemandTask.BAD_SALES);
  }
}
