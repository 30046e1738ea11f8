package dev.millrace.ops.dashboard;

import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the dashboard needs, parsed once.
 *
 * @param bootstrapServers Kafka to read {@code <task>.scores}, {@code <task>.dlq}, {@code
 *     <task>.quality}, {@code millrace.models} and {@code millrace.control} from (read_committed)
 * @param topics topic names
 * @param tasks the tasks that get a page
 * @param historyDir folder of the trainers' JSON-lines histories ({@code <task>-history.jsonl})
 * @param host address to listen on
 * @param port port to listen on; 0 picks a free one
 * @param kafkaProperties client properties of its Kafka consumer (e.g. SASL_SSL from {@code
 *     --kafka-config})
 */
public record DashboardSettings(
    String bootstrapServers,
    TopicRegistry topics,
    List<Task> tasks,
    Path historyDir,
    String host,
    int port,
    Map<String, String> kafkaProperties) {

  /** Default dashboard port. */
  public static final int DEFAULT_PORT = 8080;

  public DashboardSettings {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(historyDir, "historyDir");
    Objects.requireNonNull(host, "host");
    tasks = List.copyOf(tasks);
    kafkaProperties = Map.copyOf(kafkaProperties);
    if (tasks.isEmpty()) {
      throw new IllegalArgumentException("the dashboard needs at least one task");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("dashboard port " + port + " is not in 0..65535");
    }
  }

  /** Without extra Kafka client properties. */
  public DashboardSettings(
      String bootstrapServers,
      TopicRegistry topics,
      List<Task> tasks,
      Path historyDir,
      String host,
      int port) {
    this(bootstrapServers, topics, tasks, historyDir, host, port, Map.of());
  }

  /** Every task, on {@code 127.0.0.1:port}. */
  public static DashboardSettings of(
      String bootstrapServers, TopicRegistry topics, Path historyDir, int port) {
    return new DashboardSettings(
        bootstrapServers, topics, List.of(Task.values()), historyDir, "127.0.0.1", port);
  }
}
