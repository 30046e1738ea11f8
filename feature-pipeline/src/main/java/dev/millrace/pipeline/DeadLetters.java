package dev.millrace.pipeline;

import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.DeadLetterHeaders;
import dev.millrace.schemas.DeadLetterLimits;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.util.OutputTag;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/** Building dead letters and their Kafka headers. */
public final class DeadLetters {

  private DeadLetters() {}

  /** A side-output tag for dead letters with the given id. */
  public static OutputTag<DeadLetter> tag(String id) {
    return new OutputTag<>(id, new AvroTypeInfo<>(DeadLetter.class));
  }

  /**
   * The dead letter of {@code raw}, rejected by {@code stage} for {@code reason}, within {@link
   * DeadLetterLimits}: at most {@link DeadLetterLimits#MAX_ORIGINAL_BYTES} of the original key and
   * value (a truncated value records its whole size in {@code originalValueSize} and the reason
   * says so), at most {@link DeadLetterLimits#MAX_REASON_CHARS} of reason.
   */
  public static DeadLetter of(
      RawRecord raw, String reasonCode, String reason, String stage, Instant rejectedAt) {
    boolean truncated = raw.value != null && raw.value.length > DeadLetterLimits.MAX_ORIGINAL_BYTES;
    String why = reason;
    if (truncated) {
      why =
          reason
              + " (original value of "
              + raw.value.length
              + " bytes truncated to its first "
              + DeadLetterLimits.MAX_ORIGINAL_BYTES
              + ")";
    }
    return DeadLetter.newBuilder()
        .setReason(limit(why))
        .setReasonCode(reasonCode)
        .setStage(stage)
        .setSourceTopic(raw.topic)
        .setSourcePartition(raw.partition < 0 ? null : raw.partition)
        .setSourceOffset(raw.offset < 0 ? null : raw.offset)
        .setOriginalKey(capped(raw.key))
        .setOriginalValue(capped(raw.value))
        .setOriginalValueSize(truncated ? raw.value.length : null)
        .setRejectedAt(rejectedAt)
        .build();
  }

  /** At most {@link DeadLetterLimits#MAX_ORIGINAL_BYTES} of {@code bytes}, without copying. */
  static ByteBuffer capped(byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    return ByteBuffer.wrap(bytes, 0, Math.min(bytes.length, DeadLetterLimits.MAX_ORIGINAL_BYTES))
        .slice();
  }

  /** At most {@link DeadLetterLimits#MAX_REASON_CHARS} of a reason. */
  public static String limit(String reason) {
    if (reason == null || reason.length() <= DeadLetterLimits.MAX_REASON_CHARS) {
      return reason;
    }
    return reason.substring(0, DeadLetterLimits.MAX_REASON_CHARS - 3) + "...";
  }

  /** The {@link DeadLetterHeaders} of a dead letter, for its Kafka record. */
  public static List<Header> headers(DeadLetter letter) {
    List<Header> headers = new ArrayList<>(5);
    if (letter.getSourceTopic() != null) {
      headers.add(header(DeadLetterHeaders.SOURCE_TOPIC, letter.getSourceTopic()));
    }
    if (letter.getSourcePartition() != null) {
      headers.add(
          header(DeadLetterHeaders.SOURCE_PARTITION, letter.getSourcePartition().toString()));
    }
    if (letter.getSourceOffset() != null) {
      headers.add(header(DeadLetterHeaders.SOURCE_OFFSET, letter.getSourceOffset().toString()));
    }
    headers.add(header(DeadLetterHeaders.REASON, letter.getReasonCode()));
    headers.add(header(DeadLetterHeaders.STAGE, letter.getStage()));
    return headers;
  }

  /** The bytes of an Avro {@code bytes} field (without disturbing the buffer's position). */
  public static byte[] bytes(ByteBuffer buffer) {
    if (buffer == null) {
      return null;
    }
    ByteBuffer copy = buffer.duplicate();
    byte[] bytes = new byte[copy.remaining()];
    copy.get(bytes);
    return bytes;
  }

  private static Header header(String name, CharSequence value) {
    return new RecordHeader(name, value.toString().getBytes(StandardCharsets.UTF_8));
  }
}
