package dev.millrace.e2e;

import dev.millrace.pipeline.DeliveryGuarantee;
import dev.millrace.pipeline.KafkaJobSettings;
import dev.millrace.pipeline.StateBackendChoice;
import dev.millrace.pipeline.monitoring.MonitoringSettings;
import dev.millrace.pipeline.task.TaskJobOptions;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.scorer.DeviceChoice;
import dev.millrace.scorer.FeatureSchema;
import dev.millrace.scorer.flink.ScoringSettings;
import dev.millrace.scorer.model.ModelBundle;
import dev.millrace.scorer.model.ModelStore;
import dev.millrace.testkit.TestKafka;
import dev.millrace.trainer.model.Dataset;
import dev.millrace.trainer.model.ModelHead;
import dev.millrace.trainer.model.TabularTrainer;
import dev.millrace.trainer.model.TrainedModel;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Settings of the task-definition e2e tests (churn, demand) on the shared task job. */
final class TaskE2e {

  private TaskE2e() {}

  /**
   * The test broker and namespace, exactly once, heap state, checkpoints every second, a group and
   * transactional ids of the namespace and task.
   */
  static KafkaJobSettings kafkaJob(TestKafka kafka, Task task) {
    String ids = kafka.namespace() + "-" + TopicRegistry.taskName(task);
    return new KafkaJobSettings(
        kafka.topics(),
        kafka.bootstrapServers(),
        ids,
        ids,
        Duration.ofSeconds(1),
        Duration.ofMinutes(2),
        false,
        DeliveryGuarantee.EXACTLY_ONCE,
        StateBackendChoice.HASHMAP,
        null,
        Duration.ofMinutes(1),
        Duration.ofMillis(200),
        3,
        Duration.ofSeconds(10),
        DeviceChoice.AUTO,
        null,
        Map.of());
  }

  /**
   * Trains a model for {@code task} on the examples the stream produced (features as scored,
   * labels), with DJL, stores it under {@code dir} and returns its announcement (champion, true
   * SHA-256).
   */
  static ModelAnnouncement trainAndStore(
      Task task,
      String version,
      FeatureSchema schema,
      ModelHead head,
      Map<String, List<String>> vocabularies,
      List<ConsumerRecord<String, TrainingExample>> training,
      Path dir)
      throws Exception {
    float[][] x = new float[training.size()][];
    float[] y = new float[training.size()];
    for (int i = 0; i < x.length; i++) {
      List<Float> f = training.get(i).value().getFeatures();
      x[i] = new float[f.size()];
      for (int j = 0; j < x[i].length; j++) {
        x[i][j] = f.get(j);
      }
      y[i] = (float) training.get(i).value().getLabel();
    }
    ModelBundle bundle;
    try (TrainedModel trained =
        new TabularTrainer(TestModels.FAST)
            .train(
                TopicRegistry.taskName(task),
                version,
                schema,
                new Dataset(x, y, null, null),
                null,
                head,
                vocabularies)) {
      bundle = trained.toBundle(Map.of(), null, null);
    }
    ModelStore store = new ModelStore(dir.resolve("models").toUri());
    URI uri = store.put(bundle);
    return ModelAnnouncement.newBuilder()
        .setTask(task)
        .setVersion(version)
        .setArtifactUri(uri.toString())
        .setSha256(store.sha256(uri))
        .setFeatureSchemaFingerprint(schema.fingerprint())
        .setMetrics(Map.of())
        .setStatus(ModelStatus.CHAMPION)
        .setAnnouncedAt(Instant.now())
        .build();
  }

  /**
   * Announces {@code model} on the broker's {@code millrace.models} and asserts that every scoring
   * subtask of {@code jobId} serves it within {@code wait} (Flink metrics of {@code metrics}).
   */
  static void announceAndAwaitServed(
      TestKafka kafka,
      ModelAnnouncement model,
      org.apache.flink.runtime.testutils.InMemoryReporter metrics,
      org.apache.flink.api.common.JobID jobId,
      int parallelism,
      Duration wait)
      throws InterruptedException {
    try (dev.millrace.trainer.ModelAnnouncements announcements =
        new dev.millrace.trainer.ModelAnnouncements(kafka.bootstrapServers(), kafka.topics())) {
      announcements.announce(model, wait);
    }
    String version = model.getVersion().toString();
    org.assertj.core.api.Assertions.assertThat(
            FraudE2e.await(
                () ->
                    FraudE2e.everySubtaskServes(
                        metrics,
                        jobId,
                        dev.millrace.scorer.flink.Scoring.NAME,
                        parallelism,
                        version),
                wait))
        .as("every scoring subtask serves %s", version)
        .isTrue();
  }

  /** {@code parallelism}, 5 s out of order, partitions idle after 2 s, the task's scoring. */
  static TaskJobOptions options(Task task, int parallelism) {
    return new TaskJobOptions(
        parallelism,
        Duration.ofSeconds(5),
        Duration.ofSeconds(2),
        null,
        ScoringSettings.defaults(task),
        MonitoringSettings.defaults());
  }
}
