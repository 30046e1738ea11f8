package dev.millrace.schemas;

/**
 * How much of a rejected record a {@link DeadLetter} carries, so that a dead letter always fits in
 * one Kafka request ({@code max.request.size}, 1 MiB by default) whatever was rejected: a record
 * that decompresses past 1 MB must not turn into a dead letter the exactly-once sink cannot write
 * (a restart loop). Every stage that writes dead letters applies these limits; a truncated value
 * keeps its first {@link #MAX_ORIGINAL_BYTES} bytes and records its whole size in {@code
 * originalValueSize}, and the reason says so.
 */
public final class DeadLetterLimits {

  /**
   * The most bytes of the original key and of the original value a dead letter carries (64 KiB).
   */
  public static final int MAX_ORIGINAL_BYTES = 64 * 1024;

  /** The longest reason text a dead letter carries, in characters. */
  public static final int MAX_REASON_CHARS = 2_000;

  private DeadLetterLimits() {}
}
