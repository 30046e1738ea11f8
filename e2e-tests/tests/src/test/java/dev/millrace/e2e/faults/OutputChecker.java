package dev.millrace.e2e.faults;

import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.TopicRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The independent checker: a {@code read_committed} consumer of the scores and dead-letter topics
 * that runs for the whole scenario, across every fault, in the test JVM. It decodes the records
 * with the schemas' serdes (the topic contract), never with the job's classes, and keeps: how many
 * scores each event id got, when each score became visible to it, every dead letter's source topic,
 * partition, offset, reason code, stage and carried and original value sizes, and the largest
 * record seen on the scores, dead-letter and training topics (training examples are not decoded:
 * only their size is kept).
 */
final class OutputChecker implements AutoCloseable {

  /**
   * A score as the checker saw it: the event, when it was scored, when it became visible, the model
   * version it names and its fallback reason (null when a model made it).
   */
  record Seen(
      String eventId,
      long scoredAtMillis,
      long visibleAtMillis,
      String modelVersion,
      String fallbackReason) {}

  /**
   * A dead letter: where its record came from, and why it was rejected; the stage that rejected it,
   * the bytes of the original value it carries and the original value's whole size when it says the
   * value was truncated (null otherwise).
   */
  record Letter(
      String sourceTopic,
      int partition,
      long offset,
      String reasonCode,
      String stage,
      int carriedValueBytes,
      Integer originalValueSize) {}

  private final Topic<String, ScoreRecord> scores;
  private final Topic<byte[], DeadLetter> dlq;
  private final String training;
  private final Map<String, Integer> largest = new ConcurrentHashMap<>();
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Map<String, Integer> perId = new ConcurrentHashMap<>();
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final List<Letter> letters = new CopyOnWriteArrayList<>();
  private final AtomicLong lastRecordAt = new AtomicLong(System.currentTimeMillis());
  private final AtomicReference<Throwable> error = new AtomicReference<>();
  private final Thread thread;
  private volatile boolean stopped;

  OutputChecker(String bootstrapServers, TopicRegistry topics) {
    this.scores = topics.scores(Task.FRAUD);
    this.dlq = topics.dlq(Task.FRAUD);
    this.training = topics.training(Task.FRAUD).name();
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "fault-suite-checker");
    this.consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : List.of(scores.name(), dlq.name(), training)) {
      consumer
          .partitionsFor(topic, Duration.ofSeconds(60))
          .forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    this.thread = new Thread(this::run, "fault-suite-checker");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    try {
      while (!stopped) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          long now = System.currentTimeMillis();
          lastRecordAt.set(now);
          largest.merge(r.topic(), bytes(r), Math::max);
          if (r.topic().equals(training)) {
            continue; // only its records' sizes are checked
          }
          if (r.topic().equals(scores.name())) {
            ScoreRecord s = scores.valueSerde().deserializer().deserialize(r.topic(), r.value());
            String id = s.getEventId();
            perId.merge(id, 1, Integer::sum);
            seen.add(
                new Seen(
                    id,
                    s.getScoringTime().toEpochMilli(),
                    now,
                    s.getModelVersion().toString(),
                    s.getFallbackReason() == null ? null : s.getFallbackReason().toString()));
          } else {
            DeadLetter d = dlq.valueSerde().deserializer().deserialize(r.topic(), r.value());
            letters.add(
                new Letter(
                    d.getSourceTopic(),
                    d.getSourcePartition() == null ? -1 : d.getSourcePartition(),
                    d.getSourceOffset() == null ? -1 : d.getSourceOffset(),
                    d.getReasonCode(),
                    d.getStage(),
                    d.getOriginalValue() == null ? -1 : d.getOriginalValue().remaining(),
                    d.getOriginalValueSize()));
          }
        }
      }
    } catch (org.apache.kafka.common.errors.WakeupException e) {
      // closing
    } catch (Throwable t) {
      error.set(t);
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private void requireRunning() {
    Throwable t = error.get();
    if (t != null) {
      throw new IllegalStateException("the checker's consumer failed: " + t, t);
    }
  }

  /** A record's key, value and header bytes: what a producer request had to hold for it. */
  private static int bytes(ConsumerRecord<byte[], byte[]> r) {
    int n = Math.max(0, r.serializedKeySize()) + Math.max(0, r.serializedValueSize());
    for (org.apache.kafka.common.header.Header h : r.headers()) {
      n += h.key().length() + (h.value() == null ? 0 : h.value().length);
    }
    return n;
  }

  /**
   * The largest record (key, value and headers, in bytes) read so far from each of the scores, dead
   * letter and training topics, by topic name.
   */
  Map<String, Integer> largestRecordBytes() {
    requireRunning();
    return Map.copyOf(largest);
  }

  /** Scores per event id so far. */
  Map<String, Integer> perId() {
    requireRunning();
    return perId;
  }

  List<Letter> letters() {
    requireRunning();
    return letters;
  }

  /**
   * When the first score computed after {@code fault} became visible to this read_committed reader:
   * the end of the outage as a consumer of the scores sees it; null when none yet.
   */
  Instant firstVisibleScoredAfter(Instant fault) {
    requireRunning();
    long t = fault.toEpochMilli();
    return seen.stream()
        .filter(s -> s.scoredAtMillis() > t)
        .mapToLong(Seen::visibleAtMillis)
        .min()
        .stream()
        .mapToObj(Instant::ofEpochMilli)
        .findFirst()
        .orElse(null);
  }

  /** Every score seen so far, in the order the checker read them. */
  List<Seen> seen() {
    requireRunning();
    return seen;
  }

  /**
   * The first score (by scoring time) that names model {@code version} and was made by it; null
   * when none yet.
   */
  Seen firstScoredBy(String version) {
    requireRunning();
    return seen.stream()
        .filter(s -> s.modelVersion().equals(version) && s.fallbackReason() == null)
        .min(java.util.Comparator.comparingLong(Seen::scoredAtMillis))
        .orElse(null);
  }

  /**
   * Scores computed after {@code fromMillis} (and up to {@code toMillis}), counted by what made
   * them: the model version, or {@code fallback:<reason>}.
   */
  Map<String, Long> scoredBy(long fromMillis, long toMillis) {
    requireRunning();
    Map<String, Long> by = new java.util.TreeMap<>();
    for (Seen s : seen) {
      if (s.scoredAtMillis() > fromMillis && s.scoredAtMillis() <= toMillis) {
        String what =
            s.fallbackReason() == null ? s.modelVersion() : "fallback:" + s.fallbackReason();
        by.merge(what, 1L, Long::sum);
      }
    }
    return by;
  }

  /** Waits until {@code condition} holds; false after {@code timeout}. */
  boolean await(java.util.function.BooleanSupplier condition, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      requireRunning();
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(200);
    }
    return true;
  }

  /** Milliseconds since the last record arrived. */
  long quietMillis() {
    return System.currentTimeMillis() - lastRecordAt.get();
  }

  @Override
  public void close() throws InterruptedException {
    stopped = true;
    consumer.wakeup();
    thread.join(10_000);
  }
}
