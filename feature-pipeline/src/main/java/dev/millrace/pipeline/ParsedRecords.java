package dev.millrace.pipeline;

import dev.millrace.schemas.DeadLetter;
import java.time.Duration;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.eventtime.TimestampAssigner;
import org.apache.flink.api.common.eventtime.TimestampAssignerSupplier;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Streams of parsed records, {@code Either<record, dead letter>} as {@link ParsingDeserializer}
 * emits them: their type (Avro on both sides, never Kryo), their watermarks (valid records only)
 * and the split into records and dead letters.
 */
public final class ParsedRecords {

  private ParsedRecords() {}

  /** {@code Either<T, DeadLetter>} with Avro serializers on both sides. */
  public static <T extends SpecificRecord> TypeInformation<Either<T, DeadLetter>> type(
      Class<T> type) {
    return new EitherTypeInfo<>(avro(type), new AvroTypeInfo<>(DeadLetter.class));
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static <T extends SpecificRecord> TypeInformation<T> avro(Class<T> type) {
    return new AvroTypeInfo(type);
  }

  /**
   * Watermarks for a source of parsed records, to pass to {@code env.fromSource}, which applies it
   * per split (Kafka partition). A valid record's timestamp is its event time ({@link
   * AvroParser#eventTimeMillis}); a dead letter gets {@link Long#MIN_VALUE} and is invisible to the
   * watermark generator: it neither moves the watermark nor keeps a split from going idle.
   *
   * @param parser gives the event time of valid records
   * @param outOfOrderness bounded out-of-orderness within a split
   * @param idleness a split without valid records for this long (wall clock) stops holding back
   *     event time until it has valid records again
   */
  public static <T extends SpecificRecord> WatermarkStrategy<Either<T, DeadLetter>> watermarks(
      AvroParser<T> parser, Duration outOfOrderness, Duration idleness) {
    return new ValidRecordWatermarks<>(parser, outOfOrderness, idleness);
  }

  /** Valid records go on; dead letters go to {@code deadLetters}. */
  public static <T extends SpecificRecord> SplitDeadLetters<T> split(
      Class<T> type, OutputTag<DeadLetter> deadLetters) {
    return new SplitDeadLetters<>(type, deadLetters);
  }

  private static final class ValidRecordWatermarks<T extends SpecificRecord>
      implements WatermarkStrategy<Either<T, DeadLetter>> {
    private static final long serialVersionUID = 1L;
    private final AvroParser<T> parser;
    private final Duration outOfOrderness;
    private final Duration idleness;

    ValidRecordWatermarks(AvroParser<T> parser, Duration outOfOrderness, Duration idleness) {
      this.parser = Objects.requireNonNull(parser, "parser");
      this.outOfOrderness = Objects.requireNonNull(outOfOrderness, "outOfOrderness");
      this.idleness = Objects.requireNonNull(idleness, "idleness");
    }

    @Override
    public WatermarkGenerator<Either<T, DeadLetter>> createWatermarkGenerator(
        WatermarkGeneratorSupplier.Context context) {
      return new ValidRecordsOnly<>(
          WatermarkStrategy.<Either<T, DeadLetter>>forBoundedOutOfOrderness(outOfOrderness)
              .withIdleness(idleness)
              .createWatermarkGenerator(context));
    }

    @Override
    public TimestampAssigner<Either<T, DeadLetter>> createTimestampAssigner(
        TimestampAssignerSupplier.Context context) {
      AvroParser<T> p = parser;
      return (e, previous) -> e.isLeft() ? p.eventTimeMillis(e.left()) : Long.MIN_VALUE;
    }
  }

  /** Forwards valid records only to the generator it wraps. */
  private static final class ValidRecordsOnly<T>
      implements WatermarkGenerator<Either<T, DeadLetter>> {
    private final WatermarkGenerator<Either<T, DeadLetter>> inner;

    ValidRecordsOnly(WatermarkGenerator<Either<T, DeadLetter>> inner) {
      this.inner = inner;
    }

    @Override
    public void onEvent(Either<T, DeadLetter> event, long timestamp, WatermarkOutput output) {
      if (event.isLeft()) {
        inner.onEvent(event, timestamp, output);
      }
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
      inner.onPeriodicEmit(output);
    }
  }

  /** Valid records to the main output, dead letters to a side output. */
  public static final class SplitDeadLetters<T extends SpecificRecord>
      extends ProcessFunction<Either<T, DeadLetter>, T> implements ResultTypeQueryable<T> {
    private static final long serialVersionUID = 1L;
    private final Class<T> type;
    private final OutputTag<DeadLetter> deadLetters;

    SplitDeadLetters(Class<T> type, OutputTag<DeadLetter> deadLetters) {
      this.type = Objects.requireNonNull(type, "type");
      this.deadLetters = Objects.requireNonNull(deadLetters, "deadLetters");
    }

    @Override
    public void processElement(Either<T, DeadLetter> value, Context ctx, Collector<T> out) {
      if (value.isLeft()) {
        out.collect(value.left());
      } else {
        ctx.output(deadLetters, value.right());
      }
    }

    @Override
    public TypeInformation<T> getProducedType() {
      return avro(type);
    }
  }
}
