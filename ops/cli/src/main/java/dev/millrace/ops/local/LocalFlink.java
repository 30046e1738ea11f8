package dev.millrace.ops.local;

import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.pipeline.fraud.KafkaFraudJob;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.ConfigConstants;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** Runs a task's Flink job on a local MiniCluster inside this JVM. */
public final class LocalFlink implements AutoCloseable {

  private final JobClient job;

  private LocalFlink(JobClient job) {
    this.job = job;
  }

  /** Name of the Prometheus reporter in Flink's configuration ({@code metrics.reporter.prom.*}). */
  public static final String PROMETHEUS_REPORTER = "prom";

  /** Default port of the job's Prometheus endpoint. */
  public static final int DEFAULT_METRICS_PORT = 9249;

  /** Starts the fraud job on a local MiniCluster without a metrics endpoint. */
  public static LocalFlink startFraud(FraudPipelineSettings settings) {
    return startFraud(settings, 0);
  }

  /**
   * Starts the fraud job on a local MiniCluster; returns once it is submitted.
   *
   * @param metricsPort port of Flink's Prometheus reporter ({@code /metrics} of the job and its
   *     operators), 0 for none
   */
  public static LocalFlink startFraud(FraudPipelineSettings settings, int metricsPort) {
    Configuration conf = configuration(metricsPort);
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.createLocalEnvironment(settings.parallelism(), conf);
    try {
      return new LocalFlink(KafkaFraudJob.start(env, settings));
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the fraud job: " + e.getMessage(), e);
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

  /** The job's status, or FAILED when it cannot be asked. */
  public JobStatus status() {
    try {
      return job.getJobStatus().get();
    } catch (Exception e) {
      return JobStatus.FAILED;
    }
  }

  @Override
  public void close() {
    try {
      if (!status().isGloballyTerminalState()) {
        job.cancel().get();
      }
    } catch (Exception e) {
      // the MiniCluster is shutting down with the JVM
    }
  }
}
