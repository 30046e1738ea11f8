package dev.millrace.ops;

import dev.millrace.ops.local.LocalFlink;
import dev.millrace.ops.local.OutputWatcher;
import dev.millrace.trainer.TrainerService;
import dev.millrace.trainer.TrainerStatus;
import dev.millrace.trainer.TrainingRecord;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobStatus;

/**
 * The status of a running demo, whatever its task: a line every few seconds (events fed, committed
 * scores and dead letters, the model scoring, the trainer, the job's health) and one line per
 * finished training run, until Ctrl-C, the demo's duration or the job's end.
 */
final class DemoStatus {

  private final PrintWriter out;
  private final String jobLabel;
  private final LongSupplier events;
  private final Supplier<String> afterEvents;
  private final Supplier<String> atEnd;
  private final OutputWatcher watcher;
  private final TrainerService trainer;
  private final LocalFlink flink;
  private final long started = System.nanoTime();
  private long runsReported;
  private long lastEvents;
  private long lastTick = System.nanoTime();

  /**
   * @param events events fed so far
   * @param afterEvents what follows the event count (e.g. {@code ", labels 12"}), or ""
   * @param atEnd what ends the line after the job's health (e.g. a drift note), or ""
   */
  DemoStatus(
      PrintWriter out,
      String jobLabel,
      LongSupplier events,
      Supplier<String> afterEvents,
      Supplier<String> atEnd,
      OutputWatcher watcher,
      TrainerService trainer,
      LocalFlink flink) {
    this.out = out;
    this.jobLabel = jobLabel;
    this.events = events;
    this.afterEvents = afterEvents;
    this.atEnd = atEnd;
    this.watcher = watcher;
    this.trainer = trainer;
    this.flink = flink;
  }

  /**
   * Runs until Ctrl-C, {@code duration} (null: none) or the job's end; true when the job failed.
   */
  boolean run(CountDownLatch stop, Duration every, Duration duration) throws InterruptedException {
    long deadline = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
    while (!stop.await(every.toMillis(), TimeUnit.MILLISECONDS)) {
      synchronized (out) {
        printRuns();
        out.println(line());
        out.flush();
      }
      if (flink.status().isGloballyTerminalState()) {
        out.println(jobLabel + " ended: " + flink.status() + " | " + flink.health().summary());
        return flink.status() == JobStatus.FAILED;
      }
      if (System.nanoTime() >= deadline) {
        return false;
      }
    }
    return false;
  }

  private String line() {
    long now = System.nanoTime();
    long n = events.getAsLong();
    double rate = (n - lastEvents) / ((now - lastTick) / 1e9);
    lastEvents = n;
    lastTick = now;
    OutputWatcher.Snapshot s = watcher.snapshot();
    TrainerStatus t = trainer.status();
    long secs = (now - started) / 1_000_000_000L;
    return String.format(
        "%02d:%02d  events %,d (%,.0f/s)%s | scores %,d | DLQ %,d | model %s (versions scored:"
            + " %d) | champion %s, %d runs, %,d training examples | %s%s",
        secs / 60,
        secs % 60,
        n,
        rate,
        afterEvents.get(),
        s.scores(),
        s.deadLetters(),
        s.latestVersion() == null ? "-" : s.latestVersion(),
        s.scoresByVersion().size(),
        t.championVersion() == null ? "none" : t.championVersion(),
        t.runsCompleted(),
        t.examplesConsumed(),
        flink.health().summary(),
        atEnd.get());
  }

  private void printRuns() {
    TrainerStatus t = trainer.status();
    if (t.runsCompleted() <= runsReported || t.lastRun() == null) {
      return;
    }
    runsReported = t.runsCompleted();
    TrainingRecord run = t.lastRun();
    boolean regression = trainer.settings().model().isRegression();
    out.println(
        String.format(
            "  trainer run %d: %s %s - %s [challenger %s; champion %s %s] %d rows%s, evaluated"
                + " on %d later rows%s, %.1f s on %s",
            t.runsCompleted(),
            run.decision(),
            run.version(),
            run.reason(),
            metrics(run.challengerMetrics()),
            run.championVersion() == null ? "none" : run.championVersion(),
            metrics(run.championMetrics()),
            run.trainRows(),
            regression ? "" : " (" + run.trainPositives() + " positives)",
            run.evalRows(),
            run.evalGapMillis() == null
                ? ""
                : String.format(
                    " after a %.1f h gap%s",
                    run.evalGapMillis() / 3_600_000.0,
                    run.knownPositiveRowsRemoved() == null || regression
                        ? ""
                        : " ("
                            + run.knownPositiveRowsRemoved()
                            + " rows of known-positive"
                            + " entities left out)"),
            run.durationMillis() / 1000.0,
            run.device()));
  }

  /**
   * Stops a demo's parts in order: the feed (nothing new comes in), the job (its open transactions
   * aborted, its checkpoint retained), the trainer (an unfinished run is abandoned; nothing is
   * lost).
   */
  static void stopAll(PrintWriter out, Runnable feed, LocalFlink flink, TrainerService trainer) {
    out.println("Stopping ...");
    out.flush();
    feed.run();
    flink.close();
    trainer.close(Duration.ofSeconds(3));
  }

  /** Removes the demo's Ctrl-C hook, unless the JVM is already running it. */
  static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // Ctrl-C: the hook has run
    }
  }

  private static String metrics(Map<String, Double> m) {
    if (m == null || m.isEmpty()) {
      return "-";
    }
    return m.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .map(e -> String.format("%s=%.3f", e.getKey(), e.getValue()))
        .collect(Collectors.joining(" "));
  }
}
