package dev.millrace.scorer.flink;

import static dev.millrace.scorer.flink.Fixtures.SCHEMA;
import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ScoredFeatures;
import dev.millrace.schemas.Task;
import dev.millrace.testkit.FlinkTestCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Scoring.score in a real job on a MiniCluster with bounded sources, generic types disabled. */
class ScoringJobTest {

  @RegisterExtension static final MiniClusterExtension FLINK = FlinkTestCluster.extension();

  private static final int EVENTS = 300;
  private static final int PARALLELISM = 2;
  private static final float[] WEIGHTS = {0.5f, 1f, -1f};

  @TempDir Path dir;

  @Test
  void everyEventYieldsExactlyOneAvroScoreAndNoneIsLate() throws Exception {
    LinearModelLoader.LOADED.clear();
    ModelAnnouncement v1 = new Fixtures(dir).model("v1", 0.1f, WEIGHTS);
    List<FeatureVector> vectors = new ArrayList<>();
    for (int i = 0; i < EVENTS; i++) {
      vectors.add(Fixtures.vector("e" + i, 1_000L + 10L * i, i, i % 24, i % 7));
    }

    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.getExecutionEnvironment(FlinkTestCluster.configuration());
    env.setParallelism(PARALLELISM);
    assertThat(env.getConfig().getSerializerConfig().hasGenericTypesDisabled()).isTrue();

    DataStream<FeatureVector> features =
        env.fromData(vectors, new AvroTypeInfo<>(FeatureVector.class))
            .name("vectors")
            .setParallelism(1)
            .assignTimestampsAndWatermarks(
                WatermarkStrategy.<FeatureVector>forMonotonousTimestamps()
                    .withTimestampAssigner((v, ts) -> v.getEventTime().toEpochMilli()))
            .name("event time")
            .setParallelism(1)
            .rebalance();
    DataStream<ModelAnnouncement> models =
        env.fromData(List.of(v1), new AvroTypeInfo<>(ModelAnnouncement.class))
            .name("models")
            .setParallelism(1);

    ScoringSettings settings =
        ScoringSettings.defaults(Task.FRAUD).withBatchSize(8).withMaxWait(Duration.ofSeconds(30));
    SingleOutputStreamOperator<ScoredFeatures> scored =
        Scoring.score(features, models, settings, new LinearModelLoader(), SCHEMA);
    assertThat(scored.getType()).isInstanceOf(AvroTypeInfo.class);
    assertThat(scored.getTransformation().getUid()).isEqualTo(Scoring.UID);
    assertThat(scored.getName()).isEqualTo(Scoring.NAME);

    List<ScoredFeatures> out =
        scored
            .process(new FailOnLateRecord())
            .uid("late-check")
            .name("Fail on late record")
            .executeAndCollect(EVENTS + 10);

    assertThat(out).hasSize(EVENTS);
    Set<String> ids = new HashSet<>();
    for (ScoredFeatures s : out) {
      assertThat(ids.add(s.getVector().getEventId())).as("one output per event").isTrue();
      List<Float> f = s.getVector().getFeatures();
      float[] row = {f.get(0), f.get(1), f.get(2)};
      if (s.getModelVersion().equals("v1")) {
        assertThat(s.getPrediction()).isEqualTo(LinearModel.score(0.1f, WEIGHTS, row));
        assertThat(s.getFallbackReason()).isNull();
      } else {
        // scored before the model reached this subtask: the fallback, and it says so
        assertThat(s.getModelVersion()).isEqualTo("fallback");
        assertThat(s.getPrediction()).isEqualTo(0.0);
        assertThat(s.getFallbackReason()).isEqualTo(ScoringOperator.NO_MODEL);
      }
    }
    assertThat(ids).hasSize(EVENTS);
    assertThat(out)
        .as("scores made by the model, not only the fallback")
        .filteredOn(s -> s.getModelVersion().equals("v1"))
        .isNotEmpty();
    // the announcement reached every subtask, each loading its own model instance
    assertThat(LinearModelLoader.LOADED).hasSize(PARALLELISM);
    assertThat(LinearModelLoader.LOADED).allSatisfy(m -> assertThat(m.isClosed()).isTrue());
  }

  /** Fails the job if a scored record arrives behind the watermark the scorer forwarded. */
  static final class FailOnLateRecord extends ProcessFunction<ScoredFeatures, ScoredFeatures> {
    @Override
    public void processElement(ScoredFeatures value, Context ctx, Collector<ScoredFeatures> out) {
      long watermark = ctx.timerService().currentWatermark();
      if (ctx.timestamp() == null || ctx.timestamp() <= watermark) {
        throw new IllegalStateException(
            "record at " + ctx.timestamp() + " is late behind watermark " + watermark);
      }
      out.collect(value);
    }
  }
}
