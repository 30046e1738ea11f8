package dev.millrace.ingest;

import dev.millrace.schemas.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Feeds an endless (or long) source of a task's events to its events topic at a fixed rate until
 * stopped: Avro single-object encoding, keyed by entity, idempotent, acks=all, in source order. The
 * demo of tasks without delayed labels (churn, demand) runs its generator through it; a refused
 * record stops the feed with the error ({@link #run} throws it).
 *
 * @param <E> the task's event record
 */
public final class EventFeed<E extends SpecificRecord> implements AutoCloseable {

  /**
   * @param sent records handed to Kafka
   * @param acked records Kafka acknowledged
   */
  public record Counts(long sent, long acked) {}

  private final KafkaProducer<byte[], byte[]> producer;
  private final String topic;
  private final AvroSerde<E> serde;
  private final Function<E, String> key;
  private final double eventsPerSecond;
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong acked = new AtomicLong();
  private final AtomicReference<Exception> error = new AtomicReference<>();
  private volatile boolean stopped;
  private volatile Thread running;

  public EventFeed(
      String bootstrapServers,
      Map<String, String> kafkaProperties,
      String topic,
      Class<E> type,
      Function<E, String> key,
      double eventsPerSecond) {
    if (!(eventsPerSecond > 0) || !Double.isFinite(eventsPerSecond)) {
      throw new IllegalArgumentException("the rate must be positive, got " + eventsPerSecond);
    }
    Properties p = EventPublisher.producerProperties(bootstrapServers, kafkaProperties);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
    this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    this.topic = Objects.requireNonNull(topic, "topic");
    this.serde = AvroSerde.of(type);
    this.key = Objects.requireNonNull(key, "key");
    this.eventsPerSecond = eventsPerSecond;
  }

  /**
   * Sends {@code source}'s events at the rate until it ends or {@link #stop} is called, then
   * flushes.
   *
   * @throws IllegalStateException when Kafka refused a record
   */
  public Counts run(Iterator<E> source) {
    running = Thread.currentThread();
    long start = System.nanoTime();
    while (!stopped && source.hasNext()) {
      Exception e = error.get();
      if (e != null) {
        throw new IllegalStateException("Kafka refused a record of " + topic + ": " + e, e);
      }
      long target = start + (long) (sent.get() * 1e9 / eventsPerSecond);
      long wait;
      while (!stopped && (wait = target - System.nanoTime()) > 0) {
        LockSupport.parkNanos(this, Math.min(wait, TimeUnit.MILLISECONDS.toNanos(100)));
      }
      if (stopped) {
        break;
      }
      E event = source.next();
      producer.send(
          new ProducerRecord<>(
              topic, key.apply(event).getBytes(StandardCharsets.UTF_8), serde.encode(event)),
          (meta, ex) -> {
            if (ex == null) {
              acked.incrementAndGet();
            } else {
              error.compareAndSet(null, ex);
            }
          });
      sent.incrementAndGet();
    }
    producer.flush();
    return counts();
  }

  /** Asks a running {@link #run} to return soon; safe from any thread. */
  public void stop() {
    stopped = true;
    Thread t = running;
    if (t != null) {
      LockSupport.unpark(t);
    }
  }

  public Counts counts() {
    return new Counts(sent.get(), acked.get());
  }

  @Override
  public void close() {
    stop();
    producer.close(java.time.Duration.ofSeconds(10));
  }
}
