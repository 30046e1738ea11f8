package dev.millrace.pipeline;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Where a job keeps its keyed state between checkpoints ({@code state.backend.type}). */
public enum StateBackendChoice {
  /** On local disk, with incremental checkpoints: state may outgrow the heap (the default). */
  ROCKSDB("rocksdb"),
  /** On the JVM heap: faster, but every checkpoint is full and state must fit in memory. */
  HASHMAP("hashmap");

  private final String flinkName;

  StateBackendChoice(String flinkName) {
    this.flinkName = flinkName;
  }

  /** The value of Flink's {@code state.backend.type}. */
  public String flinkName() {
    return flinkName;
  }

  /** Parses {@code rocksdb} or {@code hashmap} (any case). */
  public static StateBackendChoice parse(String value) {
    String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    for (StateBackendChoice c : values()) {
      if (c.flinkName.equals(v)) {
        return c;
      }
    }
    throw new IllegalArgumentException(
        "unknown state backend '"
            + value
            + "': expected one of "
            + Arrays.stream(values())
                .map(StateBackendChoice::flinkName)
                .collect(Collectors.joining(", ")));
  }

  @Override
  public String toString() {
    return flinkName;
  }
}
