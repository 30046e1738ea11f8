package dev.millrace.ops;

import dev.millrace.ingest.ValidationRules;
import dev.millrace.ingest.fraud.FraudValidatorApp;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code millrace validator --task fraud}: the Kafka Streams validator in the foreground. */
@Command(
    name = "validator",
    mixinStandardHelpOptions = true,
    description = {
      "Run the Kafka Streams validator: <task>.raw (JSON) to <task>.events (Avro), everything"
          + " invalid to <task>.dlq with a reason (exactly-once). Stops on Ctrl-C."
    })
public final class ValidatorCommand implements Callable<Integer> {

  @Mixin TopicsCommand.ClusterOptions cluster;

  @Option(
      names = {"-t", "--task"},
      required = true,
      paramLabel = "TASK",
      description = "The task; only fraud for now.")
  String task;

  @Option(
      names = "--application-id",
      defaultValue = "millrace-fraud-validator",
      description = "Kafka Streams application id (default ${DEFAULT-VALUE}).")
  String applicationId;

  @Option(
      names = "--state-dir",
      defaultValue = "${sys:java.io.tmpdir}/millrace-streams",
      description = "Kafka Streams state directory (default ${DEFAULT-VALUE}).")
  Path stateDir;

  @Option(
      names = "--earliest",
      defaultValue = "2000-01-01",
      converter = TimeConverter.class,
      paramLabel = "TIME",
      description = "Reject events before this time (default ${DEFAULT-VALUE}).")
  Instant earliest;

  @Option(
      names = "--max-ahead",
      defaultValue = "1d",
      converter = DurationConverter.class,
      paramLabel = "DURATION",
      description = "Reject events this far ahead of the wall clock (default ${DEFAULT-VALUE}).")
  Duration maxAhead;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    Task ingestTask = PublishRun.withTransactionIngest(task, "validator");
    TopicRegistry topics = cluster.registry();
    PublishRun.ensureTopics(
        cluster.bootstrapServers, cluster.kafkaProperties(), topics, ingestTask);
    FraudValidatorApp.Settings settings =
        new FraudValidatorApp.Settings(
            cluster.bootstrapServers,
            applicationId,
            stateDir,
            new ValidationRules(earliest, maxAhead));
    PrintWriter out = spec.commandLine().getOut();
    CountDownLatch stopped = new CountDownLatch(1);
    java.util.Properties security = new java.util.Properties();
    security.putAll(cluster.kafkaProperties());
    FraudValidatorApp app = new FraudValidatorApp(topics, settings, security);
    Thread hook =
        new Thread(
            () -> {
              app.close();
              stopped.countDown();
            },
            "millrace-validator-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    app.start();
    out.printf(
        "Validator running: %s -> %s, invalid -> %s (exactly-once). Press Ctrl-C to stop.%n",
        topics.raw(ingestTask).name(), topics.fraudEvents().name(), topics.dlq(ingestTask).name());
    out.flush();
    stopped.await();
    return 0;
  }
}
