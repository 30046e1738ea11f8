package dev.millrace.ops;

import dev.millrace.ops.local.JobWatch;
import dev.millrace.ops.local.LocalFlink;
import dev.millrace.ops.metrics.MetricsEndpoint;
import dev.millrace.pipeline.Checkpoints;
import dev.millrace.pipeline.KafkaJobSettings;
import dev.millrace.pipeline.StateBackendChoice;
import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.pipeline.task.KafkaTaskJob;
import dev.millrace.pipeline.task.TaskDefinition;
import dev.millrace.pipeline.task.TaskJobOptions;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.scorer.flink.ScoringSettings;
import dev.millrace.scorer.model.ModelSigning;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.flink.api.common.JobStatus;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code millrace pipeline}: a task's Flink job on a local MiniCluster against an existing Kafka.
 * The same job runs on a Flink cluster with {@code flink run -c
 * dev.millrace.pipeline.fraud.KafkaFraudJob <jar> --bootstrap-servers ...}.
 */
@Command(
    name = "pipeline",
    mixinStandardHelpOptions = true,
    description = {
      "Run a task's Flink job (features, inline scoring, label join) on a local MiniCluster",
      "against an existing Kafka cluster. Stops cleanly on Ctrl-C."
    })
public final class PipelineCommand implements Callable<Integer> {

  @Mixin TopicsCommand.ClusterOptions cluster;

  @Mixin JobOptions job;

  @Option(
      names = {"-t", "--task"},
      required = true,
      paramLabel = "TASK",
      description =
          "The task: fraud, churn or demand (churn and demand run on the local MiniCluster"
              + " only; demand needs --stores).")
  String task;

  @Mixin TaskOptions taskOptions = new TaskOptions();

  @Option(
      names = "--checkpoint-dir",
      defaultValue = "${env:MILLRACE_CHECKPOINT_DIR:-.millrace/pipeline/checkpoints}",
      paramLabel = "DIR",
      description =
          "Checkpoint folder; the job's checkpoints go to DIR/<task> (DIR/<namespace>.<task>"
              + " with --namespace), are retained when the job stops, and the next start resumes"
              + " from the latest one (default ${DEFAULT-VALUE}; MILLRACE_CHECKPOINT_DIR).")
  Path checkpointDir;

  @Option(
      names = "--fresh",
      description =
          "Ignore retained checkpoints: start with empty state, reading from the consumer"
              + " groups' committed offsets.")
  boolean fresh;

  @Option(
      names = "--status-every",
      defaultValue = "10s",
      converter = DurationConverter.class,
      description =
          "How often to print a line with restarts and the last checkpoint"
              + " (default ${DEFAULT-VALUE}).")
  Duration statusEvery;

  @Option(
      names = "--submit",
      paramLabel = "URL",
      description =
          "Submit the job to a Flink cluster through its JobManager's REST API (e.g."
              + " http://localhost:8081, what 'millrace cluster up' starts) instead of running a"
              + " local MiniCluster; prints the job id and returns.")
  String submit;

  @Option(
      names = "--job-jar",
      paramLabel = "JAR",
      description =
          "With --submit: the job jar to upload (default: feature-pipeline/target/"
              + "millrace-feature-pipeline-*-job.jar, which ./millrace builds).")
  Path jobJar;

  @Option(
      names = "--from-savepoint",
      paramLabel = "PATH",
      description = "With --submit: start from this savepoint (or retained checkpoint).")
  String fromSavepoint;

  @Option(
      names = "--stop-with-savepoint",
      paramLabel = "JOB_ID",
      description =
          "With --submit: stop this job with a savepoint (into --savepoint-dir, else the"
              + " cluster's default) and print its path; --from-savepoint resumes from it.")
  String stopWithSavepoint;

  @Option(
      names = "--savepoint-dir",
      paramLabel = "DIR",
      description = "With --stop-with-savepoint: where the savepoint goes (a path or URI).")
  String savepointDir;

