package dev.millrace.pipeline;

import java.util.Locale;

/** What the job's Kafka sinks promise to readers ({@code --delivery-guarantee}). */
public enum DeliveryGuarantee {
  /**
   * Transactional producers, committed when a checkpoint completes: {@code read_committed} readers
   * see every output exactly once, one checkpoint interval late.
   */
  EXACTLY_ONCE("exactly-once"),
  /**
   * Plain idempotent producers, flushed at each checkpoint: output is readable as soon as it is
   * written; after a recovery the records since the last checkpoint are written again.
   */
  AT_LEAST_ONCE("at-least-once");

  private final String flag;

  DeliveryGuarantee(String flag) {
    this.flag = flag;
  }

  /** The flag value, e.g. {@code exactly-once}. */
  public String flag() {
    return flag;
  }

  /** The connector's delivery guarantee. */
  public org.apache.flink.connector.base.DeliveryGuarantee connector() {
    return this == EXACTLY_ONCE
        ? org.apache.flink.connector.base.DeliveryGuarantee.EXACTLY_ONCE
        : org.apache.flink.connector.base.DeliveryGuarantee.AT_LEAST_ONCE;
  }

  /** Parses {@code exactly-once} or {@code at-least-once} (case and {@code _} tolerated). */
  public static DeliveryGuarantee parse(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    for (DeliveryGuarantee g : values()) {
      if (g.flag.equals(v)) {
        return g;
      }
    }
    throw new IllegalArgumentException(
        "--delivery-guarantee: '" + value + "' is not exactly-once or at-least-once");
  }

  @Override
  public String toString() {
    return flag;
  }
}
