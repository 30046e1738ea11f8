package dev.millrace.ops.local;

import dev.millrace.pipeline.Checkpoints;
import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.pipeline.fraud.KafkaFraudJob;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.client.deployment.executors.LocalExecutor;
import org.apache.flink.configuration.ConfigConstants;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.PipelineExecutorFactory;
import org.apache.flink.core.execution.PipelineExecutorServiceLoader;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Runs a task's Flink job on a local MiniCluster inside this JVM, optionally resuming from a
 * retained checkpoint, and watches it ({@link JobWatch}): one console line per failover with its
 * root cause, restarts and the last checkpoint's size and duration.
 */
public final class LocalFlink implements AutoCloseable {

  private final JobClient job;
  private final JobWatch watch;

  private LocalFlink(JobClient job, JobWatch watch) {
    this.job = job;
    this.watch = watch;
  }

  /** Name of the Prometheus reporter in Flink's configuration ({@code metrics.reporter.prom.*}). */
  public static final String PROMETHEUS_REPORTER = "prom";

  /** Default port of the job's Prometheus endpoint. */
  public static final int DEFAULT_METRICS_PORT = 9249;

  /** Starts the fraud job on a local MiniCluster without a metrics endpoint. */
  public static LocalFlink startFraud(FraudPipelineSettings settings) {
    return startFraud(settings, 0, Optional.empty(), line -> {});
  }

  /** Starts the fraud job afresh; failover lines are dropped. */
  public static LocalFlink startFraud(FraudPipelineSettings settings, int metricsPort) {
    return startFraud(settings, metricsPort, Optional.empty(), line -> {});
  }

  /**
   * Starts the fraud job on a local MiniCluster; returns once it is submitted.
   *
   * @param metricsPort port of Flink's Prometheus reporter ({@code /metrics} of the job and its
   *     operators), 0 for none
   * @param resumeFrom a retained checkpoint to restore state and Kafka offsets from; empty starts
   *     with empty state from the consumer groups' committed offsets
   * @param console receives one line per failover (and the final failure) with its root cause
   */
  public static LocalFlink startFraud(
      FraudPipelineSettings settings,
      int metricsPort,
      Optional<Checkpoints.Retained> resumeFrom,
      Consumer<String> console) {
    return startFraud(settings, metricsPort, resumeFrom, console, conf -> {});
  }

  /**
   * As {@link #startFraud(FraudPipelineSettings, int, Optional, Consumer)}, with {@code customize}
   * adding to the MiniCluster's configuration (e.g. a metric reporter) before the job starts.
   */
  public static LocalFlink startFraud(
      FraudPipelineSettings settings,
      int metricsPort,
      Optional<Checkpoints.Retained> resumeFrom,
      Consumer<String> console,
      Consumer<Configuration> customize) {
    return start(
        "fraud",
        settings.parallelism(),
        metricsPort,
        resumeFrom,
        console,
        customize,
        env -> KafkaFraudJob.start(env, settings));
  }

  /** Starts a job on a local MiniCluster; what it runs is up to {@code job}. */
  public interface JobStarter {
    JobClient start(StreamExecutionEnvironment env) throws Exception;
  }

  /**
   * Starts {@code job} (e.g. a task's {@code KafkaTaskJob}) on a local MiniCluster, as {@link
   * #startFraud(FraudPipelineSettings, int, Optional, Consumer)} does the fraud job.
   *
   * @param name the task's name, for error messages
   */
  public static LocalFlink start(
      String name,
      int parallelism,
      int metricsPort,
      Optional<Checkpoints.Retained> resumeFrom,
      Consumer<String> console,
      Consumer<Configuration> customize,
      JobStarter job) {
    Configuration conf = configuration(metricsPort);
    customize.accept(conf);
    conf.set(DeploymentOptions.TARGET, LocalExecutor.NAME);
    conf.set(DeploymentOptions.ATTACHED, true);
    resumeFrom.ifPresent(c -> conf.set(StateRecoveryOptions.SAVEPOINT_PATH, c.path()));
    CompletableFuture<MiniCluster> cluster = new CompletableFuture<>();
    StreamExecutionEnvironment env =
        new StreamExecutionEnvironment(
            new CapturingLocalExecutor(cluster), conf, LocalFlink.class.getClassLoader());
    env.setParallelism(parallelism);
    try {
      JobClient client = job.start(env);
      JobWatch watch =
          JobWatch.start(
              cluster.get(30, TimeUnit.SECONDS),
              client,
              console,
              Character.toUpperCase(name.charAt(0)) + name.substring(1) + " job");
      return new LocalFlink(client, watch);
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the " + name + " job: " + e.getMessage(), e);
    }
  }

  /**
   * The MiniCluster's configuration: no Kryo, and with {@code metricsPort > 0} Flink's Prometheus
   * reporter serving every job, task and operator metric on that port.
   */
  public static Configuration configuration(int metricsPort) {
    Configuration conf = new Configuration();
    conf.set(PipelineOptions.GENERIC_TYPES, false); // Avro/POJO types only, never Kryo
    if (metricsPort > 0) {
      String prefix = ConfigConstants.METRICS_REPORTER_PREFIX + PROMETHEUS_REPORTER + ".";
      conf.setString(
          prefix + MetricOptions.REPORTER_FACTORY_CLASS.key(),
          "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
      conf.setString(prefix + "port", Integer.toString(metricsPort));
    }
    return conf;
  }

  public JobClient job() {
    return job;
  }

  /** Restarts, checkpoints and failures seen so far. */
  public JobWatch.Health health() {
    return watch.health();
  }

  /** The job's status; once it has ended, how it ended; FAILED when it cannot be asked. */
  public JobStatus status() {
    Optional<JobStatus> ended = watch.terminalStatus();
    if (ended.isPresent()) {
      return ended.get();
    }
    try {
      return job.getJobStatus().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      return watch.terminalStatus().orElse(JobStatus.FAILED);
    }
  }

  /**
   * Cancels the job and waits until it has ended (its latest completed checkpoint is retained, its
   * open transactions aborted), then stops watching.
   */
  @Override
  public void close() {
    try {
      if (!status().isGloballyTerminalState()) {
        job.cancel().get(30, TimeUnit.SECONDS);
      }
      job.getJobExecutionResult().handle((r, e) -> null).get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      // the MiniCluster is shutting down with the JVM
    } finally {
      watch.close();
    }
  }

  /** Flink's own local executor, with a hand on the MiniCluster it creates for the job. */
  private static final class CapturingLocalExecutor implements PipelineExecutorServiceLoader {
    private final CompletableFuture<MiniCluster> cluster;

    CapturingLocalExecutor(CompletableFuture<MiniCluster> cluster) {
      this.cluster = cluster;
    }

    @Override
    public PipelineExecutorFactory getExecutorFactory(Configuration configuration) {
      return new PipelineExecutorFactory() {
        @Override
        public String getName() {
          return LocalExecutor.NAME;
        }

        @Override
        public boolean isCompatibleWith(Configuration c) {
          return true;
        }

        @Override
        public LocalExecutor getExecutor(Configuration c) {
          return LocalExecutor.createWithFactory(
              c,
              miniClusterConfiguration -> {
                MiniCluster created = new MiniCluster(miniClusterConfiguration);
                cluster.complete(created);
                return created;
              });
        }
      };
    }

    @Override
    public Stream<String> getExecutorNames() {
      return Stream.of(LocalExecutor.NAME);
    }
  }
}
