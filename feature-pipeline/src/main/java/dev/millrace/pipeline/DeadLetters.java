package dev.millrace.pipeline;

import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.DeadLetterHeaders;
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

  /** The dead letter of {@code raw}, rejected by {@code stage} for {@code reason}. */
  public static DeadLetter of(
      RawRecord raw, String reasonCode, String reason, String stage, Instant rejectedAt) {
    return DeadLetter.newBuilder()
        .setReason(reason)
        .setReasonCode(reasonCode)
        .setStage(stage)
        .setSourceTopic(raw.topic)
        .setSourcePartition(raw.partition < 0 ? null : raw.partition)
        .setSourceOffset(raw.offset < 0 ? null : raw.offset)
        .setOriginalKey(raw.key == null ? null : ByteBuffer.wrap(raw.key))
        .setOriginalValue(raw.value == null ? null : ByteBuffer.wrap(raw.value))
        .setRejectedAt(rejectedAt)
        .build();
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
