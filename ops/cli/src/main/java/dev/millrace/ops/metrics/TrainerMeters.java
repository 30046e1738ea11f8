package dev.millrace.ops.metrics;

import dev.millrace.trainer.RunDecision;
import dev.millrace.trainer.TrainerService;
import dev.millrace.trainer.TrainerStatus;
import dev.millrace.trainer.TrainingRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The trainer's runs as Micrometer meters. Before each scrape it reads {@link
 * TrainerService#status()}; each run finished since the last look (from the status, or from the
 * training history when several finished in between) is recorded once. Prometheus names (tag {@code
 * task} on all):
 *
 * <ul>
 *   <li>{@code millrace_trainer_runs_total{decision,device}}: finished runs by decision ({@code
 *       promoted}, {@code rejected}, {@code skipped_no_positives}, ...)
 *   <li>{@code millrace_trainer_challenger_outcomes_total{decision,against}}: champion/challenger
 *       gate outcomes ({@code promoted}/{@code rejected} against {@code champion} or {@code
 *       baseline})
 *   <li>{@code millrace_trainer_run_duration_seconds{device}} (count/sum/max) and {@code
 *       millrace_trainer_run_rows} (training rows per run, count/sum/max)
 *   <li>{@code millrace_trainer_last_metric{role,metric}}: the last compared run's holdout metrics
 *       of the challenger and the champion
 *   <li>{@code millrace_trainer_champion_version}, {@code millrace_trainer_window_rows}, {@code
 *       millrace_trainer_training} (1 while a run is in progress), {@code
 *       millrace_trainer_examples_consumed_total}, {@code millrace_trainer_examples_rejected_total}
 * </ul>
 */
public final class TrainerMeters {

  private final Supplier<TrainerStatus> status;
  private final Supplier<List<TrainingRecord>> history;
  private final MeterRegistry registry;
  private final String task;
  private final Map<String, Double> lastMetrics = new ConcurrentHashMap<>();
  private long runsSeen;

  private TrainerMeters(
      MeterRegistry registry,
      String task,
      Supplier<TrainerStatus> status,
      Supplier<List<TrainingRecord>> history) {
    this.registry = registry;
    this.task = task;
    this.status = status;
    this.history = history;
  }

  /** Binds {@code trainer}'s meters to {@code endpoint}'s registry. */
  public static TrainerMeters bind(MetricsEndpoint endpoint, TrainerService trainer) {
    return bind(
        endpoint, trainer.settings().taskName(), trainer::status, () -> trainer.history().read());
  }

  /**
   * Binds the meters of a trainer known by its status and its history (all finished runs, oldest
   * first).
   */
  public static TrainerMeters bind(
      MetricsEndpoint endpoint,
      String task,
      Supplier<TrainerStatus> status,
      Supplier<List<TrainingRecord>> history) {
    TrainerMeters meters = new TrainerMeters(endpoint.registry(), task, status, history);
    meters.bindStatus();
    endpoint.beforeScrape(meters::sync);
    return meters;
  }

  private void bindStatus() {
    Gauge.builder(
            "millrace.trainer.champion.version",
            this,
            m -> MillraceMeters.versionNumber(m.status.get().championVersion()))
        .description("Numeric suffix of the champion's version")
        .tag("task", task)
        .register(registry);
    Gauge.builder("millrace.trainer.window.rows", this, m -> m.status.get().windowRows())
        .description("Rows in the training window")
        .tag("task", task)
        .register(registry);
    Gauge.builder("millrace.trainer.training", this, m -> m.status.get().training() ? 1 : 0)
        .description("1 while a training run is in progress")
        .tag("task", task)
        .register(registry);
    FunctionCounter.builder(
            "millrace.trainer.examples.consumed", this, m -> m.status.get().examplesConsumed())
        .description("Training examples read into the window")
        .tag("task", task)
        .register(registry);
    FunctionCounter.builder(
            "millrace.trainer.examples.rejected", this, m -> m.status.get().examplesRejected())
        .description("Training examples refused (schema, values)")
        .tag("task", task)
        .register(registry);
  }

  /** Records the runs finished since the last call. */
  public synchronized void sync() {
    TrainerStatus now = status.get();
    long done = now.runsCompleted();
    if (done <= runsSeen) {
      return;
    }
    List<TrainingRecord> runs;
    if (done - runsSeen == 1 && now.lastRun() != null) {
      runs = List.of(now.lastRun());
    } else {
      List<TrainingRecord> all = history.get();
      int n = (int) Math.min(all.size(), done - runsSeen);
      runs = all.subList(all.size() - n, all.size());
    }
    runsSeen = done;
    runs.forEach(this::record);
  }

  private void record(TrainingRecord run) {
    String decision = run.decision() == null ? "unknown" : lower(run.decision().name());
    String device = run.device() == null ? "none" : run.device();
    Counter.builder("millrace.trainer.runs")
        .description("Finished training runs by decision")
        .tags("task", task, "decision", decision, "device", device)
        .register(registry)
        .increment();
    Timer.builder("millrace.trainer.run.duration")
        .description("Wall-clock duration of a training run")
        .tags("task", task, "device", device)
        .register(registry)
        .record(run.durationMillis(), TimeUnit.MILLISECONDS);
    DistributionSummary.builder("millrace.trainer.run.rows")
        .description("Training rows of a run")
        .baseUnit("rows")
        .tag("task", task)
        .register(registry)
        .record(run.trainRows());
    if (run.decision() == RunDecision.PROMOTED || run.decision() == RunDecision.REJECTED) {
      Counter.builder("millrace.trainer.challenger.outcomes")
          .description("Champion/challenger gate outcomes")
          .tags(
              "task",
              task,
              "decision",
              decision,
              "against",
              run.championVersion() == null ? "baseline" : "champion")
          .register(registry)
          .increment();
      lastMetric("challenger", run.challengerMetrics());
      lastMetric("champion", run.championMetrics());
    }
  }

  private void lastMetric(String role, Map<String, Double> metrics) {
    if (metrics == null) {
      return;
    }
    metrics.forEach(
        (name, value) -> {
          String key = role + "/" + name;
          if (lastMetrics.put(key, value) == null) {
            Gauge.builder(
                    "millrace.trainer.last.metric",
                    lastMetrics,
                    m -> m.getOrDefault(key, Double.NaN))
                .description("Holdout metrics of the last compared run")
                .tags("task", task, "role", role, "metric", name)
                .register(registry);
          }
        });
  }

  private static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}
