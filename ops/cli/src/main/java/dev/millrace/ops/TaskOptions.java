package dev.millrace.ops;

import dev.millrace.ingest.ValidationRules;
import dev.millrace.pipeline.task.TaskDefinition;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The flags of the tasks that run as definitions of the shared job; {@link TaskCatalog} turns them
 * into a task's {@link TaskDefinition}.
 */
public final class TaskOptions {

  @Option(
      names = "--horizon",
      defaultValue = "90d",
      converter = DurationConverter.class,
      description =
          "churn: a scoring point is labelled churned when the customer buys nothing within this"
              + " much event time after it (default ${DEFAULT-VALUE}).")
  Duration horizon;

  @Option(
      names = "--rescore-every",
      defaultValue = "7d",
      converter = DurationConverter.class,
      description =
          "churn: while a customer is inactive, score them again this often in event time"
              + " (default ${DEFAULT-VALUE}).")
  Duration rescoreEvery;

  @Mixin StoresOption stores = new StoresOption();

  @Option(
      names = "--earliest",
      defaultValue = "2000-01-01",
      paramLabel = "DATE",
      description =
          "Events dated before this day are dead-lettered (TIME_TOO_FAR_IN_PAST); CDNOW's 1997"
              + " needs an earlier one (default ${DEFAULT-VALUE}).")
  LocalDate earliest;

  /**
   * The task's definition, configured by these flags ({@link TaskCatalog.TaskSpec#definition()}); a
   * user error for a task that runs its own job.
   */
  TaskDefinition<?> definition(Task task, TopicRegistry topics) {
    TaskCatalog.TaskSpec spec = TaskCatalog.of(task);
    if (spec.definition() == null) {
      throw new UserError(spec.name() + " runs its own job, not a task definition");
    }
    ValidationRules rules =
        new ValidationRules(
            earliest.atStartOfDay().toInstant(ZoneOffset.UTC), ValidationRules.DEFAULT_MAX_AHEAD);
    return spec.definition().build(this, rules, topics.events(task).name());
  }

  /**
   * The task's bound on how far an event may be ahead of its partition ({@link
   * TaskCatalog.TaskSpec#maxAheadOfStream()}), unless {@code --max-ahead-of-stream} is given.
   */
  Duration maxAheadOfStream(Task task, Duration jobDefault) {
    Duration own = TaskCatalog.of(task).maxAheadOfStream();
    return own != null ? own : jobDefault;
  }

  /** One line on what the task's flags set. */
  String describe(Task task) {
    return TaskCatalog.of(task).describe().apply(this);
  }
}
