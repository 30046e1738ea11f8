package dev.millrace.schemas;

import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.serialization.Serde;

/**
 * A Kafka topic with everything a client needs to use it correctly: its name, key and value serdes,
 * partition count and topic configs (cleanup policy and the like).
 */
public record Topic<K, V>(
    String name,
    Serde<K> keySerde,
    Serde<V> valueSerde,
    int partitions,
    Map<String, String> configs) {

  public Topic {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(keySerde, "keySerde");
    Objects.requireNonNull(valueSerde, "valueSerde");
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1 for " + name);
    }
    configs = Map.copyOf(configs);
  }

  public String cleanupPolicy() {
    return configs.getOrDefault("cleanup.policy", "delete");
  }
}
