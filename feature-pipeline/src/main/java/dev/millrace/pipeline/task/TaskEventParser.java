package dev.millrace.pipeline.task;

import dev.millrace.ingest.Rejection;
import dev.millrace.pipeline.AvroParser;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;

/**
 * Decodes and validates {@code <task>.events} records in the source, with the checks of the task's
 * {@link TaskDefinition}; the shared checks (undecodable, empty, unknown schema, far ahead of its
 * partition) are {@link AvroParser}'s.
 *
 * @param <E> the task's event record
 */
public final class TaskEventParser<E extends SpecificRecord> extends AvroParser<E> {

  private static final long serialVersionUID = 1L;

  private final TaskDefinition<E> definition;

  /**
   * @param definition the task
   * @param maxAheadOfStream the bound against the newest accepted event time of a partition (null:
   *     none)
   * @param clock the wall clock
   */
  public TaskEventParser(TaskDefinition<E> definition, Duration maxAheadOfStream, Clock clock) {
    super(definition.eventType(), stage(definition), clock, maxAheadOfStream);
    this.definition = definition;
  }

  /**
   * The stage named in this task's parse dead letters, e.g. {@code churn-pipeline/parse-events}.
   */
  public static String stage(TaskDefinition<?> definition) {
    return definition.name() + "-pipeline/parse-events";
  }

  @Override
  protected Optional<Rejection> validate(E record, Instant wallClockNow) {
    return definition.validate(record, wallClockNow);
  }

  @Override
  public long eventTimeMillis(E record) {
    return definition.eventTimeMillis(record);
  }
}
