package dev.millrace.ops.local;

import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.RetrainRequest;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Tails a task's committed outputs ({@code <task>.scores} and {@code <task>.dlq}, read_committed)
 * as any downstream consumer would, and keeps the counts a status line needs: scores per model
 * version, dead letters per reason; and the task's drift-triggered retrain requests on {@code
 * millrace.control}.
 */
public final class OutputWatcher implements AutoCloseable {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(OutputWatcher.class);

  /** A snapshot of what has been committed so far. */
  public record Snapshot(
      long scores,
      Map<String, Long> scoresByVersion,
      String latestVersion,
      long deadLetters,
      Map<String, Long> deadLettersByReason) {}

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final TopicRegistry topics;
  private final Task task;
  private final Thread thread;
  private final AtomicLong scores = new AtomicLong();
  private final AtomicLong deadLetters = new AtomicLong();
  private final Map<String, Long> byVersion = new ConcurrentHashMap<>();
  private final Map<String, Long> byReason = new ConcurrentHashMap<>();
  private final AtomicReference<String> latestVersion = new AtomicReference<>();
  private final AtomicLong retrainRequests = new AtomicLong();
  private final AtomicReference<RetrainRequest> latestRetrainRequest = new AtomicReference<>();
  private volatile boolean running = true;
  private volatile LongConsumer visibleLagMillis = lag -> {};

  public OutputWatcher(String bootstrapServers, TopicRegistry topics, Task task) {
    this.topics = topics;
    this.task = task;
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    this.consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.thread = new Thread(this::run, "millrace-output-watcher");
    this.thread.setDaemon(true);
  }

  /**
   * Calls {@code listener} with each committed score's lag in milliseconds: wall-clock time from
   * its scoring to this read_committed reader seeing it (checkpoint + transaction commit + poll).
   */
  public OutputWatcher onVisibleLag(LongConsumer listener) {
    this.visibleLagMillis = listener;
    return this;
  }

  public OutputWatcher start() {
    thread.start();
    return this;
  }

  private void run() {
    var scoreTopic = topics.scores(task);
    var dlqTopic = topics.dlq(task);
    try {
      List<TopicPartition> partitions = new ArrayList<>();
      var controlTopic = topics.control();
      for (String name : List.of(scoreTopic.name(), dlqTopic.name(), controlTopic.name())) {
        consumer
            .partitionsFor(name, Duration.ofSeconds(30))
            .forEach(info -> partitions.add(new TopicPartition(name, info.partition())));
      }
      consumer.assign(partitions);
      consumer.seekToEnd(partitions); // what this run produces, not earlier runs
      while (running) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          if (r.topic().equals(scoreTopic.name())) {
            ScoreRecord score =
                scoreTopic.valueSerde().deserializer().deserialize(r.topic(), r.value());
            scores.incrementAndGet();
            visibleLagMillis.accept(
                System.currentTimeMillis() - score.getScoringTime().toEpochMilli());
            String version = score.getModelVersion();
            byVersion.merge(version, 1L, Long::sum);
            latestVersion.set(version); // the model scoring right now
          } else if (r.topic().equals(controlTopic.name())) {
            RetrainRequest request =
                controlTopic.valueSerde().deserializer().deserialize(r.topic(), r.value());
            if (request.getTask() == task) {
              retrainRequests.incrementAndGet();
              latestRetrainRequest.set(request);
            }
          } else {
            DeadLetter dead =
                dlqTopic.valueSerde().deserializer().deserialize(r.topic(), r.value());
            deadLetters.incrementAndGet();
            byReason.merge(dead.getReasonCode(), 1L, Long::sum);
          }
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.warn("output watcher stopped: {}", e.toString());
    } finally {
      consumer.close();
    }
  }

  public Snapshot snapshot() {
    return new Snapshot(
        scores.get(),
        new LinkedHashMap<>(byVersion),
        latestVersion.get(),
        deadLetters.get(),
        new LinkedHashMap<>(byReason));
  }

  /** Retrain requests of the task (drift) committed during this run. */
  public long retrainRequests() {
    return retrainRequests.get();
  }

  /** The latest retrain request of the task during this run. */
  public Optional<RetrainRequest> latestRetrainRequest() {
    return Optional.ofNullable(latestRetrainRequest.get());
  }

  /**
   * A status-line part such as {@code drift TX_AMOUNT psi=0.41 -> 2 retrain requests}; empty before
   * the first request.
   */
  public String driftStatus() {
    RetrainRequest r = latestRetrainRequest.get();
    if (r == null) {
      return "";
    }
    long n = retrainRequests.get();
    return String.format(
        Locale.ROOT,
        "drift %s psi=%.2f -> %d retrain request%s",
        r.getFeature(),
        r.getPsi(),
        n,
        n == 1 ? "" : "s");
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
