package dev.millrace.pipeline;

import dev.millrace.ingest.Rejection;
import dev.millrace.schemas.AvroSerde;
import dev.millrace.schemas.DeadLetter;
import java.io.Serializable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.types.Either;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes {@link RawRecord}s with the registry's {@link AvroSerde} and validates them, once per
 * record, inside the source (see {@link ParsingDeserializer}), so that the source's per-split
 * watermarks come from valid records only. Never throws for bad input: an empty value, undecodable
 * bytes or a record that fails validation becomes {@link Either#Right a dead letter} with a reason
 * code, the stage, the source topic, partition and offset and the original bytes; a good record
 * becomes {@link Either#Left}.
 *
 * <p><b>Event time bounded by the stream's own progress</b> (when the parser has a {@code
 * maxAheadOfStream}). Besides the task's own checks (e.g. not more than a day ahead of the wall
 * clock), a record whose {@link #eventTimeMillis event time} is more than {@code maxAheadOfStream}
 * ahead of the newest event time accepted so far from the same topic partition, plus the wall-clock
 * time elapsed since that newest record was accepted, is rejected with {@link
 * #EVENT_TIME_AHEAD_OF_STREAM}: one record far in the future can never move the watermark. The
 * elapsed wall-clock time lets a real-time stream resume after an outage (its event time jumps by
 * about as much as the wall clock did).
 *
 * <p>A stream whose event time really jumps further (a replay, faster than real time, of data with
 * a gap longer than {@code maxAheadOfStream} within a partition) would otherwise be rejected from
 * the gap on until the wall clock caught up. So when {@value #CONFIRMING_RECORDS} valid records in
 * a row on a partition are all beyond the bound and within {@code maxAheadOfStream} of the first of
 * them, the partition has moved: the last of them is accepted and becomes the new reference (the
 * ones before it stay in the dead letters, counted; it is logged). One record, or a few that are
 * not consecutive, cannot do that. Use the bound on dense streams (every partition has records much
 * more often than {@code maxAheadOfStream} of event time); on sparse ones (fraud labels) leave it
 * off.
 *
 * <p>The newest accepted event time per partition is kept in memory, not in checkpoints: after a
 * (re)start, and for a partition this reader has not read from before, the first valid record of a
 * partition is accepted with only the task's own checks (for fraud: at most one day ahead of the
 * wall clock) and becomes that partition's reference. A far-future record that happens to be the
 * very first one read from a partition after a restart therefore still moves that partition's
 * watermark (and only that partition's); every record after it is checked against it.
 *
 * <p>Metrics (in the metric group given to {@link #open}, per parallel reader): counters {@code
 * accepted} (records in) and {@code deadLetters}, a {@code deadLetters} counter per reason code in
 * the group {@code reason=<code>}, and the histogram {@code ingestLagMs}: wall-clock time from the
 * Kafka record timestamp (the producer's send time) to decoding here, i.e. how far the job lags
 * behind its input.
 *
 * <p>Reason codes of its own: {@link #EMPTY_VALUE}, {@link #UNDECODABLE}, {@link #UNKNOWN_SCHEMA},
 * {@link #VALIDATION_FAILED}, {@link #EVENT_TIME_AHEAD_OF_STREAM}; everything else comes from
 * {@link #validate}.
 *
 * <p>Not thread-safe: one instance per source reader (Flink calls a reader's deserializer from the
 * task thread only).
 */
public abstract class AvroParser<T extends SpecificRecord> implements Serializable {

  private static final long serialVersionUID = 2L;

  /** The record had no value (a tombstone). */
  public static final String EMPTY_VALUE = "EMPTY_VALUE";

  /** The bytes are not a record of the expected type in any known schema version. */
  public static final String UNDECODABLE = "UNDECODABLE";

  /**
   * The bytes are single-object Avro written with a schema version the job does not know: a
   * producer upgraded before the job (schemas are BACKWARD_TRANSITIVE, readers upgrade first), or a
   * record of another type. The reason names the writer's fingerprint.
   */
  public static final String UNKNOWN_SCHEMA = "UNKNOWN_SCHEMA";

  /** The validation itself failed unexpectedly on this record. */
  public static final String VALIDATION_FAILED = "VALIDATION_FAILED";

  /**
   * The record's event time is more than {@code maxAheadOfStream} (plus the wall-clock time since)
   * ahead of the newest accepted event time of its partition.
   */
  public static final String EVENT_TIME_AHEAD_OF_STREAM = "EVENT_TIME_AHEAD_OF_STREAM";

  /**
   * Consecutive records beyond the bound, close to each other, that move a partition's reference.
   */
  public static final int CONFIRMING_RECORDS = 3;

  private static final Logger LOG = LoggerFactory.getLogger(AvroParser.class);

  /** Samples kept by the {@code ingestLagMs} histogram. */
  static final int LAG_HISTOGRAM_WINDOW = 1024;

  private final Class<T> type;
  private final String stage;
  private final Clock clock;
  private final long maxAheadOfStreamMs;

  private transient AvroSerde<T> serde;
  private transient Counter accepted;
  private transient Counter rejected;
  private transient MetricGroup metrics;
  private transient Map<String, Counter> rejectedByReason;
  private transient Histogram ingestLagMs;
  private transient Map<String, Map<Integer, Progress>> progress;

  /**
   * @param type the Avro record type
   * @param stage the stage named in dead letters
   * @param clock the wall clock (rejection times, the wall-clock checks, ingest lag)
   * @param maxAheadOfStream how far an event may be ahead of the newest accepted event time of its
   *     partition (plus the wall-clock time since that one was accepted); null: no such bound
   */
  protected AvroParser(Class<T> type, String stage, Clock clock, Duration maxAheadOfStream) {
    this.type = Objects.requireNonNull(type, "type");
    this.stage = Objects.requireNonNull(stage, "stage");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (maxAheadOfStream != null && maxAheadOfStream.isNegative()) {
      throw new IllegalArgumentException(
          "maxAheadOfStream must not be negative: " + maxAheadOfStream);
    }
    this.maxAheadOfStreamMs = maxAheadOfStream == null ? -1 : maxAheadOfStream.toMillis();
  }

  /** The first problem of a decoded record, or empty when it is acceptable. */
  protected abstract Optional<Rejection> validate(T record, Instant wallClockNow);

  /** The event time of a record in epoch milliseconds: its timestamp in the job. */
  public abstract long eventTimeMillis(T record);

  /** The Avro record type. */
  public Class<T> type() {
    return type;
  }

  /** Registers the metrics in {@code group} and prepares decoding. */
  public void open(MetricGroup group) {
    serde = AvroSerde.of(type);
    metrics = group;
    accepted = group.counter("accepted");
    rejected = group.counter("deadLetters");
    rejectedByReason = new HashMap<>();
    ingestLagMs =
        group.histogram("ingestLagMs", new DescriptiveStatisticsHistogram(LAG_HISTOGRAM_WINDOW));
    progress = new HashMap<>();
  }

  /** The record, or its dead letter. */
  public Either<T, DeadLetter> parse(RawRecord raw) {
    Instant now = clock.instant();
    if (raw.timestamp >= 0) {
      ingestLagMs.update(Math.max(0, now.toEpochMilli() - raw.timestamp));
    }
    if (raw.value == null || raw.value.length == 0) {
      return reject(raw, EMPTY_VALUE, "record has no value", now);
    }
    T record;
    try {
      record = serde.decode(raw.value);
    } catch (AvroSerde.UnknownSchemaException e) {
      return reject(raw, UNKNOWN_SCHEMA, String.valueOf(e.getMessage()), now);
    } catch (RuntimeException e) {
      return reject(raw, UNDECODABLE, String.valueOf(e.getMessage()), now);
    }
    Optional<Rejection> rejection;
    long eventTime;
    try {
      rejection = validate(record, now);
      eventTime = eventTimeMillis(record);
    } catch (RuntimeException e) {
      return reject(raw, VALIDATION_FAILED, "validation failed: " + e, now);
    }
    if (rejection.isPresent()) {
      return reject(raw, rejection.get().code(), rejection.get().reason(), now);
    }
    if (maxAheadOfStreamMs >= 0) {
      Optional<String> ahead = checkProgress(raw, eventTime, now.toEpochMilli());
      if (ahead.isPresent()) {
        return reject(raw, EVENT_TIME_AHEAD_OF_STREAM, ahead.get(), now);
      }
    }
    accepted.inc();
    return Either.Left(record);
  }

  /** Why a record is too far ahead of its partition, or empty (then it is the partition's news). */
  private Optional<String> checkProgress(RawRecord raw, long eventTime, long nowMs) {
    Progress p =
        progress
            .computeIfAbsent(raw.topic == null ? "" : raw.topic, t -> new HashMap<>())
            .computeIfAbsent(raw.partition, q -> new Progress());
    if (p.newest != Long.MIN_VALUE) {
      long elapsed = Math.max(0, nowMs - p.acceptedAt);
      if (eventTime > p.newest + maxAheadOfStreamMs + elapsed) {
        if (p.aheadRun > 0 && Math.abs(eventTime - p.aheadFirst) <= maxAheadOfStreamMs) {
          p.aheadRun++;
        } else {
          p.aheadRun = 1;
          p.aheadFirst = eventTime;
        }
        if (p.aheadRun < CONFIRMING_RECORDS) {
          return Optional.of(
              "event time "
                  + Instant.ofEpochMilli(eventTime)
                  + " is more than "
                  + Duration.ofMillis(maxAheadOfStreamMs)
                  + " (plus "
                  + Duration.ofMillis(elapsed)
                  + " of wall clock since) ahead of the newest accepted event time "
                  + Instant.ofEpochMilli(p.newest)
                  + " of its partition");
        }
        LOG.warn(
            "{}-{}: event time jumped from {} to {}; accepted after {} records in a row beyond"
                + " the bound of {} ahead (the ones before this one are dead letters)",
            raw.topic,
            raw.partition,
            Instant.ofEpochMilli(p.newest),
            Instant.ofEpochMilli(eventTime),
            CONFIRMING_RECORDS,
            Duration.ofMillis(maxAheadOfStreamMs));
      }
    }
    p.aheadRun = 0;
    if (eventTime > p.newest) {
      p.newest = eventTime;
      p.acceptedAt = nowMs;
    }
    return Optional.empty();
  }

  private Either<T, DeadLetter> reject(RawRecord raw, String code, String reason, Instant now) {
    rejected.inc();
    rejectedByReason
        .computeIfAbsent(code, c -> metrics.addGroup("reason", c).counter("deadLetters"))
        .inc();
    return Either.Right(DeadLetters.of(raw, code, reason, stage, now));
  }

  /** Newest accepted event time of one partition and the wall-clock time it was accepted at. */
  private static final class Progress {
    long newest = Long.MIN_VALUE;
    long acceptedAt;
    int aheadRun;
    long aheadFirst;
  }
}
