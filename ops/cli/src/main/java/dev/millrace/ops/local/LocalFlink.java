package dev.millrace.ops.local;

import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.pipeline.fraud.KafkaFraudJob;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** Runs a task's Flink job on a local MiniCluster inside this JVM. */
public final class LocalFlink implements AutoCloseable {

  private final JobClient job;

  private LocalFlink(JobClient job) {
    this.job = job;
  }

  /** Starts the fraud job on a local MiniCluster; returns once it is submitted. */
  public static LocalFlink startFraud(FraudPipelineSettings settings) {
    Configuration conf = new Configuration();
    conf.set(PipelineOptions.GENERIC_TYPES, false); // Avro/POJO types only, never Kryo
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.createLocalEnvironment(settings.parallelism(), conf);
    try {
      return new LocalFlink(KafkaFraudJob.start(env, settings));
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the fraud job: " + e.getMessage(), e);
    }
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
