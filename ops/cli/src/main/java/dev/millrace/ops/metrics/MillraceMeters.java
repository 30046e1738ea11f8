package dev.millrace.ops.metrics;

import dev.millrace.ingest.fraud.FraudPublisher;
import dev.millrace.ops.local.OutputWatcher;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Binds the status objects of the parts outside Flink to Micrometer meters. Meters read the
 * existing counts on each scrape (function counters, gauges); nothing in the library modules knows
 * about Micrometer. Prometheus names (task tag {@code task="fraud"} on all):
 *
 * <ul>
 *   <li>{@code millrace_publisher_events_total}, {@code millrace_publisher_labels_total}, {@code
 *       millrace_publisher_poison_total}: what the generator/replay sent
 *   <li>{@code millrace_output_scores_total}, {@code millrace_output_dead_letters_total{reason}}:
 *       committed scores and dead letters (read_committed)
 *   <li>{@code millrace_model_version_in_use}: numeric suffix of the version of the latest
 *       committed score
 *   <li>{@code millrace_output_score_visible_lag_seconds}: scoring time to a read_committed reader
 *       seeing the score
 * </ul>
 *
 * Trainer meters: {@link TrainerMeters}.
 */
public final class MillraceMeters {

  private static final Pattern TRAILING_DIGITS = Pattern.compile("(\\d+)$");

  private MillraceMeters() {}

  /** The publisher's counts as counters. */
  public static void bindPublisher(
      MetricsEndpoint endpoint, String task, Supplier<FraudPublisher.Counts> supplier) {
    MeterRegistry registry = endpoint.registry();
    Supplier<FraudPublisher.Counts> counts = endpoint.retain(supplier); // meters hold it weakly
    FunctionCounter.builder("millrace.publisher.events", counts, c -> c.get().events())
        .description("Valid events published to <task>.events")
        .tag("task", task)
        .register(registry);
    FunctionCounter.builder("millrace.publisher.labels", counts, c -> c.get().labels())
        .description("Labels published to <task>.labels")
        .tag("task", task)
        .register(registry);
    FunctionCounter.builder("millrace.publisher.poison", counts, c -> c.get().poison())
        .description("Poison records published on purpose (they must end in <task>.dlq)")
        .tag("task", task)
        .register(registry);
  }

  /**
   * The watcher's committed outputs as counters (one dead-letter counter per reason, registered
   * when the reason first shows up), the model version in use and the score visibility lag. Call
   * before {@link OutputWatcher#start()}.
   */
  public static void bindOutput(MetricsEndpoint endpoint, String task, OutputWatcher watcher) {
    MeterRegistry registry = endpoint.registry();
    FunctionCounter.builder("millrace.output.scores", watcher, w -> w.snapshot().scores())
        .description("Scores committed to <task>.scores")
        .tag("task", task)
        .register(registry);
    Gauge.builder(
            "millrace.model.version.in.use",
            watcher,
            w -> versionNumber(w.snapshot().latestVersion()))
        .description("Numeric suffix of the model version of the latest committed score")
        .tag("task", task)
        .register(registry);
    Timer lag =
        Timer.builder("millrace.output.score.visible.lag")
            .description("Scoring time to the score being visible to read_committed readers")
            .tag("task", task)
            .publishPercentiles(0.5, 0.95, 0.99)
            .distributionStatisticExpiry(Duration.ofMinutes(1))
            .register(registry);
    watcher.onVisibleLag(ms -> lag.record(Math.max(0, ms), TimeUnit.MILLISECONDS));
    Set<String> reasons = ConcurrentHashMap.newKeySet();
    Runnable newReasons =
        () -> {
          for (String reason : watcher.snapshot().deadLettersByReason().keySet()) {
            if (reasons.add(reason)) {
              FunctionCounter.builder(
                      "millrace.output.dead.letters",
                      watcher,
                      w -> w.snapshot().deadLettersByReason().getOrDefault(reason, 0L))
                  .description("Dead letters committed to <task>.dlq, by reason code")
                  .tag("task", task)
                  .tag("reason", reason)
                  .register(registry);
            }
          }
        };
    endpoint.beforeScrape(newReasons);
  }

  /**
   * The trailing number of a version name ({@code fraud-v12} → 12); NaN for null, -1 without
   * digits.
   */
  public static double versionNumber(String version) {
    if (version == null) {
      return Double.NaN;
    }
    Matcher m = TRAILING_DIGITS.matcher(version);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }
}
