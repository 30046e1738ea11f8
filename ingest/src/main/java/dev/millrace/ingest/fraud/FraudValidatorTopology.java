package dev.millrace.ingest.fraud;

import dev.millrace.ingest.ReasonCodes;
import dev.millrace.ingest.Rejection;
import dev.millrace.ingest.ValidationRules;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.DeadLetterHeaders;
import dev.millrace.schemas.DeadLetterLimits;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * The Kafka Streams validator of the fraud task: {@code fraud.raw} (JSON, see {@link FraudJson}) to
 * {@code fraud.events} (Avro {@link FraudTransaction}, at most the producer's {@code
 * max.request.size}, else {@code OUTPUT_TOO_LARGE}, key: customer id, Kafka timestamp: that of the
 * raw record, event time is in the value); everything else (empty, unparseable, missing field,
 * wrong type, a {@link FraudValidation} rejection) to {@code fraud.dlq} as a {@link DeadLetter}
 * keyed by the original key, with the original bytes, the reason, stage {@value #STAGE}, the source
 * topic, partition and offset, and the {@link DeadLetterHeaders}, within {@link DeadLetterLimits}.
 * Bad input never stops it.
 *
 * <p>"Now" for the time checks is the Streams wall clock ({@code currentSystemTimeMs}), which the
 * {@code TopologyTestDriver} lets tests set.
 */
public final class FraudValidatorTopology {

  public static final String STAGE = "validator";
  public static final String SOURCE = "fraud-raw-source";
  public static final String PROCESSOR = "fraud-validate";
  public static final String EVENTS_SINK = "fraud-events-sink";
  public static final String DLQ_SINK = "fraud-dlq-sink";

  /** Room left in a producer request for the batch and record headers of one event. */
  static final int RECORD_OVERHEAD_BYTES = 256;

  private FraudValidatorTopology() {}

  /** The validator topology over the topics of {@code topics}. */
  public static Topology build(TopicRegistry topics, ValidationRules rules) {
    Objects.requireNonNull(rules, "rules");
    Topic<String, String> raw = topics.raw(Task.FRAUD);
    Topic<String, FraudTransaction> events = topics.fraudEvents();
    Topic<byte[], DeadLetter> dlq = topics.dlq(Task.FRAUD);
    Topology topology = new Topology();
    topology.addSource(
        SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), raw.name());
    topology.addProcessor(PROCESSOR, () -> new ValidateProcessor(rules, events), SOURCE);
    // The processor serialises the event itself, to check its size before it goes out.
    topology.addSink(
        EVENTS_SINK,
        events.name(),
        new ByteArraySerializer(),
        new ByteArraySerializer(),
        PROCESSOR);
    topology.addSink(
        DLQ_SINK,
        dlq.name(),
        dlq.keySerde().serializer(),
        dlq.valueSerde().serializer(),
        PROCESSOR);
    return topology;
  }

  /** Parses, validates and routes one raw record; never throws on bad input. */
  static final class ValidateProcessor implements Processor<byte[], byte[], Object, Object> {

    private final ValidationRules rules;
    private final Topic<String, FraudTransaction> events;
    private ProcessorContext<Object, Object> context;
    private long maxEventBytes;

    ValidateProcessor(ValidationRules rules, Topic<String, FraudTransaction> events) {
      this.rules = rules;
      this.events = events;
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
      this.context = context;
      this.maxEventBytes = maxRecordBytes(context.appConfigs());
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
      Rejection rejection;
      try {
        FraudJson.Parsed parsed = FraudJson.parse(record.value());
        if (parsed.ok()) {
          FraudTransaction tx = parsed.transaction();
          Optional<Rejection> invalid = FraudValidation.check(tx, rules, now);
          if (invalid.isEmpty()) {
            byte[] key =
                events.keySerde().serializer().serialize(events.name(), tx.getCustomerId());
            byte[] value = events.valueSerde().serializer().serialize(events.name(), tx);
            if (key.length + value.length <= maxEventBytes) {
              context.forward(
                  new Record<Object, Object>(key, value, record.timestamp()), EVENTS_SINK);
              return;
            }
            // Checked here rather than left to the producer: under exactly-once a send Kafka
            // refuses as too large fails the transaction, not just the record.
            deadLetter(
                record,
                new Rejection(
                    ReasonCodes.OUTPUT_TOO_LARGE,
                    "the event would be "
                        + (key.length + value.length)
                        + " bytes, more than the "
                        + maxEventBytes
                        + " a producer request holds here"),
                now,
                DeadLetterProductionExceptionHandler.ORIGINAL_PREFIX_BYTES);
            return;
          }
          rejection = invalid.get();
        } else {
          rejection = parsed.rejection();
        }
      } catch (RuntimeException e) {
        rejection =
            new Rejection(
                ReasonCodes.VALIDATION_FAILED,
                "validation failed unexpectedly: "
                    + e.getClass().getSimpleName()
                    + ": "
                    + e.getMessage());
      }
      deadLetter(record, rejection, now, DeadLetterLimits.MAX_ORIGINAL_BYTES);
    }

    /**
     * The largest key + value an event may have: the producer's {@code max.request.size} (default 1
     * MiB) less room for the batch and record headers.
     */
    static long maxRecordBytes(Map<String, Object> configs) {
      Object configured =
          configs.getOrDefault(
              StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
              configs.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG));
      long max = configured == null ? 1024 * 1024 : Long.parseLong(configured.toString());
      return max - RECORD_OVERHEAD_BYTES;
    }

    private void deadLetter(
        Record<byte[], byte[]> record, Rejection rejection, Instant now, int maxOriginalBytes) {
      Optional<RecordMetadata> meta = context.recordMetadata();
      byte[] value = record.value();
      boolean truncated = value != null && value.length > maxOriginalBytes;
      String reason = rejection.reason();
      if (truncated) {
        reason +=
            " (original value of "
                + value.length
                + " bytes truncated to its first "
                + maxOriginalBytes
                + ")";
      }
      if (reason.length() > DeadLetterLimits.MAX_REASON_CHARS) {
        reason = reason.substring(0, DeadLetterLimits.MAX_REASON_CHARS - 3) + "...";
      }
      byte[] key = capped(record.key(), maxOriginalBytes);
      DeadLetter letter =
          DeadLetter.newBuilder()
              .setReason(reason)
              .setReasonCode(rejection.code())
              .setStage(STAGE)
              .setSourceTopic(meta.map(RecordMetadata::topic).orElse(null))
              .setSourcePartition(meta.map(RecordMetadata::partition).orElse(null))
              .setSourceOffset(meta.map(RecordMetadata::offset).orElse(null))
              .setOriginalKey(key == null ? null : ByteBuffer.wrap(key))
              .setOriginalValue(
                  value == null ? null : ByteBuffer.wrap(capped(value, maxOriginalBytes)))
              .setOriginalValueSize(truncated ? value.length : null)
              .setRejectedAt(now)
              .build();
      Headers headers = new RecordHeaders();
      meta.ifPresent(
          m -> {
            headers.add(DeadLetterHeaders.SOURCE_TOPIC, utf8(m.topic()));
            headers.add(DeadLetterHeaders.SOURCE_PARTITION, utf8(Integer.toString(m.partition())));
            headers.add(DeadLetterHeaders.SOURCE_OFFSET, utf8(Long.toString(m.offset())));
          });
      headers.add(DeadLetterHeaders.REASON, utf8(rejection.code()));
      headers.add(DeadLetterHeaders.STAGE, utf8(STAGE));
      context.forward(
          new Record<Object, Object>(key, letter, record.timestamp(), headers), DLQ_SINK);
    }

    /** At most {@code max} bytes of {@code bytes}. */
    private static byte[] capped(byte[] bytes, int max) {
      return bytes == null || bytes.length <= max ? bytes : java.util.Arrays.copyOf(bytes, max);
    }

    private static byte[] utf8(String s) {
      return s.getBytes(StandardCharsets.UTF_8);
    }
  }
}
