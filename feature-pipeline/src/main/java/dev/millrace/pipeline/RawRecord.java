package dev.millrace.pipeline;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * The envelope a source emits before anything is decoded: the record's bytes exactly as they were
 * read plus where they came from. {@link AvroParser} decodes it without ever throwing, so a poison
 * record becomes a dead letter (with these coordinates) instead of failing the source.
 *
 * <p>A Flink POJO (public no-argument constructor, public fields), so Flink serialises it with its
 * POJO serializer and never with Kryo.
 */
public class RawRecord implements Serializable {

  private static final long serialVersionUID = 1L;

  /** Source topic (or another name of the source); may be null outside Kafka. */
  public String topic;

  /** Kafka partition, -1 when unknown. */
  public int partition = -1;

  /** Kafka offset, -1 when unknown. */
  public long offset = -1;

  /** The Kafka record timestamp in epoch milliseconds, -1 when unknown. */
  public long timestamp = -1;

  /** Original key bytes (may be null). */
  public byte[] key;

  /** Original value bytes (may be null for a tombstone). */
  public byte[] value;

  public RawRecord() {}

  public RawRecord(
      String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.timestamp = timestamp;
    this.key = key;
    this.value = value;
  }

  /** A record that did not come from Kafka (tests, files): topic only, no partition or offset. */
  public static RawRecord of(String topic, byte[] key, byte[] value) {
    return new RawRecord(topic, -1, -1, -1, key, value);
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof RawRecord other)) {
      return false;
    }
    return partition == other.partition
        && offset == other.offset
        && timestamp == other.timestamp
        && Objects.equals(topic, other.topic)
        && Arrays.equals(key, other.key)
        && Arrays.equals(value, other.value);
  }

  @Override
  public int hashCode() {
    int h = Objects.hash(topic, partition, offset, timestamp);
    h = 31 * h + Arrays.hashCode(key);
    return 31 * h + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return "RawRecord{"
        + topic
        + "/"
        + partition
        + "@"
        + offset
        + ", "
        + (value == null ? "null" : value.length + " bytes")
        + "}";
  }
}
