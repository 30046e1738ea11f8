package dev.millrace.pipeline;

import dev.millrace.ingest.Rejection;
import dev.millrace.schemas.AvroSerde;
import dev.millrace.schemas.DeadLetter;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Decodes {@link RawRecord}s with the registry's {@link AvroSerde} and validates them. Never throws
 * for bad input: an empty value, undecodable bytes or a record that fails validation is emitted on
 * the dead-letter side output with a reason code, the stage and the original bytes; only good
 * records go on.
 *
 * <p>Metrics (per parallel task): counters {@code accepted} (records in) and {@code deadLetters}, a
 * {@code deadLetters} counter per reason code in the group {@code reason=<code>}, and the histogram
 * {@code ingestLagMs}: wall-clock time from the Kafka record timestamp (the producer's send time)
 * to decoding here, i.e. how far the job lags behind its input.
 *
 * <p>Reason codes of its own: {@link #EMPTY_VALUE}, {@link #UNDECODABLE}, {@link
 * #VALIDATION_FAILED}; everything else comes from {@link #validate}.
 */
public abstract class AvroParser<T extends SpecificRecord> extends ProcessFunction<RawRecord, T>
    implements ResultTypeQueryable<T> {

  private static final long serialVersionUID = 1L;

  /** The record had no value (a tombstone). */
  public static final String EMPTY_VALUE = "EMPTY_VALUE";

  /** The bytes are not a record of the expected type in any known schema version. */
  public static final String UNDECODABLE = "UNDECODABLE";

  /** The validation itself failed unexpectedly on this record. */
  public static final String VALIDATION_FAILED = "VALIDATION_FAILED";

  private final Class<T> type;
  private final String stage;
  private final OutputTag<DeadLetter> deadLetters;
  private final Clock clock;

  private transient AvroSerde<T> serde;
  private transient Counter accepted;
  private transient Counter rejected;
  private transient Map<String, Counter> rejectedByReason;
  private transient Histogram ingestLagMs;

  /** Samples kept by the {@code ingestLagMs} histogram. */
  static final int LAG_HISTOGRAM_WINDOW = 1024;

  protected AvroParser(
      Class<T> type, String stage, OutputTag<DeadLetter> deadLetters, Clock clock) {
    this.type = Objects.requireNonNull(type, "type");
    this.stage = Objects.requireNonNull(stage, "stage");
    this.deadLetters = Objects.requireNonNull(deadLetters, "deadLetters");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** The first problem of a decoded record, or empty when it is acceptable. */
  protected abstract Optional<Rejection> validate(T record, Instant wallClockNow);

  @Override
  public void open(OpenContext openContext) {
    serde = AvroSerde.of(type);
    accepted = getRuntimeContext().getMetricGroup().counter("accepted");
    rejected = getRuntimeContext().getMetricGroup().counter("deadLetters");
    rejectedByReason = new HashMap<>();
    ingestLagMs =
        getRuntimeContext()
            .getMetricGroup()
            .histogram("ingestLagMs", new DescriptiveStatisticsHistogram(LAG_HISTOGRAM_WINDOW));
  }

  @Override
  public void processElement(RawRecord raw, Context ctx, Collector<T> out) {
    Instant now = clock.instant();
    if (raw.timestamp >= 0) {
      ingestLagMs.update(Math.max(0, now.toEpochMilli() - raw.timestamp));
    }
    if (raw.value == null || raw.value.length == 0) {
      reject(ctx, raw, EMPTY_VALUE, "record has no value", now);
      return;
    }
    T record;
    try {
      record = serde.decode(raw.value);
    } catch (RuntimeException e) {
      reject(ctx, raw, UNDECODABLE, String.valueOf(e.getMessage()), now);
      return;
    }
    Optional<Rejection> rejection;
    try {
      rejection = validate(record, now);
    } catch (RuntimeException e) {
      reject(ctx, raw, VALIDATION_FAILED, "validation failed: " + e, now);
      return;
    }
    if (rejection.isPresent()) {
      reject(ctx, raw, rejection.get().code(), rejection.get().reason(), now);
      return;
    }
    accepted.inc();
    out.collect(record);
  }

  private void reject(Context ctx, RawRecord raw, String code, String reason, Instant now) {
    rejected.inc();
    rejectedByReason
        .computeIfAbsent(
            code,
            c -> getRuntimeContext().getMetricGroup().addGroup("reason", c).counter("deadLetters"))
        .inc();
    ctx.output(deadLetters, DeadLetters.of(raw, code, reason, stage, now));
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public TypeInformation<T> getProducedType() {
    return new AvroTypeInfo(type);
  }
}
