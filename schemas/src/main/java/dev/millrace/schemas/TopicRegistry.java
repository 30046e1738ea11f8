package dev.millrace.schemas;

import dev.millrace.schemas.churn.ChurnActivity;
import dev.millrace.schemas.demand.DemandObservation;
import dev.millrace.schemas.fraud.FraudLabel;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The typed topic registry: the one place that knows every topic of DESIGN.md section 3 with its
 * name, key and value serdes, partition count and cleanup policy.
 *
 * <p>{@link #standard()} gives the names of the design ({@code fraud.events}, {@code
 * millrace.models}). A namespaced registry prefixes every name ({@code staging.fraud.events}) so
 * that several pipelines, or several tests, can share one Kafka cluster.
 */
public final class TopicRegistry {

  /** Default partition count of per-task topics. */
  public static final int DEFAULT_PARTITIONS = 3;

  private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9_-]+");
  private static final TopicRegistry STANDARD = new TopicRegistry("");

  private final String prefix;

  private TopicRegistry(String prefix) {
    this.prefix = prefix;
  }

  public static TopicRegistry standard() {
    return STANDARD;
  }

  /** A registry whose topic names all start with {@code namespace + "."}. */
  public static TopicRegistry namespaced(String namespace) {
    if (namespace == null || namespace.isEmpty()) {
      return STANDARD;
    }
    if (!NAMESPACE.matcher(namespace).matches()) {
      throw new IllegalArgumentException(
          "topic namespace '" + namespace + "' may only hold letters, digits, '_' and '-'");
    }
    return new TopicRegistry(namespace + ".");
  }

  /** Parses a task name as users type it ({@code fraud}, {@code CHURN}). */
  public static Task task(String name) {
    if (name != null) {
      for (Task task : Task.values()) {
        if (task.name().equalsIgnoreCase(name.trim())) {
          return task;
        }
      }
    }
    throw new IllegalArgumentException(
        "unknown task '" + name + "': expected one of fraud, churn, demand");
  }

  /** Parses {@code all} or one task name. */
  public static List<Task> tasks(String nameOrAll) {
    if (nameOrAll != null && nameOrAll.trim().equalsIgnoreCase("all")) {
      return List.of(Task.values());
    }
    return List.of(task(nameOrAll));
  }

  /** The lower-case name of a task as used in topic names, e.g. {@code fraud}. */
  public static String taskName(Task task) {
    return task.name().toLowerCase(Locale.ROOT);
  }

  /** The Avro event type carried on {@code <task>.events}. */
  public static Class<? extends SpecificRecord> eventType(Task task) {
    return switch (task) {
      case FRAUD -> FraudTransaction.class;
      case CHURN -> ChurnActivity.class;
      case DEMAND -> DemandObservation.class;
    };
  }

  /** The Avro label type carried on {@code <task>.labels}. */
  public static Class<? extends SpecificRecord> labelType(Task task) {
    return task == Task.FRAUD ? FraudLabel.class : OutcomeLabel.class;
  }

  /** {@code millrace.models}: compacted, the latest announcement per task (key: task name). */
  public Topic<String, ModelAnnouncement> models() {
    return new Topic<>(
        prefix + "millrace.models",
        Serdes.String(),
        AvroSerde.of(ModelAnnouncement.class),
        1,
        Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "0"));
  }

  /**
   * {@code millrace.control}: requests to the trainers, e.g. an early retrain on drift (key: task
   * name; each trainer reads the records of its own task).
   */
  public Topic<String, RetrainRequest> control() {
    return new Topic<>(
        prefix + "millrace.control",
        Serdes.String(),
        AvroSerde.of(RetrainRequest.class),
        1,
        Map.of());
  }

  /** {@code <task>.raw}: JSON as producers send it, keyed by entity id. */
  public Topic<String, String> raw(Task task) {
    return perTask(task, "raw", Serdes.String(), Serdes.String());
  }

  /** {@code <task>.events}: the task's Avro event, keyed by entity id. */
  public Topic<String, ? extends SpecificRecord> events(Task task) {
    return perTask(task, "events", Serdes.String(), AvroSerde.of(eventType(task)));
  }

  /** {@code <task>.labels}: Avro outcomes. */
  public Topic<String, ? extends SpecificRecord> labels(Task task) {
    return perTask(task, "labels", Serdes.String(), AvroSerde.of(labelType(task)));
  }

  /** {@code fraud.events}, typed. */
  public Topic<String, FraudTransaction> fraudEvents() {
    return perTask(Task.FRAUD, "events", Serdes.String(), AvroSerde.of(FraudTransaction.class));
  }

  /** {@code fraud.labels}, typed. */
  public Topic<String, FraudLabel> fraudLabels() {
    return perTask(Task.FRAUD, "labels", Serdes.String(), AvroSerde.of(FraudLabel.class));
  }

  /** {@code <task>.scores}: one score per accepted event. */
  public Topic<String, ScoreRecord> scores(Task task) {
    return perTask(task, "scores", Serdes.String(), AvroSerde.of(ScoreRecord.class));
  }

  /** {@code <task>.training}: matured training examples. */
  public Topic<String, TrainingExample> training(Task task) {
    return perTask(task, "training", Serdes.String(), AvroSerde.of(TrainingExample.class));
  }

  /** {@code <task>.dlq}: dead letters, keyed by the original key bytes. */
  public Topic<byte[], DeadLetter> dlq(Task task) {
    return perTask(task, "dlq", Serdes.ByteArray(), AvroSerde.of(DeadLetter.class));
  }

  /**
   * {@code <task>.quality}: prequential quality per model version as labels mature (key: model
   * version).
   */
  public Topic<String, ModelQuality> quality(Task task) {
    return perTask(task, "quality", Serdes.String(), AvroSerde.of(ModelQuality.class));
  }

  /** Every topic of one task, in flow order. */
  public List<Topic<?, ?>> forTask(Task task) {
    return List.of(
        raw(task),
        events(task),
        labels(task),
        scores(task),
        training(task),
        dlq(task),
        quality(task));
  }

  /** Every topic of the given tasks plus {@link #models()} and {@link #control()}. */
  public List<Topic<?, ?>> all(Collection<Task> tasks) {
    List<Topic<?, ?>> topics = new ArrayList<>();
    for (Task task : tasks) {
      topics.addAll(forTask(task));
    }
    topics.add(models());
    topics.add(control());
    return topics;
  }

  private <K, V> Topic<K, V> perTask(Task task, String suffix, Serde<K> key, Serde<V> value) {
    return new Topic<>(
        prefix + taskName(task) + "." + suffix, key, value, DEFAULT_PARTITIONS, Map.of());
  }
}
