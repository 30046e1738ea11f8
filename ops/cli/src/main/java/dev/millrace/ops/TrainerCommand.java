package dev.millrace.ops;

import dev.millrace.ops.metrics.MetricsEndpoint;
import dev.millrace.ops.metrics.TrainerMeters;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.scorer.FeatureSchema;
import dev.millrace.trainer.TaskModel;
import dev.millrace.trainer.TrainerService;
import dev.millrace.trainer.TrainerSettings;
import dev.millrace.trainer.TrainerStatus;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code millrace trainer}: the retraining service of one task in the foreground. It reads {@code
 * <task>.training}, retrains on a schedule, promotes models that beat the champion on a later time
 * slice and announces them on {@code millrace.models}.
 */
@Command(
    name = "trainer",
    mixinStandardHelpOptions = true,
    description = {
      "Retrain a task's model from its training topic and announce better models.",
      "Stops cleanly on Ctrl-C (a run in progress is allowed to finish)."
    })
public final class TrainerCommand implements Callable<Integer> {

  @Mixin TopicsCommand.ClusterOptions cluster;

  @Mixin EvaluationOptions evaluation = new EvaluationOptions();

  @Option(
      names = {"-t", "--task"},
      required = true,
      paramLabel = "TASK",
      description = "fraud, churn or demand.")
  String task;

  @Option(
      names = "--model-store",
      defaultValue = "${env:MILLRACE_MODEL_STORE:-.millrace/models}",
      paramLabel = "URI",
      description =
          "Where model bundles go: a folder or a URI such as file:///models, s3://bucket/models"
              + " (env MILLRACE_MODEL_STORE; default ${DEFAULT-VALUE}).")
  String modelStore;

  @Option(
      names = "--retrain-every-examples",
      defaultValue = "50000",
      paramLabel = "N",
      description = "Retrain after N new training examples (default ${DEFAULT-VALUE}).")
  long retrainEveryExamples;

  @Option(
      names = "--retrain-every",
      defaultValue = "10m",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "...or after this much time, whichever comes first: 90s, 10m, 1h or PT10M"
              + " (default ${DEFAULT-VALUE}).")
  Duration retrainEvery;

  @Option(
      names = "--history-dir",
      paramLabel = "DIR",
      description =
          "Folder of the JSON-lines training history (default: <model store>/history for a local"
              + " store, else .millrace/history).")
  Path historyDir;

  @Option(
      names = "--features",
      split = ",",
      paramLabel = "NAME",
      description =
          "Feature names in order, overriding the task's feature schema from the pipeline.")
  List<String> features;

  @Option(
      names = "--status-every",
      defaultValue = "30s",
      converter = DurationConverter.class,
      description = "Print a status line this often; 0 for never (default ${DEFAULT-VALUE}).")
  Duration statusEvery;

  @Option(
      names = "--metrics-port",
      defaultValue = "9250",
      paramLabel = "PORT",
      description =
          "Port of the trainer's Prometheus endpoint (/metrics: runs by decision, durations, rows,"
              + " device, last metrics); 0 for none (default ${DEFAULT-VALUE}).")
  int metricsPort;

  @Mixin StoresOption stores = new StoresOption();

  @Mixin DeviceOption device = new DeviceOption();

  @Mixin SigningKeyOption signing = new SigningKeyOption();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    device.checked();
    TrainerSettings settings = settings();
    Task t = settings.task();
    PrintWriter out = spec.commandLine().getOut();
    CountDownLatch stopped = new CountDownLatch(1);
    MetricsEndpoint metrics =
        metricsPort > 0 ? MetricsEndpoint.start(metricsPort, "--metrics-port") : null;
    TrainerService service = new TrainerService(settings);
    if (metrics != null) {
      TrainerMeters.bind(metrics, service);
    }
    Thread hook =
        new Thread(
            () -> {
              service.close();
              stopped.countDown();
            },
            "millrace-trainer-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    service.startThread();
    out.printf(
        "Trainer for %s (%s head, promoted on %s): reading %s from %s, models to %s%s, history"
            + " in %s%n",
        TopicRegistry.taskName(t),
        headName(settings.model()),
        settings.promotionKey(),
        settings.topics().training(t).name(),
        settings.bootstrapServers(),
        settings.modelStore(),
        settings.signingKey() == null ? "" : " (signed with " + signing.signingKey + ")",
        settings.historyDir().toAbsolutePath());
    if (metrics != null) {
      out.printf("Prometheus metrics: http://localhost:%d/metrics%n", metrics.port());
    }
    out.println("Press Ctrl-C to stop.");
    out.flush();
    long nextStatus = System.nanoTime() + statusNanos();
    while (!stopped.await(1, TimeUnit.SECONDS)) {
      TrainerStatus status = service.status();
      if (status.state() == TrainerStatus.State.FAILED) {
        Runtime.getRuntime().removeShutdownHook(hook);
        service.close();
        if (metrics != null) {
          metrics.close();
        }
        throw new UserError("trainer stopped: " + status.lastError());
      }
      if (System.nanoTime() - nextStatus >= 0) {
        out.println(status.line(Instant.now()));
        out.flush();
        nextStatus = System.nanoTime() + statusNanos();
      }
    }
    return 0;
  }

  private long statusNanos() {
    return statusEvery.isZero() ? Long.MAX_VALUE / 2 : statusEvery.toNanos();
  }

  /**
   * The settings of {@code --task}: its feature schema (or {@code --features}), model head,
   * vocabularies and promotion rule from the {@link TaskCatalog}, with these flags applied.
   */
  TrainerSettings settings() {
    TaskCatalog.TaskSpec spec = TaskCatalog.of(task);
    TaskModel model = spec.model().apply(stores);
    FeatureSchema schema = spec.featureSchema();
    if (features != null && !features.isEmpty()) {
      schema = new FeatureSchema(features);
      // categorical features that --features keeps stay embedded
      Map<String, List<String>> kept = new LinkedHashMap<>(model.vocabularies());
      kept.keySet().retainAll(features);
      model = model.withVocabularies(kept);
    }
    return settings(spec.task(), schema, model);
  }

  TrainerSettings settings(Task t, FeatureSchema schema, TaskModel model) {
    URI store = storeUri(modelStore);
    return evaluation
        .applyTo(
            TrainerSettings.defaults(
                cluster.bootstrapServers, cluster.registry(), t, schema, model, store))
        .withRetrain(retrainEveryExamples, retrainEvery)
        .withHistoryDir(historyDir != null ? historyDir : TrainerSettings.defaultHistoryDir(store))
        .withDevice(device.device)
        .withSigningKey(signing.signer())
        .withKafkaProperties(cluster.kafkaProperties());
  }

  /** {@code binary}, {@code regression} or {@code regression-log1p}, as {@code ModelHead.parse}. */
  static String headName(TaskModel model) {
    if (!model.isRegression()) {
      return "binary";
    }
    return dev.millrace.scorer.model.ModelManifest.FeatureStats.LOG1P.equals(
            model.head().targetTransform())
        ? "regression-log1p"
        : "regression";
  }

  static URI storeUri(String text) {
    if (text == null || text.isBlank()) {
      throw new UserError("--model-store must not be empty");
    }
    if (text.matches("^[A-Za-z][A-Za-z0-9+.-]+:.*") && !text.matches("^[A-Za-z]:\\\\.*")) {
      return URI.create(text);
    }
    return Path.of(text).toAbsolutePath().normalize().toUri();
  }
}
