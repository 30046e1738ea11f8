package dev.millrace.schemas;

/** Kafka header names set on every record of a {@code <task>.dlq} topic. */
public final class DeadLetterHeaders {
  public static final String SOURCE_TOPIC = "millrace.dlq.source.topic";
  public static final String SOURCE_PARTITION = "millrace.dlq.source.partition";
  public static final String SOURCE_OFFSET = "millrace.dlq.source.offset";
  public static final String REASON = "millrace.dlq.reason";
  public static final String STAGE = "millrace.dlq.stage";

  private DeadLetterHeaders() {}
}
