package dev.millrace.ops.dashboard;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.millrace.schemas.AvroSerde;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelQuality;
import dev.millrace.schemas.RetrainRequest;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One read_committed consumer thread that tails, from their beginning, every topic the dashboard
 * shows: {@code <task>.scores}, {@code <task>.dlq}, {@code <task>.labels} (counted only), {@code
 * <task>.quality} (prequential metrics, when that topic exists), {@code millrace.models} and {@code
 * millrace.control} (drift-triggered retrain requests). Topics that appear later are picked up. It
 * only reads Kafka: it never talks to the Flink job, so it cannot slow it down.
 */
final class TopicFeed implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TopicFeed.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long REFRESH_MILLIS = 3_000;

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Map<Task, TaskState> states;
  private final Map<String, Route> routes = new HashMap<>();
  private final Set<TopicPartition> assigned = new HashSet<>();
  private final Thread thread;
  private volatile boolean running = true;

  private enum Kind {
    SCORES,
    LABELS,
    DLQ,
    QUALITY,
    MODELS,
    CONTROL
  }

  private record Route(Kind kind, Task task) {}

  TopicFeed(
      String bootstrapServers,
      Map<String, String> kafkaProperties,
      TopicRegistry topics,
      Map<Task, TaskState> states) {
    this.states = states;
    for (Task task : states.keySet()) {
      String scores = topics.scores(task).name();
      routes.put(scores, new Route(Kind.SCORES, task));
      routes.put(topics.dlq(task).name(), new Route(Kind.DLQ, task));
      routes.put(topics.labels(task).name(), new Route(Kind.LABELS, task));
      routes.put(topics.quality(task).name(), new Route(Kind.QUALITY, task));
    }
    routes.put(topics.models().name(), new Route(Kind.MODELS, null));
    routes.put(topics.control().name(), new Route(Kind.CONTROL, null));
    Properties p = new Properties();
    p.putAll(kafkaProperties);
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "millrace-dashboard");
    this.consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.thread = new Thread(this::run, "millrace-dashboard-feed");
    this.thread.setDaemon(true);
  }

  TopicFeed start() {
    thread.start();
    return this;
  }

  private final Deserializer<ScoreRecord> scoreSerde =
      AvroSerde.of(ScoreRecord.class).deserializer();
  private final Deserializer<DeadLetter> dlqSerde = AvroSerde.of(DeadLetter.class).deserializer();
  private final Deserializer<ModelAnnouncement> modelSerde =
      AvroSerde.of(ModelAnnouncement.class).deserializer();
  private final Deserializer<ModelQuality> qualitySerde =
      AvroSerde.of(ModelQuality.class).deserializer();
  private final Deserializer<RetrainRequest> controlSerde =
      AvroSerde.of(RetrainRequest.class).deserializer();

  private void run() {
    long nextRefresh = 0;
    try {
      while (running) {
        if (System.currentTimeMillis() >= nextRefresh) {
          refreshAssignment();
          nextRefresh = System.currentTimeMillis() + REFRESH_MILLIS;
        }
        if (assigned.isEmpty()) {
          Thread.sleep(500); // no topic exists yet
          continue;
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          try {
            handle(r);
          } catch (RuntimeException e) {
            LOG.debug("dashboard skips an unreadable record of {}: {}", r.topic(), e.toString());
          }
        }
      }
    } catch (WakeupException | InterruptedException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.warn("dashboard feed stopped: {}", e.toString());
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  private void refreshAssignment() {
    Map<String, List<PartitionInfo>> existing = consumer.listTopics(Duration.ofSeconds(10));
    Set<TopicPartition> wanted = new HashSet<>(assigned);
    for (String topic : routes.keySet()) {
      List<PartitionInfo> infos = existing.get(topic);
      if (infos != null) {
        infos.forEach(i -> wanted.add(new TopicPartition(topic, i.partition())));
      }
    }
    if (!wanted.equals(assigned)) {
      Set<TopicPartition> added = new HashSet<>(wanted);
      added.removeAll(assigned);
      consumer.assign(wanted);
      consumer.seekToBeginning(added);
      assigned.clear();
      assigned.addAll(wanted);
    }
  }

  private void handle(ConsumerRecord<byte[], byte[]> r) {
    Route route = routes.get(r.topic());
    if (route == null || r.value() == null) {
      return;
    }
    switch (route.kind()) {
      case SCORES ->
          states
              .get(route.task())
              .onScore(
                  scoreSerde.deserialize(r.topic(), r.value()),
                  r.timestamp(),
                  System.currentTimeMillis());
      case LABELS -> states.get(route.task()).onLabel(r.timestamp());
      case DLQ ->
          states
              .get(route.task())
              .onDeadLetter(dlqSerde.deserialize(r.topic(), r.value()), r.timestamp());
      case MODELS -> {
        ModelAnnouncement a = modelSerde.deserialize(r.topic(), r.value());
        TaskState state = states.get(a.getTask());
        if (state != null) {
          state.onAnnouncement(a);
        }
      }
      case QUALITY -> {
        ModelQuality q = qualitySerde.deserialize(r.topic(), r.value());
        states.get(route.task()).onQuality(q.getModelVersion(), asMap(q));
      }
      case CONTROL -> {
        RetrainRequest request = controlSerde.deserialize(r.topic(), r.value());
        TaskState state = states.get(request.getTask());
        if (state != null) {
          state.onDrift(asMap(request));
        }
      }
    }
  }

  /** An Avro record as plain JSON values (its toString is JSON). */
  private static Map<String, Object> asMap(SpecificRecord record) {
    try {
      return JSON.readValue(record.toString(), new TypeReference<Map<String, Object>>() {});
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot read " + record.getSchema().getName(), e);
    }
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
