package dev.millrace.ingest.fraud;

import dev.millrace.ingest.ReasonCodes;
import dev.millrace.schemas.AvroSerde;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.DeadLetterHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The validator's production exception handler: a record Kafka refuses as too large ({@link
 * RecordTooLargeException}: bigger than the producer's {@code max.request.size} or the topic's
 * {@code max.message.bytes}) does not stop the stream thread; it is logged, counted and replaced by
 * a dead letter on the DLQ topic (reason {@value ReasonCodes#OUTPUT_TOO_LARGE}) that carries only
 * the first {@value #ORIGINAL_PREFIX_BYTES} bytes of the source record and its whole size, so that
 * the dead letter itself fits. Every other error keeps Kafka Streams' default (fail).
 *
 * <p>The dead letter is sent by a producer of its own (created on first use, acks=all, idempotent),
 * not returned to Kafka Streams: Kafka Streams 4.2 does not write the dead-letter records a handler
 * returns for a failed send. It is therefore written at least once, outside the stream's
 * transaction. Under exactly-once a send Kafka refuses fails the transaction whatever the handler
 * answers, so {@link FraudValidatorTopology} checks an event's size before it is sent; this handler
 * catches what gets past that check (e.g. a topic's smaller {@code max.message.bytes}) when the
 * validator runs at-least-once.
 *
 * <p>Configured with {@value #DLQ_TOPIC_CONFIG} (the dead-letter topic's name) and Kafka Streams'
 * {@code bootstrap.servers}.
 */
public final class DeadLetterProductionExceptionHandler implements ProductionExceptionHandler {

  private static final Logger LOG =
      LoggerFactory.getLogger(DeadLetterProductionExceptionHandler.class);

  /** Streams configuration key naming the dead-letter topic. */
  public static final String DLQ_TOPIC_CONFIG = "millrace.dlq.topic";

  /** The bytes of the source record a dead letter of a too-large output carries. */
  public static final int ORIGINAL_PREFIX_BYTES = 64;

  private static final AtomicLong TOO_LARGE = new AtomicLong();
  private static final AvroSerde<DeadLetter> SERDE = AvroSerde.of(DeadLetter.class);

  private String dlqTopic;
  private String bootstrapServers;
  private final Map<String, String> security = new java.util.HashMap<>();
  private KafkaProducer<byte[], byte[]> producer;

  @Override
  public void configure(Map<String, ?> configs) {
    Object topic = configs.get(DLQ_TOPIC_CONFIG);
    if (topic == null) {
      throw new IllegalArgumentException(DLQ_TOPIC_CONFIG + " is not set");
    }
    dlqTopic = topic.toString();
    Object servers = configs.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
    bootstrapServers = servers == null ? null : servers.toString();
    // The app's own security settings (SASL_SSL from --kafka-config) for the dead-letter producer.
    configs.forEach(
        (k, v) -> {
          if (v != null
              && (k.startsWith("security.") || k.startsWith("sasl.") || k.startsWith("ssl."))) {
            security.put(
                k,
                v instanceof org.apache.kafka.common.config.types.Password pw
                    ? pw.value()
                    : v.toString());
          }
        });
  }

  private synchronized KafkaProducer<byte[], byte[]> producer() {
    if (producer == null) {
      Properties p = new Properties();
      p.putAll(security);
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
      p.put(ProducerConfig.ACKS_CONFIG, "all");
      p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
      p.put(ProducerConfig.CLIENT_ID_CONFIG, "millrace-validator-dlq");
      producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }
    return producer;
  }

  /** Outputs refused as too large in this JVM, since it started. */
  public static long tooLargeCount() {
    return TOO_LARGE.get();
  }

  @Override
  public Response handleError(
      ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
    if (!(exception instanceof RecordTooLargeException)) {
      return Response.fail();
    }
    TOO_LARGE.incrementAndGet();
    LOG.warn(
        "output to {} from {}-{}@{} refused as too large ({}); dead-lettered to {}",
        record.topic(),
        context.topic(),
        context.partition(),
        context.offset(),
        exception.getMessage(),
        dlqTopic);
    byte[] value = context.sourceRawValue();
    byte[] key = prefix(context.sourceRawKey());
    String reason =
        "the output record for "
            + record.topic()
            + " was refused as too large: "
            + exception.getMessage();
    if (reason.length() > 500) {
      reason = reason.substring(0, 497) + "...";
    }
    DeadLetter letter =
        DeadLetter.newBuilder()
            .setReason(reason)
            .setReasonCode(ReasonCodes.OUTPUT_TOO_LARGE)
            .setStage(FraudValidatorTopology.STAGE)
            .setSourceTopic(context.topic())
            .setSourcePartition(context.partition())
            .setSourceOffset(context.offset())
            .setOriginalKey(key == null ? null : ByteBuffer.wrap(key))
            .setOriginalValue(value == null ? null : ByteBuffer.wrap(prefix(value)))
            .setOriginalValueSize(value == null ? null : value.length)
            .setRejectedAt(Instant.now())
            .build();
    RecordHeaders headers = new RecordHeaders();
    headers.add(DeadLetterHeaders.SOURCE_TOPIC, utf8(context.topic()));
    headers.add(DeadLetterHeaders.SOURCE_PARTITION, utf8(Integer.toString(context.partition())));
    headers.add(DeadLetterHeaders.SOURCE_OFFSET, utf8(Long.toString(context.offset())));
    headers.add(DeadLetterHeaders.REASON, utf8(ReasonCodes.OUTPUT_TOO_LARGE));
    headers.add(DeadLetterHeaders.STAGE, utf8(FraudValidatorTopology.STAGE));
    try {
      producer()
          .send(
              new ProducerRecord<>(
                  dlqTopic, null, record.timestamp(), key, SERDE.encode(letter), headers))
          .get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.error("could not dead-letter the refused output to {}: {}", dlqTopic, e.toString());
      return Response.fail();
    }
    return Response.resume();
  }

  private static byte[] prefix(byte[] bytes) {
    return bytes == null || bytes.length <= ORIGINAL_PREFIX_BYTES
        ? bytes
        : Arrays.copyOf(bytes, ORIGINAL_PREFIX_BYTES);
  }

  private static byte[] utf8(String s) {
    return s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
  }
}
