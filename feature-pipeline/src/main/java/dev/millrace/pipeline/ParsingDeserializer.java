package dev.millrace.pipeline;

import dev.millrace.schemas.DeadLetter;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Kafka deserialization that decodes and validates each record once, with an {@link AvroParser},
 * and never fails: a good record comes out as {@link Either#Left}, a bad one as {@link
 * Either#Right} (its {@link DeadLetter}, with source topic, partition and offset). Since decoding
 * happens inside the source, the source's per-split watermarks (see {@link
 * ParsedRecords#watermarks}) can be computed from valid records only.
 *
 * <p>The parser's metrics ({@code accepted}, {@code deadLetters}, {@code ingestLagMs}, ...) are
 * registered in the metric group Kafka's source gives its deserializer: the source operator's group
 * plus {@code deserializer} (Prometheus: {@code
 * flink_taskmanager_job_task_operator_deserializer_*}).
 */
public final class ParsingDeserializer<T extends SpecificRecord>
    implements KafkaRecordDeserializationSchema<Either<T, DeadLetter>> {

  private static final long serialVersionUID = 1L;

  private final AvroParser<T> parser;

  public ParsingDeserializer(AvroParser<T> parser) {
    this.parser = Objects.requireNonNull(parser, "parser");
  }

  @Override
  public void open(DeserializationSchema.InitializationContext context) {
    parser.open(context.getMetricGroup());
  }

  @Override
  public void deserialize(
      ConsumerRecord<byte[], byte[]> record, Collector<Either<T, DeadLetter>> out) {
    out.collect(
        parser.parse(
            new RawRecord(
                record.topic(),
                record.partition(),
                record.offset(),
                record.timestamp(),
                record.key(),
                record.value())));
  }

  @Override
  public TypeInformation<Either<T, DeadLetter>> getProducedType() {
    return ParsedRecords.type(parser.type());
  }
}
