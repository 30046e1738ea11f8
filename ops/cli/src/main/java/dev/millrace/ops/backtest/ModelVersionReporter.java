package dev.millrace.ops.backtest;

import dev.millrace.pipeline.fraud.LabelJoin;
import dev.millrace.pipeline.fraud.TerminalFeatures;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.configuration.ConfigConstants;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * A Flink metric reporter that keeps, in this JVM, the scoring operator's {@code modelVersion}
 * gauge of every running subtask of a job on a local MiniCluster. The backtest asks it which model
 * each scoring subtask is applying: the gauge reads the operator's model in use at that moment, so
 * once every subtask names the promoted version, the swap is applied and every later event is
 * scored by it. Registered with {@link #configure}; Flink finds the factory through {@code
 * META-INF/services}.
 */
public final class ModelVersionReporter implements MetricReporter {

  /** The scoring operator's string gauge (ScoringOperator#registerMetrics). */
  public static final String GAUGE = "modelVersion";

  private static final String NAME = "millrace-backtest";

  /** Gauges by job id, then by the metric's full scope (one per scoring subtask). */
  private static final Map<String, Map<String, Gauge<?>>> GAUGES = new ConcurrentHashMap<>();

  /** Label counters kept: the terminal features' and the label join's. */
  public static final java.util.Set<String> LABEL_COUNTERS =
      java.util.Set.of(
          TerminalFeatures.LABELS_AFTER_THEIR_TIME,
          LabelJoin.LATE_LABELS_COUNTER,
          LabelJoin.ORPHAN_LABELS_COUNTER);

  /** Label counters by job id, then by the metric's full scope (one per subtask and name). */
  private static final Map<String, Map<String, Counter>> LABELS = new ConcurrentHashMap<>();

  /** Adds this reporter to a MiniCluster configuration. */
  public static void configure(Configuration conf) {
    String prefix = ConfigConstants.METRICS_REPORTER_PREFIX + NAME + ".";
    conf.setString(prefix + MetricOptions.REPORTER_FACTORY_CLASS.key(), Factory.class.getName());
  }

  /**
   * The model version each scoring subtask of the job applies now; empty before the operators have
   * opened.
   */
  public static List<String> versions(String jobId) {
    Map<String, Gauge<?>> gauges = GAUGES.getOrDefault(jobId, Map.of());
    return gauges.values().stream().map(g -> String.valueOf(g.getValue())).sorted().toList();
  }

  /**
   * Labels that reached the terminal features after a transaction at or past their label time,
   * summed over the job's subtasks (those running now).
   */
  public static long labelsAfterTheirTime(String jobId) {
    return labelCount(jobId, TerminalFeatures.LABELS_AFTER_THEIR_TIME);
  }

  /**
   * One of {@link #LABEL_COUNTERS} summed over the job's subtasks: {@code lateLabels} and {@code
   * orphanLabels} are the label join's labels that reached no example (dead-lettered).
   */
  public static long labelCount(String jobId, String counter) {
    return LABELS.getOrDefault(jobId, Map.of()).entrySet().stream()
        .filter(e -> e.getKey().endsWith("." + counter))
        .mapToLong(e -> e.getValue().getCount())
        .sum();
  }

  @Override
  public void open(MetricConfig config) {}

  @Override
  public void close() {}

  @Override
  public void notifyOfAddedMetric(Metric metric, String metricName, MetricGroup group) {
    if (LABEL_COUNTERS.contains(metricName) && metric instanceof Counter counter) {
      String job = group.getAllVariables().get("<job_id>");
      if (job != null) {
        LABELS
            .computeIfAbsent(job, j -> new ConcurrentHashMap<>())
            .put(group.getMetricIdentifier(metricName), counter);
      }
    }
    if (GAUGE.equals(metricName) && metric instanceof Gauge<?> gauge) {
      String job = group.getAllVariables().get("<job_id>");
      if (job != null) {
        GAUGES
            .computeIfAbsent(job, j -> new ConcurrentHashMap<>())
            .put(group.getMetricIdentifier(metricName), gauge);
      }
    }
  }

  @Override
  public void notifyOfRemovedMetric(Metric metric, String metricName, MetricGroup group) {
    if (GAUGE.equals(metricName)) {
      String job = group.getAllVariables().get("<job_id>");
      Map<String, Gauge<?>> gauges = job == null ? null : GAUGES.get(job);
      if (gauges != null) {
        gauges.remove(group.getMetricIdentifier(metricName), metric);
      }
    }
  }

  /** Flink's factory for {@link ModelVersionReporter}. */
  public static final class Factory implements MetricReporterFactory {
    @Override
    public MetricReporter createMetricReporter(Properties properties) {
      return new ModelVersionReporter();
    }
  }
}
