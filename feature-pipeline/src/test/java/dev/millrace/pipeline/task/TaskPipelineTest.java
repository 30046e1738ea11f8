package dev.millrace.pipeline.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.pipeline.AvroParser;
import dev.millrace.pipeline.RawRecord;
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
import dev.millrace.schemas.churn.ChurnActivity;
import dev.millrace.scorer.flink.ScoringSettings;
import dev.millrace.scorer.model.DjlModelLoader;
import dev.millrace.testkit.FlinkTestCluster;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The shared job with a task that exists only as a definition ({@link NextQuantityTask}), on a
 * MiniCluster (generic types disabled) with bounded sources and collecting sinks.
 */
class TaskPipelineTest {

  @RegisterExtension static final MiniClusterExtension FLINK = FlinkTestCluster.extension();

  private static final Instant T0 = Instant.parse("2011-01-03T10:00:00Z");

  private static ChurnActivity line(String customer, String invoice, int quantity, int hours) {
    return ChurnActivity.newBuilder()
        .setCustomerId(customer)
        .setInvoiceId(invoice)
        .setItemId("item")
        .setQuantity(quantity)
        .setUnitPrice(1.5)
        .setCountry("UK")
        .setEventTime(T0.plusSeconds(3600L * hours))
        .build();
  }

  @Test
  void aDefinitionIsAJobOneScorePerEventExamplesByItsRuleAndItsDeadLetters() throws Exception {
    AvroSerde<ChurnActivity> serde = AvroSerde.of(ChurnActivity.class);
    List<ChurnActivity> lines =
        List.of(
            line("A", "1", 3, 0),
            line("B", "2", 5, 1),
            line("A", "3", 0, 2), // invalid: zero quantity
            line("A", "4", 7, 3),
            line("B", "5", 5_000, 4), // unusable for the features
            line("B", "6", 2, 5),
            line("A", "7", 4, 6));
    List<RawRecord> records = new ArrayList<>();
    for (ChurnActivity a : lines) {
      records.add(
          RawRecord.of("churn.events", a.getCustomerId().toString().getBytes(), serde.encode(a)));
    }
    records.add(RawRecord.of("churn.events", null, "garbage".getBytes(StandardCharsets.UTF_8)));

    NextQuantityTask task = new NextQuantityTask();
    TaskJobOptions options = TaskJobOptions.defaults(ScoringSettings.defaults(Task.CHURN));
    CollectingSink<ScoreRecord> scores = new CollectingSink<>();
    CollectingSink<TrainingExample> training = new CollectingSink<>();
    CollectingSink<DeadLetter> deadLetters = new CollectingSink<>();
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.getExecutionEnvironment(FlinkTestCluster.configuration());
    TaskPipeline.build(
        env,
        task,
        ParsedListSource.of(records, TaskPipeline.eventParser(task, options)),
        // Only another task's model is announced: this job ignores it.
        ListSource.of(List.of(fraudModel()), new AvroTypeInfo<>(ModelAnnouncement.class)),
        scores,
        training,
        deadLetters,
        null,
        new DjlModelLoader(),
        options);
    env.execute("task-pipeline-test");

    // One score per usable event, none for the rejected ones; no model yet: the fallback says so.
    assertThat(scores.values())
        .extracting(s -> s.getEventId().toString())
        .containsExactlyInAnyOrder("1/item", "2/item", "4/item", "6/item", "7/item");
    assertThat(scores.values())
        .allSatisfy(
            s -> {
              assertThat(s.getTask()).isEqualTo(Task.CHURN);
              assertThat(s.getModelVersion()).isEqualTo("fallback");
              assertThat(s.getFallbackReason()).isEqualTo("NO_MODEL");
            });
    // Events in = scores + dead letters, each dead letter with its reason and stage.
    assertThat(deadLetters.values())
        .extracting(d -> d.getReasonCode().toString())
        .containsExactlyInAnyOrder(
            AvroParser.UNDECODABLE, NextQuantityTask.ZERO_QUANTITY, NextQuantityTask.HUGE_QUANTITY);
    assertThat(deadLetters.values())
        .filteredOn(d -> d.getReasonCode().equals(NextQuantityTask.ZERO_QUANTITY))
        .singleElement()
        .satisfies(d -> assertThat(d.getStage()).isEqualTo("churn-pipeline/parse-events"));
    assertThat(scores.values().size() + deadLetters.values().size()).isEqualTo(records.size());

    // The label rule's examples: the features as scored, labelled by the next line's quantity.
    Map<String, TrainingExample> examples =
        training.values().stream()
            .collect(Collectors.toMap(e -> e.getEventId().toString(), Function.identity()));
    assertThat(examples).containsOnlyKeys("1/item", "4/item", "2/item");
    assertThat(examples.get("1/item").getLabel()).isEqualTo(7.0);
    assertThat(examples.get("1/item").getFeatures()).containsExactly(1f, 3f);
    assertThat(examples.get("4/item").getLabel()).isEqualTo(4.0);
    assertThat(examples.get("4/item").getFeatures()).containsExactly(2f, 7f);
    assertThat(examples.get("2/item").getLabel()).isEqualTo(2.0);
    assertThat(examples.get("2/item").getLabelTime()).isEqualTo(T0.plusSeconds(5 * 3600L));
  }

  private static ModelAnnouncement fraudModel() {
    return ModelAnnouncement.newBuilder()
        .setTask(Task.FRAUD)
        .setVersion("fraud-1")
        .setArtifactUri("file:///nonexistent/millrace/model.zip")
        .setSha256("00")
        .setFeatureSchemaFingerprint(NextQuantityTask.SCHEMA.fingerprint())
        .setMetrics(Map.of())
        .setStatus(ModelStatus.CHAMPION)
        .setAnnouncedAt(T0)
        .build();
  }

  @Test
  void scoringSettingsOfAnotherTaskAreRefused() {
    NextQuantityTask task = new NextQuantityTask();
    TaskJobOptions fraudScoring = TaskJobOptions.defaults(ScoringSettings.defaults(Task.FRAUD));
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.getExecutionEnvironment(FlinkTestCluster.configuration());
    assertThatThrownBy(
            () ->
                TaskPipeline.build(
                    env,
                    task,
                    ParsedListSource.of(List.of(), TaskPipeline.eventParser(task, fraudScoring)),
                    ListSource.of(
                        List.of(fraudModel()), new AvroTypeInfo<>(ModelAnnouncement.class)),
                    new CollectingSink<>(),
                    new CollectingSink<>(),
                    new CollectingSink<>(),
                    null,
                    new DjlModelLoader(),
                    fraudScoring))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CHURN");
  }
}
