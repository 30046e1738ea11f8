package dev.millrace.ops.backtest;

import dev.millrace.schemas.Topic;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * Reads every committed record of a topic from its beginning ({@code read_committed}, all
 * partitions assigned, no consumer group) on a daemon thread and hands each value to a sink, until
 * closed.
 */
public final class TopicTail<K, V> implements AutoCloseable {

  private final KafkaConsumer<K, V> consumer;
  private final Thread thread;
  private final AtomicReference<Throwable> error = new AtomicReference<>();
  private volatile boolean closed;

  public TopicTail(String bootstrapServers, Topic<K, V> topic, Consumer<V> sink) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "millrace-backtest-" + topic.name());
    consumer =
        new KafkaConsumer<>(p, topic.keySerde().deserializer(), topic.valueSerde().deserializer());
    List<TopicPartition> partitions =
        consumer.partitionsFor(topic.name(), Duration.ofSeconds(30)).stream()
            .map(i -> new TopicPartition(i.topic(), i.partition()))
            .toList();
    if (partitions.isEmpty()) {
      throw new IllegalStateException("topic " + topic.name() + " has no partitions");
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    thread =
        new Thread(
            () -> {
              try {
                while (!closed) {
                  for (ConsumerRecord<K, V> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() != null) {
                      sink.accept(r.value());
                    }
                  }
                }
              } catch (WakeupException e) {
                // closing
              } catch (Throwable t) {
                error.set(t);
              } finally {
                consumer.close(Duration.ofSeconds(5));
              }
            },
            "millrace-backtest-" + topic.name());
    thread.setDaemon(true);
    thread.start();
  }

  /** Throws the error that stopped the reading thread, if any. */
  public void check() {
    Throwable t = error.get();
    if (t != null) {
      throw new IllegalStateException("reading stopped: " + t.getMessage(), t);
    }
  }

  @Override
  public void close() {
    closed = true;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
