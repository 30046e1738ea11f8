package dev.millrace.pipeline.churn;

import static dev.millrace.pipeline.churn.ChurnFixture.day;
import static dev.millrace.pipeline.churn.ChurnFixture.line;
import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.pipeline.testing.CollectingSink;
import dev.millrace.pipeline.testing.ListSource;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.ScoredFeatures;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.schemas.churn.ChurnActivity;
import dev.millrace.scorer.flink.Scoring;
import dev.millrace.scorer.flink.ScoringSettings;
import dev.millrace.scorer.model.DjlModelLoader;
import dev.millrace.testkit.FlinkTestCluster;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The churn operators in a real Flink runtime (MiniCluster, generic types disabled), around the
 * scorer's own scoring operator: activity lines in, scoring points (one per line plus the weekly
 * re-scores) scored, every scored point labelled once by the stream's label rule.
 */
class ChurnOperatorsJobTest {

  @RegisterExtension static final MiniClusterExtension FLINK = FlinkTestCluster.extension();

  @Test
  void everyLineAndEveryRescoreIsScoredOnceAndLabelledOnce() throws Exception {
    List<ChurnActivity> lines =
        List.of(
            line("stays", "A", 0, 2, 5.0, "France"),
            line("leaves", "B", 0, 1, 3.0, "EIRE"),
            line("stays", "C", 30, 1, 4.0, "France"),
            line("stays", "CD", 31, -1, 4.0, "France"),
            line("stays", "D", 20, 1, 4.0, "France")); // 11 days behind the newest: dead letter
    ChurnSettings settings = ChurnSettings.defaults(); // weekly, H 90, 1 day late, 365 retained
    CollectingSink<ScoredFeatures> scores = new CollectingSink<>();
    CollectingSink<TrainingExample> training = new CollectingSink<>();
    CollectingSink<DeadLetter> deadLetters = new CollectingSink<>();

    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.getExecutionEnvironment(FlinkTestCluster.configuration());
    env.setParallelism(2);
    DataStream<ChurnActivity> events =
        env.fromSource(
                ListSource.of(lines, new AvroTypeInfo<>(ChurnActivity.class)),
                WatermarkStrategy.<ChurnActivity>forBoundedOutOfOrderness(Duration.ofDays(20))
                    .withTimestampAssigner((a, ts) -> a.getEventTime().toEpochMilli()),
                "churn.events")
            .setParallelism(1); // the lines in the order listed
    SingleOutputStreamOperator<FeatureVector> points =
        events
            .keyBy(ChurnActivity::getCustomerId)
            .process(new ChurnScoringPoints(settings, "churn.events"))
            .uid("churn-scoring-points")
            .name("Churn scoring points");
    points.getSideOutput(ChurnScoringPoints.LATE_ACTIVITY).sinkTo(deadLetters);
    DataStream<ModelAnnouncement> models =
        env.fromSource(
            ListSource.of(List.of(missingModel()), new AvroTypeInfo<>(ModelAnnouncement.class)),
            WatermarkStrategy.noWatermarks(),
            "millrace.models");
    DataStream<ScoredFeatures> scored =
        Scoring.score(
            points,
            models,
            ScoringSettings.defaults(Task.CHURN),
            new DjlModelLoader(),
            ChurnFeatures.SCHEMA);
    scored.sinkTo(scores);
    scored
        .keyBy(s -> s.getVector().getEntityId())
        .process(new ChurnLabels(settings))
        .uid("churn-labels")
        .name("Churn labels")
        .sinkTo(training);
    env.execute("churn-operators-test");

    // one score per accepted line, plus the weekly re-scores: "stays" on days 7..28 (caught up
    // at the day-30 line, the watermark lags 20 days) and 52 after day 31 until the retention;
    // "leaves" 52 after day 0
    assertThat(deadLetters.values())
        .singleElement()
        .extracting(DeadLetter::getReasonCode)
        .isEqualTo(ChurnScoringPoints.PURCHASE_BEFORE_PREVIOUS);
    List<ScoredFeatures> all = scores.values();
    Map<String, Long> kinds =
        all.stream()
            .collect(
                Collectors.groupingBy(
                    s -> s.getVector().getAttributes().get(ChurnScoringPoints.KIND),
                    Collectors.counting()));
    assertThat(kinds).containsEntry("purchase", 3L).containsEntry("return", 1L);
    assertThat(kinds).containsEntry("rescore", 4L + 2 * 52);
    assertThat(all).allSatisfy(s -> assertThat(s.getVector().getTask()).isEqualTo(Task.CHURN));

    // every scored point becomes exactly one training example, with its features as scored
    List<TrainingExample> examples = training.values();
    assertThat(examples).hasSameSizeAs(all);
    Map<String, List<Float>> scoredFeatures =
        all.stream()
            .collect(
                Collectors.toMap(
                    s -> s.getVector().getEntityId() + "|" + s.getVector().getEventId(),
                    s -> s.getVector().getFeatures()));
    for (TrainingExample e : examples) {
      assertThat(e.getFeatures())
          .isEqualTo(scoredFeatures.get(e.getEntityId() + "|" + e.getEventId()));
    }
    Map<String, TrainingExample> byPoint =
        examples.stream()
            .collect(Collectors.toMap(e -> e.getEntityId() + "|" + e.getEventId(), e -> e));
    TrainingExample leaves = byPoint.get("leaves|B/" + lines.get(1).getItemId());
    assertThat(leaves.getLabel()).isEqualTo(1.0);
    assertThat(leaves.getLabelTime().toEpochMilli()).isEqualTo(day(90));
    TrainingExample stays = byPoint.get("stays|A/" + lines.get(0).getItemId());
    assertThat(stays.getLabel()).isEqualTo(0.0);
    assertThat(stays.getLabelTime().toEpochMilli()).isEqualTo(day(30));
    // stays' re-scores on days 7..28 saw the day-30 purchase come; those after it did not
    assertThat(byPoint.get("stays|rescore/" + day(28)).getLabel()).isEqualTo(0.0);
    assertThat(byPoint.get("stays|rescore/" + day(38)).getLabel()).isEqualTo(1.0);
  }

  /**
   * A model whose artifact does not exist: refused, so the scorer's fallback scores every point.
   */
  private static ModelAnnouncement missingModel() {
    return ModelAnnouncement.newBuilder()
        .setTask(Task.CHURN)
        .setVersion("v-missing")
        .setArtifactUri("file:///nonexistent/millrace/model.zip")
        .setSha256("00")
        .setFeatureSchemaFingerprint(ChurnFeatures.FINGERPRINT)
        .setMetrics(Map.of())
        .setStatus(ModelStatus.CHAMPION)
        .setAnnouncedAt(Instant.parse("2011-01-01T00:00:00Z"))
        .build();
  }
}
