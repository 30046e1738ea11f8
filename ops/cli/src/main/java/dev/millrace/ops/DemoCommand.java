package dev.millrace.ops;

import dev.millrace.ops.metrics.MetricsEndpoint;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code millrace demo}: a task's whole pipeline on one machine. A real Kafka broker, the task's
 * Flink job on a local MiniCluster, its trainer, its generated events and the dashboard, with a
 * live status line; Ctrl-C stops everything cleanly. Fraud runs its own job ({@link FraudDemo}),
 * the other tasks their definition of the shared job ({@link TaskDemo}); the options are shared.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run a task's pipeline end to end on this machine (--task fraud, churn or demand): a real",
      "Kafka broker, the task's Flink job (features, inline scoring with hot-swapped models,",
      "labels) on a local MiniCluster, the trainer (champion/challenger), a generator (fraud:",
      "or a data set replay) and the dashboard. Prints a status line; Ctrl-C stops everything."
    })
public final class DemoCommand implements Callable<Integer> {

  @Option(
      names = {"-t", "--task"},
      defaultValue = "fraud",
      paramLabel = "TASK",
      description =
          "The task to run: fraud (transactions, delayed labels), churn (purchase lines, labels"
              + " derived in the stream) or demand (store-day sales, a regression) (default"
              + " ${DEFAULT-VALUE}).")
  String task;

  @Mixin TaskOptions taskOptions;

  @Option(
      names = "--store-count",
      defaultValue = "50",
      description = "demand: generated stores (default ${DEFAULT-VALUE}).")
  int storeCount;

  @Mixin BrokerOptions broker;

  @Mixin PipelineCommand.JobOptions job;

  @Mixin DashboardCommand.Options dashboard;

  @Option(
      names = "--demo-dir",
      defaultValue = "${env:MILLRACE_DEMO_DIR:-.millrace/demo}",
      description =
          "Working folder of the demo (broker data, models, history); emptied at each start"
              + " (default ${DEFAULT-VALUE}).")
  Path demoDir;

  @Option(
      names = "--data",
      paramLabel = "CSV_GZ",
      description =
          "Replay this Fraud Detection Handbook file instead of generating transactions, e.g."
              + " ../shared/datasets/fraud_fdh/transactions_2018-04-01_2018-09-04.csv.gz")
  Path data;

  @Option(
      names = "--speed",
      defaultValue = "20000",
      description =
          "With --data: event-time speed-up (20000 = one day of transactions in ~4 s) or 'max'"
              + " (default ${DEFAULT-VALUE}).")
  String speed;

  @Option(
      names = "--rate",
      defaultValue = "1000",
      description = "Generated transactions per second (default ${DEFAULT-VALUE}).")
  double rate;

  @Option(
      names = "--customers",
      defaultValue = "1000",
      description = "Generated customers (default ${DEFAULT-VALUE}).")
  int customers;

  @Option(
      names = "--terminals",
      defaultValue = "2000",
      description = "Generated terminals (default ${DEFAULT-VALUE}).")
  int terminals;

  @Option(names = "--seed", defaultValue = "42", description = "Generator seed.")
  long seed;

  @Option(
      names = "--drift-at",
      converter = TimeConverter.class,
      description =
          "Event time at which the behaviour drifts (e.g. 2018-05-15): amounts 1.5 times"
              + " larger, and with the generator terminals compromised twice as often; with"
              + " --data the file's amounts (labels as in the file); none by default.")
  Instant driftAt;

  @Option(
      names = "--poison-fraction",
      defaultValue = "0.005",
      description =
          "Fraction of poison records mixed into the events; they end in fraud.dlq"
              + " (default ${DEFAULT-VALUE}).")
  double poisonFraction;

  @Option(
      names = "--retrain-every-examples",
      defaultValue = "8000",
      description = "Retrain after this many new training examples (default ${DEFAULT-VALUE}).")
  long retrainEveryExamples;

