package dev.millrace.ops;

import dev.millrace.ingest.Pacing;
import dev.millrace.ingest.fraud.FraudCsvReader;
import dev.millrace.ingest.fraud.FraudDrift;
import dev.millrace.ingest.fraud.FraudGenerator;
import dev.millrace.ingest.fraud.FraudPublisher;
import dev.millrace.ingest.fraud.LabeledTransaction;
import dev.millrace.ops.dashboard.DashboardServer;
import dev.millrace.ops.local.LocalFlink;
import dev.millrace.ops.local.OutputWatcher;
import dev.millrace.ops.metrics.MetricsEndpoint;
import dev.millrace.ops.metrics.MillraceMeters;
import dev.millrace.ops.metrics.TrainerMeters;
import dev.millrace.pipeline.fraud.FraudFeatures;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.trainer.TrainerService;
import dev.millrace.trainer.TrainerSettings;
import dev.millrace.trainer.model.TrainSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code millrace demo}: the whole fraud pipeline on one machine. A real Kafka broker, the fraud
 * Flink job on a local MiniCluster, the trainer and a transaction generator (or a replay of the
 * handbook's data set), with a live status line; Ctrl-C stops everything cleanly.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run the fraud pipeline end to end on this machine: a real Kafka broker, the Flink job",
      "(features, inline scoring with hot-swapped models, label join) on a local MiniCluster,",
      "the trainer (champion/challenger) and a transaction generator or a data set replay.",
      "Prints a status line; Ctrl-C stops everything cleanly."
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
    if (data != null && !Files.isRegularFile(data)) {
      throw new UserError("no such file: " + data + " (--data expects a fraud_fdh .csv.gz)");
    }
    boolean jobFailed = false;
    Pacing pacing = data != null ? Pacing.parseSpeed(speed) : Pacing.rate(rate);
    MetricsEndpoint.requireFree(metricsPort, "--metrics-port");
    MetricsEndpoint.requireFree(job.flinkMetricsPort, "--flink-metrics-port");
    dashboard.requireFree();
    resetDemoDir();
    var brokerSettings =
        new dev.millrace.kafka.BrokerSettings(
            broker.host, broker.port, broker.controllerPort, demoDir.resolve("kafka"), Map.of());
    TopicRegistry topics = TopicRegistry.standard();
    CountDownLatch stop = new CountDownLatch(1);
    Thread hook = new Thread(stop::countDown, "millrace-demo-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    try (BrokerCommand.LocalKafka kafka = BrokerCommand.LocalKafka.start(brokerSettings, out)) {
      kafka.createTopics(List.of(Task.values()));
      String bootstrap = kafka.bootstrapServers();
      try (MetricsEndpoint metrics =
              metricsPort > 0 ? MetricsEndpoint.start(metricsPort, "--metrics-port") : null;
          LocalFlink flink =
              job.startLocal(
                  job.fraudSettings(bootstrap, topics, demoDir.resolve("checkpoints")),
                  Optional.empty(), // the demo folder was just emptied: always a fresh start
                  line -> {
                    synchronized (out) {
                      out.println(line);
                      out.flush();
                    }
                  });
          TrainerService trainer = new TrainerService(trainerSettings(bootstrap, topics));
          DashboardServer dashboardServer =
              dashboard.start(bootstrap, topics, trainer.history().file().getParent());
          OutputWatcher watcher = new OutputWatcher(bootstrap, topics, Task.FRAUD);
          FraudPublisher publisher =
              new FraudPublisher(topics, publisherSettings(bootstrap, pacing));
          var source = source()) {
        if (metrics != null) {
          String task = TopicRegistry.taskName(Task.FRAUD);
          MillraceMeters.bindPublisher(metrics, task, publisher::counts);
          MillraceMeters.bindOutput(metrics, task, watcher);
          TrainerMeters.bind(metrics, trainer);
        }
        watcher.start();
        out.printf(
            "Fraud job running on a local MiniCluster (job %s; %s state, checkpoints in %s)%n",
            flink.job().getJobID(), job.stateBackend, demoDir.resolve("checkpoints"));
        if (metrics != null || job.flinkMetricsPort > 0) {
          out.printf(
              "Prometheus metrics: %s%s%n",
              metrics == null ? "" : "http://localhost:" + metrics.port() + "/metrics (millrace) ",
              job.flinkMetricsPort > 0
                  ? "http://localhost:" + job.flinkMetricsPort + "/metrics (Flink job)"
                  : "");
        }
        trainer.startThread();
        out.printf(
            "Trainer running: models in %s, history in %s%n",
            demoDir.resolve("models"), demoDir.resolve("models").resolve("history"));
        Thread feeder =
            new Thread(
                () -> publisher.publish(source.iterator(), FraudPublisher.Listener.NONE),
                "millrace-demo-feeder");
        feeder.setDaemon(true);
        feeder.start();
        out.println(
            data != null
                ? "Replaying " + data + " at speed " + pacing
                : String.format(
                    "Generating transactions at %.0f/s (%d customers, %d terminals, seed %d%s)",
                    rate,
                    customers,
                    terminals,
                    seed,
                    driftAt == null ? "" : ", drift at " + driftAt));
        out.printf("Dashboard: %s%n", dashboardServer.taskUri(Task.FRAUD));
        out.println("Press Ctrl-C to stop.");
        out.flush();
        jobFailed =
            new DemoStatus(
                    out,
                    "The fraud job",
                    () -> {
                      FraudPublisher.Counts c = publisher.counts();
                      return c.events() + c.poison();
                    },
                    () -> ", labels " + String.format("%,d", publisher.counts().labels()),
                    () -> watcher.driftStatus().isEmpty() ? "" : " | " + watcher.driftStatus(),
                    watcher,
                    trainer,
                    flink)
                .run(stop, statusEvery, duration);
        DemoStatus.stopAll(out, publisher::stop, flink, trainer);
      }
    } finally {
      DemoStatus.removeHook(hook);
    }
    out.println("Demo stopped.");
    out.flush();
    return jobFailed ? 1 : 0;
  }

  /** The transactions to feed: the data set or the generator. */
  private TransactionSource source() {
    if (data != null) {
      FraudCsvReader reader = FraudCsvReader.open(data);
      return new TransactionSource(FraudDrift.inject(reader, driftAt), reader::close);
    }
    FraudGenerator generator =
        new FraudGenerator(
            FraudGenerator.Settings.defaults()
                .withSeed(seed)
                .withSize(customers, terminals)
                .withDriftAt(driftAt));
    return new TransactionSource(generator, () -> {});
  }

  private record TransactionSource(Iterator<LabeledTransaction> iterator, Runnable closer)
      implements AutoCloseable {
    @Override
    public void close() {
      closer.run();
    }
  }

  private FraudPublisher.Settings publisherSettings(String bootstrap, Pacing pacing) {
    return FraudPublisher.Settings.defaults(bootstrap)
        .withLabelDelay(job.labelDelay)
        .withPacing(pacing)
        .withPoison(poisonFraction, seed);
  }

  private TrainerSettings trainerSettings(String bootstrap, TopicRegistry topics) {
    var store = demoDir.resolve("models").toAbsolutePath().toUri();
    return TrainerSettings.defaults(bootstrap, topics, Task.FRAUD, FraudFeatures.SCHEMA, store)
        .withRetrain(retrainEveryExamples, retrainEvery)
        .withWindow(
            window, TrainerSettings.DEFAULT_EVAL_FRACTION, TrainerSettings.DEFAULT_MIN_TRAIN_ROWS)
        .withTrainSettings(TrainSettings.defaults().withEpochs(epochs))
        .withDevice(job.device.device);
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
