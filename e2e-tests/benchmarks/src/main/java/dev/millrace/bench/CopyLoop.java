package dev.millrace.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The ceiling: a tight exactly-once consume-transform-produce loop with plain kafka-clients. Each
 * poll's records are copied (key and value bytes unchanged) to the output topic inside one Kafka
 * transaction that also commits the consumer's offsets; a {@code read_committed} consumer reads the
 * input. Kafka's client defaults otherwise.
 */
final class CopyLoop {

  private CopyLoop() {}

  /** Called on the loop's thread once {@code copied} records have been committed. */
  interface Progress {
    void committed(long copied);
  }

  /** Copies {@code n} records from {@code in} to {@code out}; returns the number copied. */
  static long run(
      String bootstrapServers,
      String in,
      String out,
      String id,
      long n,
      Duration timeout,
      Progress progress) {
    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, id);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    long deadline = System.nanoTime() + timeout.toNanos();
    long copied = 0;
    try (KafkaConsumer<byte[], byte[]> consumer =
            new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        KafkaProducer<byte[], byte[]> producer =
            new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.initTransactions();
      consumer.subscribe(List.of(in));
      Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
      while (copied < n) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "copy loop: only " + copied + " of " + n + " records within " + timeout);
        }
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
        if (records.isEmpty()) {
          continue;
        }
        producer.beginTransaction();
        offsets.clear();
        for (ConsumerRecord<byte[], byte[]> r : records) {
          producer.send(new ProducerRecord<>(out, null, r.timestamp(), r.key(), r.value()));
          offsets.put(
              new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
        }
        producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
        producer.commitTransaction();
        copied += records.count();
        progress.committed(copied);
      }
    }
    return copied;
  }
}
