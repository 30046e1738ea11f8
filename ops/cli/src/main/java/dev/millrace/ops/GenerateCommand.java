package dev.millrace.ops;

import dev.millrace.ingest.Pacing;
import dev.millrace.ingest.fraud.FraudGenerator;
import dev.millrace.ingest.fraud.FraudPublisher;
import dev.millrace.ingest.fraud.LabeledTransaction;
import dev.millrace.ingest.fraud.ProgressBarListener;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import java.time.Instant;
import java.util.Iterator;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code millrace generate fraud}: synthetic transactions (with optional drift) onto Kafka. */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description = {
      "Generate synthetic events (Fraud Detection Handbook simulator: 3 fraud scenarios) onto"
          + " <task>.events, with delayed labels on <task>.labels; endless unless --count.",
      "Example: millrace generate fraud --rate 500 --drift-at 2018-05-01 --poison-fraction 0.001"
    })
public final class GenerateCommand implements Callable<Integer> {

  @Mixin TopicsCommand.ClusterOptions cluster;

  @Mixin PublishOptions publishing;

  @Parameters(index = "0", paramLabel = "TASK", description = "The task; only fraud for now.")
  String task;

  @Option(names = "--seed", defaultValue = "42", description = "Random seed (default 42).")
  long seed;

  @Option(
      names = "--rate",
      defaultValue = "1000",
      paramLabel = "R|max",
      description = "Events per second, or 'max' (default ${DEFAULT-VALUE}).")
  String rate;

  @Option(
      names = "--count",
      defaultValue = "0",
      paramLabel = "N",
      description = "Stop after N events; 0 = run until Ctrl-C (default).")
  long count;

  @Option(
      names = "--start",
      defaultValue = "2018-04-01",
      converter = TimeConverter.class,
      paramLabel = "TIME",
      description =
          "Event time of the first day (UTC; default ${DEFAULT-VALUE}, like the handbook data,"
              + " so that event time stays behind the wall clock).")
  Instant start;

  @Option(
      names = "--drift-at",
      converter = TimeConverter.class,
      paramLabel = "TIME",
      description =
          "From this event time on, amounts x1.5 and twice as many compromised terminals.")
  Instant driftAt;

  @Option(
      names = "--customers",
      defaultValue = "5000",
      description = "Number of customers (default ${DEFAULT-VALUE}).")
  int customers;

  @Option(
      names = "--terminals",
      defaultValue = "10000",
      description = "Number of terminals (default ${DEFAULT-VALUE}).")
  int terminals;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    Task ingestTask = PublishRun.withTransactionIngest(task, "generate");
    if (count < 0) {
      throw new UserError("--count must be 0 (endless) or positive, got " + count);
    }
    Pacing pacing;
    if (rate.trim().equalsIgnoreCase("max")) {
      pacing = Pacing.max();
    } else {
      try {
        pacing = Pacing.rate(Double.parseDouble(rate.trim()));
      } catch (NumberFormatException e) {
        throw new UserError("--rate must be 'max' or a positive number, got '" + rate + "'");
      }
    }
    FraudGenerator generator =
        new FraudGenerator(new FraudGenerator.Settings(seed, customers, terminals, start, driftAt));
    FraudPublisher.Settings settings = publishing.settings(cluster.bootstrapServers, pacing, seed);
    TopicRegistry topics = cluster.registry();
    PublishRun.ensureTopics(
        cluster.bootstrapServers, cluster.kafkaProperties(), topics, ingestTask);
    Iterator<LabeledTransaction> source = count > 0 ? generator.take(count) : generator;
    long t0 = System.nanoTime();
    try (FraudPublisher publisher =
        new FraudPublisher(topics, settings, cluster.kafkaProperties())) {
      FraudPublisher.Counts counts;
      if (publishing.noProgress) {
        counts = PublishRun.publish(publisher, source, FraudPublisher.Listener.NONE);
      } else {
        try (ProgressBarListener bar =
            ProgressBarListener.forCount("generate", count, System.err)) {
          counts = PublishRun.publish(publisher, source, bar);
        }
      }
      PublishRun.summary(spec.commandLine().getOut(), "Generated", counts, topics, t0);
    }
    return 0;
  }
}