  @Option(
      names = "--retrain-every",
      defaultValue = "40s",
      converter = DurationConverter.class,
      description = "...or after this long (default ${DEFAULT-VALUE}).")
  Duration retrainEvery;

  @Option(
      names = "--window",
      defaultValue = "40000",
      description =
          "Trainer window: the most recent training examples it learns from"
              + " (default ${DEFAULT-VALUE}).")
  int window;

  @Option(
      names = "--epochs",
      defaultValue = "8",
      description =
          "Training epochs per run; the demo keeps runs short (default ${DEFAULT-VALUE}).")
  int epochs;

  @Option(
      names = "--status-every",
      defaultValue = "3s",
      converter = DurationConverter.class,
      description = "How often to print the status line (default ${DEFAULT-VALUE}).")
  Duration statusEvery;

  @Option(
      names = "--duration",
      converter = DurationConverter.class,
      description = "Stop by itself after this long (default: run until Ctrl-C).")
  Duration duration;

  @Option(
      names = "--metrics-port",
      defaultValue = "9250",
      paramLabel = "PORT",
      description =
          "Port of the Prometheus endpoint (/metrics) of the trainer, generator and committed"
              + " outputs; 0 for none (default ${DEFAULT-VALUE}). The Flink job's own endpoint is"
              + " --flink-metrics-port.")
  int metricsPort;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    job.device.checked();
    PrintWriter out = spec.commandLine().getOut();
    TaskCatalog.TaskSpec taskSpec = TaskCatalog.of(task);
    if (!taskSpec.ownJob()) {
      return new TaskDemo(this, taskSpec).run(out);
    }
    return new FraudDemo(this).run(out);
  }

  /** What a demo prepares in its emptied folder before the broker starts (its generated data). */
  @FunctionalInterface
  interface Prepare<T> {
    T prepare();
  }

  /** A demo's run once its broker is up; true when its job failed. */
  @FunctionalInterface
  interface OnBroker<T> {
    boolean run(String bootstrap, TopicRegistry topics, CountDownLatch stop, T prepared)
        throws InterruptedException;
  }

  /**
   * What every demo does around its own parts: fails fast on a busy port, empties the demo folder
   * and lets {@code prepare} fill it, starts the broker with every task's topics and a Ctrl-C hook,
   * runs {@code body} until it ends, stops the broker; 1 when the job failed.
   */
  <T> int runOnBroker(PrintWriter out, Prepare<T> prepare, OnBroker<T> body)
      throws InterruptedException {
    MetricsEndpoint.requireFree(metricsPort, "--metrics-port");
    MetricsEndpoint.requireFree(job.flinkMetricsPort, "--flink-metrics-port");
    dashboard.requireFree();
    resetDemoDir();
    T prepared = prepare.prepare();
    var brokerSettings =
        new dev.millrace.kafka.BrokerSettings(
            broker.host, broker.port, broker.controllerPort, demoDir.resolve("kafka"), Map.of());
    CountDownLatch stop = new CountDownLatch(1);
    Thread hook = new Thread(stop::countDown, "millrace-demo-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    boolean jobFailed;
    try (BrokerCommand.LocalKafka kafka = BrokerCommand.LocalKafka.start(brokerSettings, out)) {
      kafka.createTopics(List.of(Task.values()));
      jobFailed = body.run(kafka.bootstrapServers(), TopicRegistry.standard(), stop, prepared);
    } finally {
      DemoStatus.removeHook(hook);
    }
    out.println("Demo stopped.");
    out.flush();
    return jobFailed ? 1 : 0;
  }

  void resetDemoDir() {
    try {
      if (Files.exists(demoDir)) {
        try (Stream<Path> paths = Files.walk(demoDir)) {
          for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
      Files.createDirectories(demoDir);
    } catch (IOException e) {
      throw new UserError(
          "cannot prepare the demo folder "
              + demoDir
              + ": "
              + e.getMessage()
              + "; pass a writable --demo-dir");
    } catch (UncheckedIOException e) {
      throw new UserError("cannot prepare the demo folder " + demoDir + ": " + e.getMessage());
    }
  }
}
