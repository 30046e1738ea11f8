package dev.millrace.ops;

import dev.millrace.ops.local.LocalFlink;
import dev.millrace.ops.metrics.MetricsEndpoint;
import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.scorer.flink.ScoringSettings;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
      description = "The task; today: fraud.")
  String task;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

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

    /** Starts the fraud job on a local MiniCluster, with its metrics endpoint when asked. */
    LocalFlink startLocal(FraudPipelineSettings settings) {
      MetricsEndpoint.requireFree(flinkMetricsPort, "--flink-metrics-port");
      return LocalFlink.startFraud(settings, flinkMetricsPort);
    }

    FraudPipelineSettings fraudSettings(String bootstrapServers, TopicRegistry topics) {
      return FraudPipelineSettings.builder(bootstrapServers)
          .topics(topics)
          .parallelism(parallelism)
          .checkpointInterval(checkpointInterval)
          .labelDelay(labelDelay)
          .labelIdleness(labelIdleness)
          .maxAheadOfStream(maxAheadOfStream)
          .scoring(
              ScoringSettings.defaults(Task.FRAUD)
                  .withBatchSize(batchSize)
                  .withMaxWait(batchMaxWait))
          .build();
    }
  }

  @Override
  public Integer call() throws InterruptedException {
    PublishRun.fraudOnly(task, "pipeline");
    FraudPipelineSettings settings =
        job.fraudSettings(cluster.bootstrapServers, cluster.registry());
    PrintWriter out = spec.commandLine().getOut();
    PublishRun.ensureTopics(cluster.bootstrapServers, cluster.registry());
    CountDownLatch stop = new CountDownLatch(1);
    try (LocalFlink flink = job.startLocal(settings)) {
      Thread hook =
          new Thread(
              () -> {
                stop.countDown();
                flink.close();
              },
              "millrace-pipeline-stop");
      Runtime.getRuntime().addShutdownHook(hook);
      out.printf(
          "Fraud job %s running on a local MiniCluster: %s -> %s, %s, %s%n",
          flink.job().getJobID(),
          settings.topics().fraudEvents().name(),
          settings.topics().scores(Task.FRAUD).name(),
          settings.topics().training(Task.FRAUD).name(),
          settings.topics().dlq(Task.FRAUD).name());
      out.println("Press Ctrl-C to stop.");
      out.flush();
      while (!stop.await(2, TimeUnit.SECONDS)) {
        JobStatus status = flink.status();
        if (status.isGloballyTerminalState()) {
          Runtime.getRuntime().removeShutdownHook(hook);
          out.println("Fraud job ended: " + status);
          return status == JobStatus.FINISHED ? 0 : 1;
        }
      }
    }
    return 0;
  }
}
