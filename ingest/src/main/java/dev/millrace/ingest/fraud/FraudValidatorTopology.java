package dev.millrace.ingest.fraud;

import dev.millrace.ingest.ReasonCodes;
import dev.millrace.ingest.Rejection;
import dev.millrace.ingest.ValidationRules;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.DeadLetterHeaders;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * The Kafka Streams validator of the fraud task: {@code fraud.raw} (JSON, see {@link FraudJson}) to
 * {@code fraud.events} (Avro {@link FraudTransaction}, key: customer id, Kafka timestamp: that of
 * the raw record, event time is in the value); everything else (empty, unparseable, missing field,
 * wrong type, a {@link FraudValidation} rejection) to {@code fraud.dlq} as a {@link DeadLetter}
 * keyed by the original key, with the original bytes, the reason, stage {@value #STAGE}, the source
 * topic, partition and offset, and the {@link DeadLetterHeaders}. Bad input never stops it.
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
    topology.addProcessor(PROCESSOR, () -> new ValidateProcessor(rules), SOURCE);
    topology.addSink(
        EVENTS_SINK,
        events.name(),
        events.keySerde().serializer(),
        events.valueSerde().serializer(),
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
    private ProcessorContext<Object, Object> context;

    ValidateProcessor(ValidationRules rules) {
      this.rules = rules;
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
      this.context = context;
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
            context.forward(
                new Record<Object, Object>(tx.getCustomerId(), tx, record.timestamp()),
                EVENTS_SINK);
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
      deadLetter(record, rejection, now);
    }

    private void deadLetter(Record<byte[], byte[]> record, Rejection rejection, Instant now) {
      Optional<RecordMetadata> meta = context.recordMetadata();
      DeadLetter letter =
          DeadLetter.newBuilder()
              .setReason(rejection.reason())
              .setReasonCode(rejection.code())
              .setStage(STAGE)
              .setSourceTopic(meta.map(RecordMetadata::topic).orElse(null))
              .setSourcePartition(meta.map(RecordMetadata::partition).orElse(null))
              .setSourceOffset(meta.map(RecordMetadata::offset).orElse(null))
              .setOriginalKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
              .setOriginalValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
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
          new Record<Object, Object>(record.key(), letter, record.timestamp(), headers), DLQ_SINK);
    }

    private static byte[] utf8(String s) {
      return s.getBytes(StandardCharsets.UTF_8);
    }
  }
}
