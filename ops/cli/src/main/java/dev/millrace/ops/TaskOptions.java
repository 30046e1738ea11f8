package dev.millrace.ops;

import dev.millrace.ingest.ValidationRules;
import dev.millrace.pipeline.churn.ChurnSettings;
import dev.millrace.pipeline.churn.ChurnTask;
import dev.millrace.pipeline.demand.DemandTask;
import dev.millrace.pipeline.task.TaskDefinition;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.zip.GZIPInputStream;
import picocli.CommandLine.Option;

/**
 * The flags of the tasks that run as definitions of the shared job, and the one place the command
 * line turns a task name into its {@link TaskDefinition}.
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

  @Option(
      names = "--stores",
      paramLabel = "FILE",
      description =
          "demand: the store reference data joined to every row (Rossmann's store.csv or"
              + " store.csv.gz); it travels with the job.")
  Path stores;

  @Option(
      names = "--earliest",
      defaultValue = "2000-01-01",
      paramLabel = "DATE",
      description =
          "Events dated before this day are dead-lettered (TIME_TOO_FAR_IN_PAST); CDNOW's 1997"
              + " needs an earlier one (default ${DEFAULT-VALUE}).")
  LocalDate earliest;

  /** The task's definition, configured by these flags. */
  TaskDefinition<?> definition(Task task, TopicRegistry topics) {
    ValidationRules rules =
        new ValidationRules(
            earliest.atStartOfDay().toInstant(ZoneOffset.UTC), ValidationRules.DEFAULT_MAX_AHEAD);
    String events = topics.events(task).name();
    return switch (task) {
      case CHURN ->
          new ChurnTask(
              ChurnSettings.defaults().withHorizon(horizon).withRescoreEvery(rescoreEvery),
              rules,
              events);
      case DEMAND -> new DemandTask(storeCsv(), rules, events);
      case FRAUD -> throw new IllegalArgumentException("fraud runs its own job");
    };
  }

  /**
   * The task's bound on how far an event may be ahead of its partition, unless {@code
   * --max-ahead-of-stream} is given: churn's shops close for weekends and two weeks over Christmas
   * (Online Retail: Friday 17:00 to Sunday 10:00, 2010-12-23 to 2011-01-04), so a day would
   * dead-letter the first lines after every closure; 21 days.
   */
  Duration maxAheadOfStream(Task task, Duration jobDefault) {
    return task == Task.CHURN ? Duration.ofDays(21) : jobDefault;
  }

  /** One line on what the task's flags set. */
  String describe(Task task) {
    return switch (task) {
      case CHURN ->
          "Churn: labelled by no purchase within "
              + horizon
              + ", re-scored every "
              + rescoreEvery
              + " of inactivity";
      case DEMAND -> "Demand: store reference data from " + stores;
      case FRAUD -> "";
    };
  }

  private byte[] storeCsv() {
    if (stores == null) {
      throw new UserError("the demand task needs --stores FILE (Rossmann's store.csv)");
    }
    try (InputStream raw = Files.newInputStream(stores);
        InputStream in = stores.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UserError("--stores: cannot read " + stores + ": " + e.getMessage());
    }
  }
}
