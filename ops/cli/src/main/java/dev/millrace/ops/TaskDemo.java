package dev.millrace.ops;

import dev.millrace.ingest.EventFeed;
import dev.millrace.ops.dashboard.DashboardServer;
import dev.millrace.ops.local.LocalFlink;
import dev.millrace.ops.local.OutputWatcher;
import dev.millrace.ops.metrics.MetricsEndpoint;
import dev.millrace.ops.metrics.MillraceMeters;
import dev.millrace.ops.metrics.TrainerMeters;
import dev.millrace.pipeline.KafkaJobSettings;
import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.pipeline.task.TaskDefinition;
import dev.millrace.pipeline.task.TaskJobOptions;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.trainer.TaskModel;
import dev.millrace.trainer.TrainerService;
import dev.millrace.trainer.TrainerSettings;
import dev.millrace.trainer.model.TrainSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;

/**
 * {@code millrace demo --task churn|demand}: a task that runs as a definition of the shared job,
 * end to end on this machine. A real Kafka broker, the task's job on a local MiniCluster, its
 * trainer (the task's head and promotion rule from the {@link TaskCatalog}), the task's generator
 * fed at {@code --rate} and the dashboard, with a status line; Ctrl-C stops everything. The fraud
 * demo stays in {@link DemoCommand}.
 */
final class TaskDemo {

  private final DemoCommand demo;
  private final TaskCatalog.TaskSpec spec;

  TaskDemo(DemoCommand demo, TaskCatalog.TaskSpec spec) {
    this.demo = demo;
    this.spec = spec;
  }

  int run(PrintWriter out) throws InterruptedException {
    if (demo.data != null || demo.driftAt != null) {
      throw new UserError(
          "--data and --drift-at belong to the fraud demo; "
              + spec.name()
              + " generates its events (for a dataset: millrace pipeline --task "
              + spec.name()
              + " and millrace replay "
              + spec.name()
              + ")");
    }
    if (spec.demo() == null || spec.replay() == null) {
      throw new UserError("the demo has no generator for task " + spec.name() + " yet");
    }
    Task t = spec.task();
    return demo.runOnBroker(
        out,
        () -> {
          try {
            return spec.demo()
                .start(demo.seed, demo.customers, demo.storeCount, demo.demoDir, demo.taskOptions);
          } catch (IOException e) {
            throw new UserError("cannot prepare the demo's data in " + demo.demoDir + ": " + e);
          }
        },
        (bootstrap, topics, stop, events) -> {
          FraudPipelineSettings jobSettings =
              demo.job.fraudSettings(bootstrap, topics, demo.demoDir.resolve("checkpoints"));
          TaskDefinition<?> definition = demo.taskOptions.definition(t, topics);
          KafkaJobSettings kafkaJob =
              PipelineCommand.JobOptions.taskKafka(jobSettings, "", definition.name());
          boolean ownBound =
              demo.spec.commandLine().getParseResult().hasMatchedOption("--max-ahead-of-stream");
          TaskJobOptions options =
              demo.job.taskJobOptions(
                  t,
                  jobSettings,
                  ownBound
                      ? demo.job.maxAheadOfStream
                      : demo.taskOptions.maxAheadOfStream(t, demo.job.maxAheadOfStream));
          try (MetricsEndpoint metrics =
                  demo.metricsPort > 0
                      ? MetricsEndpoint.start(demo.metricsPort, "--metrics-port")
                      : null;
              LocalFlink flink =
                  demo.job.startTaskLocal(
                      definition,
                      kafkaJob,
                      options,
                      Optional.empty(),
                      line -> {
                        synchronized (out) {
                          out.println(line);
                          out.flush();
                        }
                      });
              TrainerService trainer = new TrainerService(trainerSettings(bootstrap, topics));
              DashboardServer dashboardServer =
                  demo.dashboard.start(bootstrap, topics, trainer.history().file().getParent());
              OutputWatcher watcher = new OutputWatcher(bootstrap, topics, t);
              EventFeed<?> feed = feed(spec.replay(), bootstrap, topics.events(t).name())) {
            if (metrics != null) {
              MillraceMeters.bindOutput(metrics, spec.name(), watcher);
              TrainerMeters.bind(metrics, trainer);
            }
            watcher.start();
            out.printf(
                "%s running on a local MiniCluster (job %s; %s)%n",
                spec.jobLabel(), flink.job().getJobID(), demo.taskOptions.describe(t));
            trainer.startThread();
            out.printf(
                "Trainer running: %s models, promoted on %s; models in %s%n",
                TrainerCommand.headName(trainer.settings().model()),
                trainer.settings().model().isRegression()
                    ? trainer.settings().model().regressionError().name().toLowerCase()
                    : trainer.settings().promotionMetric().name().toLowerCase(),
                demo.demoDir.resolve("models"));
            Thread feeder = new Thread(() -> runFeed(feed, events), "millrace-demo-feeder");
            feeder.setDaemon(true);
            feeder.start();
            out.printf(
                "Generating %s at %.0f/s (seed %d) onto %s%n",
                spec.replay().what(), demo.rate, demo.seed, topics.events(t).name());
            out.printf("Dashboard: %s%n", dashboardServer.taskUri(t));
            out.println("Press Ctrl-C to stop.");
            out.flush();
            boolean jobFailed =
                new DemoStatus(
                        out,
                        spec.jobLabel(),
                        () -> feed.counts().acked(),
                        () -> "",
                        () -> "",
                        watcher,
                        trainer,
                        flink)
                    .run(stop, demo.statusEvery, demo.duration);
            DemoStatus.stopAll(out, feed::stop, flink, trainer);
            return jobFailed;
          }
        });
  }

  private <E extends SpecificRecord> EventFeed<E> feed(
      TaskCatalog.EventReplay<E> replay, String bootstrap, String topic) {
    return new EventFeed<>(bootstrap, Map.of(), topic, replay.type(), replay.key(), demo.rate);
  }

  @SuppressWarnings("unchecked")
  private static <E extends SpecificRecord> void runFeed(
      EventFeed<E> feed, Iterator<? extends SpecificRecord> events) {
    feed.run((Iterator<E>) events);
  }

  private TrainerSettings trainerSettings(String bootstrap, TopicRegistry topics) {
    var store = demo.demoDir.resolve("models").toAbsolutePath().toUri();
    TaskModel model = spec.model().apply(demo.taskOptions.stores);
    // a task that needs a longer window than the demo's (churn) gets it, unless --window says
    int window =
        model.windowRows() != null
                && !demo.spec.commandLine().getParseResult().hasMatchedOption("--window")
            ? model.windowRows()
            : demo.window;
    return TrainerSettings.defaults(
            bootstrap, topics, spec.task(), spec.featureSchema(), model, store)
        .withRetrain(demo.retrainEveryExamples, demo.retrainEvery)
        .withWindow(
            window, TrainerSettings.DEFAULT_EVAL_FRACTION, TrainerSettings.DEFAULT_MIN_TRAIN_ROWS)
        .withTrainSettings(TrainSettings.defaults().withEpochs(demo.epochs))
        .withDevice(demo.job.device.device);
  }
}
