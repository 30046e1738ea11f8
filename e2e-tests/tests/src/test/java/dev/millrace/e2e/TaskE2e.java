package dev.millrace.e2e;

import dev.millrace.pipeline.DeliveryGuarantee;
import dev.millrace.pipeline.KafkaJobSettings;
import dev.millrace.pipeline.StateBackendChoice;
import dev.millrace.pipeline.monitoring.MonitoringSettings;
import dev.millrace.pipeline.task.TaskJobOptions;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.scorer.DeviceChoice;
import dev.millrace.scorer.flink.ScoringSettings;
import dev.millrace.testkit.TestKafka;
import java.time.Duration;
import java.util.Map;

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
