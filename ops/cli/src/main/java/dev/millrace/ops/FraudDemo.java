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
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.Iterator;
import java.util.Optional;

/**
 * {@code millrace demo} for fraud, the task with its own job: a real Kafka broker, the fraud job
 * ({@code KafkaFraudJob}) on a local MiniCluster, the trainer, and the transaction generator (or a
 * replay of the handbook's data set, {@code --data}) with delayed labels and poison; the dashboard
 * and a status line. The tasks that run as definitions of the shared job have {@link TaskDemo}.
 */
final class FraudDemo {

  private final DemoCommand demo;

  FraudDemo(DemoCommand demo) {
    this.demo = demo;
  }

  int run(PrintWriter out) throws InterruptedException {
    if (demo.data != null && !Files.isRegularFile(demo.data)) {
      throw new UserError("no such file: " + demo.data + " (--data expects a fraud_fdh .csv.gz)");
    }
    Pacing pacing = demo.data != null ? Pacing.parseSpeed(demo.speed) : Pacing.rate(demo.rate);
    return demo.runOnBroker(
        out,
        () -> null,
        (bootstrap, topics, stop, nothing) -> {
          try (MetricsEndpoint metrics =
                  demo.metricsPort > 0
                      ? MetricsEndpoint.start(demo.metricsPort, "--metrics-port")
                      : null;
              LocalFlink flink =
                  demo.job.startLocal(
                      demo.job.fraudSettings(
                          bootstrap, topics, demo.demoDir.resolve("checkpoints")),
                      Optional.empty(), // the demo folder was just emptied: always a fresh start
                      line -> {
                        synchronized (out) {
                          out.println(line);
                          out.flush();
                        }
                      });
              TrainerService trainer = new TrainerService(trainerSettings(bootstrap, topics));
              DashboardServer dashboardServer =
                  demo.dashboard.start(bootstrap, topics, trainer.history().file().getParent());
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
                flink.job().getJobID(), demo.job.stateBackend, demo.demoDir.resolve("checkpoints"));
            if (metrics != null || demo.job.flinkMetricsPort > 0) {
              out.printf(
                  "Prometheus metrics: %s%s%n",
                  metrics == null
                      ? ""
                      : "http://localhost:" + metrics.port() + "/metrics (millrace) ",
                  demo.job.flinkMetricsPort > 0
                      ? "http://localhost:" + demo.job.flinkMetricsPort + "/metrics (Flink job)"
                      : "");
            }
            trainer.startThread();
            out.printf(
                "Trainer running: models in %s, history in %s%n",
                demo.demoDir.resolve("models"), demo.demoDir.resolve("models").resolve("history"));
            Thread feeder =
                new Thread(
                    () -> publisher.publish(source.iterator(), FraudPublisher.Listener.NONE),
                    "millrace-demo-feeder");
            feeder.setDaemon(true);
            feeder.start();
            out.println(
                demo.data != null
                    ? "Replaying " + demo.data + " at speed " + pacing
                    : String.format(
                        "Generating transactions at %.0f/s (%d customers, %d terminals, seed %d%s)",
                        demo.rate,
                        demo.customers,
                        demo.terminals,
                        demo.seed,
                        demo.driftAt == null ? "" : ", drift at " + demo.driftAt));
            out.printf("Dashboard: %s%n", dashboardServer.taskUri(Task.FRAUD));
            out.println("Press Ctrl-C to stop.");
            out.flush();
            boolean jobFailed =
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
                    .run(stop, demo.statusEvery, demo.duration);
            DemoStatus.stopAll(out, publisher::stop, flink, trainer);
            return jobFailed;
          }
        });
  }

  /** The transactions to feed: the data set or the generator. */
  private TransactionSource source() {
    if (demo.data != null) {
      FraudCsvReader reader = FraudCsvReader.open(demo.data);
      return new TransactionSource(FraudDrift.inject(reader, demo.driftAt), reader::close);
    }
    FraudGenerator generator =
        new FraudGenerator(
            FraudGenerator.Settings.defaults()
                .withSeed(demo.seed)
                .withSize(demo.customers, demo.terminals)
                .withDriftAt(demo.driftAt));
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
        .withLabelDelay(demo.job.labelDelay)
        .withPacing(pacing)
        .withPoison(demo.poisonFraction, demo.seed);
  }

  private TrainerSettings trainerSettings(String bootstrap, TopicRegistry topics) {
    var store = demo.demoDir.resolve("models").toAbsolutePath().toUri();
    return TrainerSettings.defaults(bootstrap, topics, Task.FRAUD, FraudFeatures.SCHEMA, store)
        .withRetrain(demo.retrainEveryExamples, demo.retrainEvery)
        .withWindow(
            demo.window,
            TrainerSettings.DEFAULT_EVAL_FRACTION,
            TrainerSettings.DEFAULT_MIN_TRAIN_ROWS)
        .withTrainSettings(TrainSettings.defaults().withEpochs(demo.epochs))
        .withDevice(demo.job.device.device);
  }
}