  @Option(
      names = "--model-public-key",
      paramLabel = "PEM_FILE",
      defaultValue = "${env:MILLRACE_MODEL_PUBLIC_KEY}",
      description =
          "Ed25519 public key (X.509 PEM, model-signing.pub from 'millrace keys generate'): only"
              + " model bundles whose signature <bundle>.sig verifies with it are applied; unsigned"
              + " or wrongly signed ones are refused (UNSIGNED, BAD_SIGNATURE) and the current model"
              + " keeps serving. Carried into the job, also with --submit"
              + " (MILLRACE_MODEL_PUBLIC_KEY; default: signatures are not checked).")
  Path modelPublicKey;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** The verifier of {@code --model-public-key}; null without one. */
  ModelSigning.Verifier modelVerifier() {
    if (modelPublicKey == null) {
      return null;
    }
    try {
      return ModelSigning.Verifier.read(modelPublicKey);
    } catch (java.io.IOException | RuntimeException e) {
      throw new UserError(
          "--model-public-key: cannot use " + modelPublicKey + ": " + e.getMessage());
    }
  }

  /** Converts {@code rocksdb} / {@code hashmap}. */
  static final class StateBackendConverter
      implements CommandLine.ITypeConverter<StateBackendChoice> {
    @Override
    public StateBackendChoice convert(String value) {
      try {
        return StateBackendChoice.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /** Job flags shared with {@code demo}. */
  public static final class JobOptions {
    @Option(
        names = "--parallelism",
        defaultValue = "1",
        description = "Parallelism of the job (default ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(
        names = "--checkpoint-interval",
        defaultValue = "5s",
        converter = DurationConverter.class,
        description =
            "Exactly-once checkpoint interval; scores become visible to read_committed"
                + " consumers at each checkpoint (default ${DEFAULT-VALUE}).")
    Duration checkpointInterval;

    @Option(
        names = "--transaction-timeout",
        defaultValue = "15m",
        converter = DurationConverter.class,
        description =
            "Kafka transaction.timeout.ms of the exactly-once sinks: longer than the checkpoint"
                + " interval, at most the broker's transaction.max.timeout.ms (15 min). A job down"
                + " for longer right between a checkpoint and its commit loses that checkpoint's"
                + " output, since the broker aborts the open transactions (default"
                + " ${DEFAULT-VALUE}).")
    Duration transactionTimeout;

    @Option(
        names = "--batch-size",
        defaultValue = "64",
        description = "Scoring micro-batch size (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
        names = "--batch-max-wait",
        defaultValue = "50ms",
        converter = DurationConverter.class,
        description = "Longest a scoring micro-batch waits to fill (default ${DEFAULT-VALUE}).")
    Duration batchMaxWait;

    @Option(
        names = "--label-delay",
        defaultValue = "7d",
        converter = DurationConverter.class,
        description =
            "How long, in event time, a transaction's label may take to arrive; no label by then"
                + " means genuine (default ${DEFAULT-VALUE}).")
    Duration labelDelay;

    @Option(
        names = "--label-idleness",
        defaultValue = "5m",
        converter = DurationConverter.class,
        description =
            "Wall-clock time a labels partition may stay empty before it stops holding back event"
                + " time; while it does not, no label is lost to replay speed or topic timing"
                + " (default ${DEFAULT-VALUE}).")
    Duration labelIdleness;

    @Option(
        names = "--max-ahead-of-stream",
        defaultValue = "1d",
        converter = DurationConverter.class,
        description =
            "An event more than this (plus the wall-clock time since) ahead of the newest event"
                + " of its partition goes to the DLQ (EVENT_TIME_AHEAD_OF_STREAM) and never moves"
                + " event time; raise it for data with longer gaps (default ${DEFAULT-VALUE}).")
    Duration maxAheadOfStream;

    @Option(
        names = "--flink-metrics-port",
        defaultValue = "9249",
        paramLabel = "PORT",
        description =
            "Port of the Flink job's Prometheus endpoint (Flink's Prometheus reporter: job, task"
                + " and operator metrics at /metrics); 0 for none (default ${DEFAULT-VALUE}).")
    int flinkMetricsPort;

    @Option(
        names = "--state-backend",
        defaultValue = "${env:MILLRACE_STATE_BACKEND:-rocksdb}",
        paramLabel = "rocksdb|hashmap",
        converter = StateBackendConverter.class,
        description =
            "Where the job keeps its state: rocksdb (on disk, incremental checkpoints; for real"
                + " volumes) or hashmap (on the heap) (default ${DEFAULT-VALUE};"
                + " MILLRACE_STATE_BACKEND).")
    StateBackendChoice stateBackend;

    @Option(
        names = "--terminal-order",
        description =
            "Hold each transaction until the transactions' event time has reached its delayed"
                + " terminal windows (an operator more in the job, 'Terminal order'), so that the"
                + " terminal features do not depend on which partition is read first; off by"
                + " default, on in 'millrace backtest'.")
    boolean terminalOrder;

    @CommandLine.Mixin DeviceOption device = new DeviceOption();

    @Option(
        names = "--restart-attempts",
        defaultValue = "8",
        description =
            "Failovers in a row (restarts back off exponentially from 1 s to 30 s) after which"
                + " the job stops with its root cause instead of restarting again"
                + " (default ${DEFAULT-VALUE}).")
    int restartAttempts;

    /**
     * Starts the fraud job on a local MiniCluster, with its metrics endpoint when asked; failover
     * lines go to {@code console}.
     */
    LocalFlink startLocal(
        FraudPipelineSettings settings,
        Optional<Checkpoints.Retained> resumeFrom,
        Consumer<String> console) {
      MetricsEndpoint.requireFree(flinkMetricsPort, "--flink-metrics-port");
      return LocalFlink.startFraud(settings, flinkMetricsPort, resumeFrom, console);
    }

    /**
     * The Kafka, checkpoint and restart settings of a task's job on the shared task job: the fraud
     * job's, under the task's own consumer group and transactional ids ({@code prefix} is the
     * namespace with its dot, or empty).
     */
    static KafkaJobSettings taskKafka(FraudPipelineSettings fraud, String prefix, String name) {
      return fraud
          .kafkaJob()
          .withIds(prefix + "millrace-" + name + "-pipeline", prefix + "millrace-" + name);
    }

    /** The shared task job's options from these flags, with the task's event-time bound. */
    TaskJobOptions taskJobOptions(Task t, FraudPipelineSettings fraud, Duration maxAhead) {
      return new TaskJobOptions(
          parallelism,
          fraud.outOfOrderness(),
          fraud.idleness(),
          maxAhead,
          ScoringSettings.defaults(t).withBatchSize(batchSize).withMaxWait(batchMaxWait),
          fraud.monitoring());
    }

    /**
     * Starts a task's definition on the shared task job ({@link KafkaTaskJob}) on a local
     * MiniCluster, with its metrics endpoint when asked; failover lines go to {@code console}.
     */
    LocalFlink startTaskLocal(
        TaskDefinition<?> definition,
        KafkaJobSettings kafka,
        TaskJobOptions options,
        Optional<Checkpoints.Retained> resume,
        Consumer<String> console) {
      MetricsEndpoint.requireFree(flinkMetricsPort, "--flink-metrics-port");
      return LocalFlink.start(
          definition.name(),
          parallelism,
          flinkMetricsPort,
          resume,
          console,
          conf -> {},
          env -> startTask(env, definition, kafka, options));
    }

    private static <E extends org.apache.avro.specific.SpecificRecord>
        org.apache.flink.core.execution.JobClient startTask(
            org.apache.flink.streaming.api.environment.StreamExecutionEnvironment env,
            TaskDefinition<E> definition,
            KafkaJobSettings kafka,
            TaskJobOptions options)
            throws Exception {
      return KafkaTaskJob.start(env, definition, kafka, options);
    }

    FraudPipelineSettings fraudSettings(
        String bootstrapServers, TopicRegistry topics, Path checkpointDir) {
      return fraudSettings(bootstrapServers, topics, checkpointDir, java.util.Map.of());
    }

    FraudPipelineSettings fraudSettings(
        String bootstrapServers,
        TopicRegistry topics,
        Path checkpointDir,
        java.util.Map<String, String> kafkaProperties) {
      return FraudPipelineSettings.builder(bootstrapServers)
          .kafkaProperties(kafkaProperties)
          .topics(topics)
          .parallelism(parallelism)
          .checkpointInterval(checkpointInterval)
          .transactionTimeout(transactionTimeout)
          .stateBackend(stateBackend)
          .checkpointDir(checkpointDir.toString())
          .restartAttempts(restartAttempts)
          .labelDelay(labelDelay)
          .labelIdleness(labelIdleness)
          .maxAheadOfStream(maxAheadOfStream)
          .terminalOrder(terminalOrder)
          .device(device.device)
          .scoring(
              ScoringSettings.defaults(Task.FRAUD)
                  .withBatchSize(batchSize)
                  .withMaxWait(batchMaxWait))
          .build();
    }
  }

  @Override
  public Integer call() throws InterruptedException {
    TaskCatalog.TaskSpec t = TaskCatalog.of(task);
    if (t.ownJob() && submit != null) {
      return submitted();
    }
    if (submit != null || jobJar != null || fromSavepoint != null || stopWithSavepoint != null) {
      throw new UserError(
          t.ownJob()
              ? "--job-jar, --from-savepoint and --stop-with-savepoint need --submit"
              : "--submit and savepoints run only a task with its own job ("
                  + String.join(
                      ", ",
                      TaskCatalog.all().stream()
                          .filter(TaskCatalog.TaskSpec::ownJob)
                          .map(TaskCatalog.TaskSpec::name)
                          .toList())
                  + ") for now; run "
                  + t.name()
                  + " on the local MiniCluster (without --submit)");
    }
    job.device.checked();
    PrintWriter out = spec.commandLine().getOut();
    Consumer<String> console =
        line -> {
          synchronized (out) {
            out.println(line);
            out.flush();
          }
        };
    Local local = t.ownJob() ? fraudLocal(console) : taskLocal(t, console);
    PublishRun.ensureTopics(
        cluster.bootstrapServers, cluster.kafkaProperties(), cluster.registry(), t.task());
    Optional<Checkpoints.Retained> resume = resumePoint(local.checkpointDir(), out);
    return runLocal(local, resume, out, console);
  }

  /**
   * What {@link #runLocal} runs: a task's job as a label ("Fraud job"), its checkpoint folder, the
   * lines that describe it, and how to start it from a retained checkpoint.
   */
  private record Local(
      String label,
      String checkpointDir,
      List<String> description,
      Function<Optional<Checkpoints.Retained>, LocalFlink> start) {}

  private Local fraudLocal(Consumer<String> console) {
    FraudPipelineSettings settings = settings();
    List<String> lines = new java.util.ArrayList<>();
    lines.add(
        String.format(
            "%s -> %s, %s, %s",
            settings.topics().fraudEvents().name(),
            settings.topics().scores(Task.FRAUD).name(),
            settings.topics().training(Task.FRAUD).name(),
            settings.topics().dlq(Task.FRAUD).name()));
    lines.add(
        String.format(
            "State: %s; checkpoints every %s to %s (retained when the job stops)",
            settings.stateBackend(),
            settings.checkpointInterval().toMillis() / 1000.0 + " s",
            settings.checkpointDir()));
    if (settings.modelVerifier() != null) {
      lines.add("Models: only those signed for " + modelPublicKey + " are applied");
    }
    return new Local(
        TaskCatalog.of(task).jobLabel(),
        settings.checkpointDir(),
        lines,
        resume -> job.startLocal(settings, resume, console));
  }

  /** A task without its own job: its definition on the shared task job ({@link KafkaTaskJob}). */
  private Local taskLocal(TaskCatalog.TaskSpec entry, Consumer<String> console) {
    Task t = entry.task();
    TopicRegistry topics = cluster.registry();
    TaskDefinition<?> definition = taskOptions.definition(t, topics);
    String name = definition.name();
    // The fraud job's Kafka, checkpoint and restart settings, under this task's group and ids.
    FraudPipelineSettings fraud = settings();
    String ns = cluster.namespace == null ? "" : cluster.namespace.trim();
    String prefix = ns.isEmpty() ? "" : ns + ".";
    KafkaJobSettings kafka = JobOptions.taskKafka(fraud, prefix, name);
    TaskJobOptions options =
        job.taskJobOptions(
            t,
            fraud,
            spec.commandLine().getParseResult().hasMatchedOption("--max-ahead-of-stream")
                ? job.maxAheadOfStream
                : taskOptions.maxAheadOfStream(t, job.maxAheadOfStream));
    List<String> lines = new java.util.ArrayList<>();
    lines.add(
        String.format(
            "%s -> %s, %s, %s",
            topics.events(t).name(),
            topics.scores(t).name(),
            topics.training(t).name(),
            topics.dlq(t).name()));
    lines.add(taskOptions.describe(t));
    lines.add(
        String.format(
            "State: %s; checkpoints every %s to %s (retained when the job stops)",
            kafka.stateBackend(),
            kafka.checkpointInterval().toMillis() / 1000.0 + " s",
            kafka.checkpointDir()));
    return new Local(
        entry.jobLabel(),
        kafka.checkpointDir(),
        lines,
        resume -> job.startTaskLocal(definition, kafka, options, resume, console));
  }

  /** Runs the job on a local MiniCluster until Ctrl-C, printing a status line now and then. */
  private int runLocal(
      Local local, Optional<Checkpoints.Retained> resume, PrintWriter out, Consumer<String> console)
      throws InterruptedException {
    CountDownLatch stop = new CountDownLatch(1);
    try (LocalFlink flink = local.start().apply(resume)) {
      Thread hook =
          new Thread(
              () -> {
                stop.countDown();
                flink.close();
                JobWatch.Health h = flink.health();
                console.accept(
                    local.label()
                        + " stopped"
                        + (h.checkpoint() == null
                            ? " before its first checkpoint"
                            : "; checkpoint "
                                + h.checkpoint().id()
                                + " or later is retained in "
                                + local.checkpointDir()
                                + " and the next start resumes from it"));
              },
              "millrace-pipeline-stop");
      Runtime.getRuntime().addShutdownHook(hook);
      out.printf(
          "%s %s running on a local MiniCluster: %s%n",
          local.label(), flink.job().getJobID(), local.description().get(0));
      for (String line : local.description().subList(1, local.description().size())) {
        out.println(line);
      }
      out.println("Press Ctrl-C to stop.");
      out.flush();
      long nextStatus = System.nanoTime() + statusEvery.toNanos();
      boolean olderRemoved = false;
      while (!stop.await(1, TimeUnit.SECONDS)) {
        JobStatus status = flink.status();
        if (status.isGloballyTerminalState()) {
          Runtime.getRuntime().removeShutdownHook(hook);
          JobWatch.Health h = flink.health();
          if (status == JobStatus.FAILED) {
            // JobWatch has printed the root cause; repeat it on stderr for scripts
            spec.commandLine()
                .getErr()
                .printf(
                    "millrace: the %s failed after %d restarts: %s%n",
                    local.label().toLowerCase(java.util.Locale.ROOT),
                    h.restarts(),
                    h.lastFailure());
            spec.commandLine().getErr().flush();
            return 1;
          }
          out.println(local.label() + " ended: " + status + " | " + h.summary());
          return status == JobStatus.FINISHED ? 0 : 1;
        }
        if (!olderRemoved && flink.health().completedCheckpoints() > 0) {
          olderRemoved = true;
          int removed =
              Checkpoints.removeOtherJobs(local.checkpointDir(), flink.job().getJobID().toString());
          if (removed > 0) {
            console.accept(
                "Removed the checkpoints of "
                    + removed
                    + " earlier run(s): this run's first checkpoint supersedes them");
          }
        }
        if (System.nanoTime() >= nextStatus) {
          nextStatus = System.nanoTime() + statusEvery.toNanos();
          console.accept(local.label() + " " + status + " | " + flink.health().summary());
        }
      }
    }
    return 0;
  }

  /** The job's settings, as the local MiniCluster runs it. */
  FraudPipelineSettings settings() {
    FraudPipelineSettings.Builder b =
        job
            .fraudSettings(
                cluster.bootstrapServers,
                cluster.registry(),
                jobCheckpointDir(),
                cluster.kafkaProperties())
            .toBuilder()
            .modelVerifier(modelVerifier());
    String ns = cluster.namespace == null ? "" : cluster.namespace.trim();
    if (!ns.isEmpty()) {
      // Pipelines of two namespaces on one Kafka cluster must not share a consumer group or
      // transactional ids: the second would fence the first's transactions.
      FraudPipelineSettings d = b.build();
      b.consumerGroupId(ns + "." + d.consumerGroupId())
          .transactionalIdPrefix(ns + "." + d.transactionalIdPrefix());
    }
    return b.build();
  }

  /** {@code --submit}: upload and run the job jar on a Flink cluster, or stop a job there. */
  private int submitted() {
    PrintWriter out = spec.commandLine().getOut();
    dev.millrace.ops.cluster.FlinkRest rest = new dev.millrace.ops.cluster.FlinkRest(submit);
    try {
      if (stopWithSavepoint != null) {
        out.printf("Stopping job %s with a savepoint ...%n", stopWithSavepoint);
        out.flush();
        String path =
            rest.stopWithSavepoint(stopWithSavepoint, savepointDir, Duration.ofMinutes(5));
        out.println("Savepoint: " + path);
        out.printf(
            "Resume with: millrace pipeline --task %s --submit %s --from-savepoint %s ...%n",
            task, rest.address(), path);
        out.flush();
        return 0;
      }
      Path jar =
          Optional.ofNullable(jobJar)
              .or(dev.millrace.ops.cluster.ClusterClasspath::findJobJar)
              .orElseThrow(
                  () ->
                      new UserError(
                          "no job jar found (feature-pipeline/target/"
                              + "millrace-feature-pipeline-*-job.jar): build it with ./millrace"
                              + " or pass --job-jar"));
      PublishRun.ensureTopics(
          cluster.bootstrapServers,
          cluster.kafkaProperties(),
          cluster.registry(),
          TaskCatalog.of(task).task());
      String jarId = rest.upload(jar);
      String jobId =
          rest.run(
              jarId,
              dev.millrace.pipeline.fraud.KafkaFraudJob.class.getName(),
              programArgs(),
              job.parallelism,
              fromSavepoint);
      out.printf(
          "Fraud job %s submitted to %s (parallelism %d%s)%n",
          jobId,
          rest.address(),
          job.parallelism,
          fromSavepoint == null ? "" : ", from savepoint " + fromSavepoint);
      out.printf("Web UI: %s/#/job/running/%s/overview%n", rest.address(), jobId);
      out.printf(
          "Stop it with a savepoint: millrace pipeline --task %s --submit %s"
              + " --stop-with-savepoint %s%n",
          task, rest.address(), jobId);
      out.flush();
      return 0;
    } catch (java.io.IOException e) {
      throw new UserError(e.getMessage());
    }
  }

  /** The job's arguments as {@code KafkaFraudJob.settings(String[])} reads them. */
  java.util.List<String> programArgs() {
    java.util.List<String> a = new java.util.ArrayList<>();
    a.addAll(java.util.List.of("--bootstrap-servers", cluster.bootstrapServers));
    if (cluster.kafkaConfig != null && !cluster.kafkaConfig.isBlank()) {
      // Read by the job's main on the JobManager: the file must be there at the same path.
      a.addAll(
          java.util.List.of(
              "--kafka-config",
              java.nio.file.Path.of(cluster.kafkaConfig.trim()).toAbsolutePath().toString()));
    }
    String ns = cluster.namespace == null ? "" : cluster.namespace.trim();
    if (!ns.isEmpty()) {
      FraudPipelineSettings s = settings();
      a.addAll(java.util.List.of("--topic-namespace", ns));
      a.addAll(java.util.List.of("--group-id", s.consumerGroupId()));
      a.addAll(java.util.List.of("--transactional-id-prefix", s.transactionalIdPrefix()));
    }
    a.addAll(java.util.List.of("--parallelism", String.valueOf(job.parallelism)));
    a.addAll(java.util.List.of("--checkpoint-interval", millis(job.checkpointInterval)));
    a.addAll(java.util.List.of("--transaction-timeout", millis(job.transactionTimeout)));
    a.addAll(java.util.List.of("--batch-size", String.valueOf(job.batchSize)));
    a.addAll(java.util.List.of("--batch-max-wait", millis(job.batchMaxWait)));
    a.addAll(java.util.List.of("--label-delay", millis(job.labelDelay)));
    a.addAll(java.util.List.of("--label-idleness", millis(job.labelIdleness)));
    a.addAll(java.util.List.of("--max-ahead-of-stream", millis(job.maxAheadOfStream)));
    a.addAll(java.util.List.of("--state-backend", job.stateBackend.flinkName()));
    a.addAll(java.util.List.of("--restart-attempts", String.valueOf(job.restartAttempts)));
    if (job.terminalOrder) {
      a.addAll(java.util.List.of("--terminal-order", "true"));
    }
    // The TaskManagers pick their own device: the one this machine has does not matter.
    a.addAll(
        java.util.List.of("--device", job.device.device.name().toLowerCase(java.util.Locale.ROOT)));
    // The key itself, not its path: the job's main() runs on the JobManager.
    ModelSigning.Verifier verifier = modelVerifier();
    if (verifier != null) {
      a.addAll(java.util.List.of("--model-public-key", verifier.base64()));
    }
    // Only when asked for: otherwise the cluster's execution.checkpointing.dir applies.
    if (spec.commandLine().getParseResult().hasMatchedOption("--checkpoint-dir")) {
      a.addAll(
          java.util.List.of(
              "--checkpoint-dir", jobCheckpointDir().toAbsolutePath().toUri().toString()));
    }
    return a;
  }

  private static String millis(Duration d) {
    return d.toMillis() + "ms";
  }

  /**
   * One folder per task and topic namespace under {@code --checkpoint-dir}, so that pipelines of
   * different namespaces never resume from each other's checkpoints (Kafka offsets included).
   */
  Path jobCheckpointDir() {
    String ns = cluster.namespace == null ? "" : cluster.namespace.trim();
    return checkpointDir.resolve(ns.isEmpty() ? task : ns + "." + task);
  }

  /** The retained checkpoint to resume from, unless {@code --fresh}; says which on {@code out}. */
  private Optional<Checkpoints.Retained> resumePoint(String storage, PrintWriter out) {
    Optional<Checkpoints.Retained> latest;
    try {
      latest = Checkpoints.latest(storage);
    } catch (java.io.UncheckedIOException e) {
      throw new UserError(
          "cannot read the checkpoint folder " + storage + ": " + e.getCause().getMessage());
    }
    if (fresh) {
      out.println(
          "Starting fresh (--fresh): empty state, reading from the committed Kafka offsets"
              + latest
                  .map(c -> "; ignoring checkpoint " + c.checkpointId() + " at " + c.path())
                  .orElse(""));
      return Optional.empty();
    }
    if (latest.isEmpty()) {
      out.println("No retained checkpoint in " + storage + ": starting with empty state");
      return latest;
    }
    Checkpoints.Retained c = latest.get();
    out.printf(
        "Resuming from checkpoint %d of job %s (%s, completed %s); --fresh starts over%n",
        c.checkpointId(), c.jobId(), c.path(), c.completedAt());
    return latest;
  }
}
