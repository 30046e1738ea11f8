package dev.millrace.ops;

import dev.millrace.ingest.EventPublisher;
import dev.millrace.ingest.Pacing;
import dev.millrace.ingest.fraud.FraudCsvReader;
import dev.millrace.ingest.fraud.FraudDrift;
import dev.millrace.ingest.fraud.FraudPublisher;
import dev.millrace.ingest.fraud.ProgressBarListener;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code millrace replay fraud --file transactions.csv.gz}: a dataset file onto Kafka. */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = {
      "Replay a dataset file onto <task>.events in event-time order, with delayed labels on"
          + " <task>.labels (fraud: a label for each fraud, label-delay after the transaction).",
      "Example: millrace replay fraud --file transactions_2018-04-01_2018-09-04.csv.gz"
          + " --speed 86400 --label-delay 7d"
    })
public final class ReplayCommand implements Callable<Integer> {

  @Mixin TopicsCommand.ClusterOptions cluster;

  @Mixin PublishOptions publishing;

  @Parameters(
      index = "0",
      paramLabel = "TASK",
      description =
          "The task: fraud (the fraud_fdh transactions file), churn (an Online Retail file, I or"
              + " II) or demand (Rossmann's daily store sales, e.g."
              + " train_2013-01-01_2015-06-13.csv.gz); churn and demand at full speed.")
  String task;

  @Option(
      names = {"-f", "--file"},
      required = true,
      paramLabel = "CSV",
      description = "The dataset file (.csv or .csv.gz), e.g. the fraud_fdh transactions file.")
  Path file;

  @Option(
      names = "--speed",
      defaultValue = "max",
      paramLabel = "N|max",
      description =
          "Event-time speed-up: 3600 = one hour of event time per second; 'max' = as fast as"
              + " possible (default ${DEFAULT-VALUE}).")
  String speed;

  @Option(
      names = "--from",
      converter = TimeConverter.class,
      paramLabel = "TIME",
      description = "Replay transactions at or after this time (UTC), e.g. 2018-07-25.")
  Instant from;

  @Option(
      names = "--to",
      converter = TimeConverter.class,
      paramLabel = "TIME",
      description = "Replay transactions before this time (UTC), e.g. 2018-08-15.")
  Instant to;

  @Option(
      names = "--drift-at",
      converter = TimeConverter.class,
      paramLabel = "TIME",
      description =
          "Inject drift from this event time on: amounts 1.5 times larger, as the generator's"
              + " --drift-at (labels as in the file); none by default.")
  Instant driftAt;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    TaskCatalog.TaskSpec t = TaskCatalog.of(task);
    if (!Files.isRegularFile(file)) {
      throw new UserError("no such file: " + file);
    }
    if (t.replay() != null) {
      return publishAll(t.task(), t.replay());
    }
    Task ingestTask = PublishRun.withTransactionIngest(task, "replay");
    FraudPublisher.Settings settings =
        publishing.settings(cluster.bootstrapServers, Pacing.parseSpeed(speed), 1);
    TopicRegistry topics = cluster.registry();
    PublishRun.ensureTopics(
        cluster.bootstrapServers, cluster.kafkaProperties(), topics, ingestTask);
    long t0 = System.nanoTime();
    try (FraudCsvReader reader = FraudCsvReader.open(file, from, to);
        FraudPublisher publisher =
            new FraudPublisher(topics, settings, cluster.kafkaProperties())) {
      FraudPublisher.Counts counts;
      if (publishing.noProgress) {
        counts =
            PublishRun.publish(
                publisher, FraudDrift.inject(reader, driftAt), FraudPublisher.Listener.NONE);
      } else {
        try (ProgressBarListener bar = ProgressBarListener.forFile("replay", reader, System.err)) {
          counts = PublishRun.publish(publisher, FraudDrift.inject(reader, driftAt), bar);
        }
      }
      PublishRun.summary(spec.commandLine().getOut(), "Replayed", counts, topics, t0);
    }
    return 0;
  }

  /** Sends every record to the task's events topic, keyed by its entity, and waits for the acks. */
  private <E extends org.apache.avro.specific.SpecificRecord> int publishAll(
      Task t, TaskCatalog.EventReplay<E> replay) {
    if (!"max".equals(speed) || from != null || to != null || driftAt != null) {
      throw new UserError(
          "replay "
              + TopicRegistry.taskName(t)
              + " runs at --speed max over the whole file for now");
    }
    List<E> records;
    try {
      records = replay.reader().read(file);
    } catch (java.io.IOException | RuntimeException e) {
      throw new UserError("cannot read " + file + " as " + replay.format() + ": " + e.getMessage());
    }
    String what = replay.what();
    TopicRegistry topics = cluster.registry();
    PublishRun.ensureTopics(cluster.bootstrapServers, cluster.kafkaProperties(), topics, t);
    String topic = topics.events(t).name();
    EventPublisher.Counts c;
    try (me.tongfei.progressbar.ProgressBar bar =
        publishing.noProgress
            ? null
            : new me.tongfei.progressbar.ProgressBarBuilder()
                .setTaskName("replay " + TopicRegistry.taskName(t))
                .setInitialMax(records.size())
                .setUnit(" ev", 1)
                .showSpeed()
                .setSpeedUnit(java.time.temporal.ChronoUnit.SECONDS)
                .setStyle(me.tongfei.progressbar.ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(500)
                .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err))
                .build()) {
      c =
          EventPublisher.publishAll(
              cluster.bootstrapServers,
              cluster.kafkaProperties(),
              topic,
              replay.type(),
              records,
              replay.key(),
              bar == null ? n -> {} : bar::stepTo);
    }
    spec.commandLine()
        .getOut()
        .printf(
            "Replayed %d %s to %s in %.1f s (%.0f/s)%s%n",
            c.sent(),
            what,
            topic,
            c.seconds(),
            records.size() / c.seconds(),
            c.failed() == 0 ? "" : "; " + c.failed() + " NOT acknowledged");
    return c.failed() == 0 ? 0 : 1;
  }
}
