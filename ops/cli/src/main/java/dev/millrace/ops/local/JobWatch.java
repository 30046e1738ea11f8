package dev.millrace.ops.local;

import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.checkpoint.CheckpointStatsSnapshot;
import org.apache.flink.runtime.checkpoint.CompletedCheckpointStats;
import org.apache.flink.runtime.checkpoint.FailedCheckpointStats;
import org.apache.flink.runtime.checkpoint.RestoredCheckpointStats;
import org.apache.flink.runtime.client.JobCancellationException;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.executiongraph.AccessExecutionVertex;
import org.apache.flink.runtime.executiongraph.ErrorInfo;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.util.ExceptionUtils;
import org.apache.flink.util.SerializedThrowable;

/**
 * Watches a job on a local MiniCluster once a second: prints one line per failover with its root
 * cause, and keeps the number of restarts and the last completed checkpoint for status lines.
 */
public final class JobWatch implements AutoCloseable {

  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

  /**
   * What the watch has seen.
   *
   * @param status the job's last known status
   * @param restarts failovers so far (each one restarted the job from its last checkpoint)
   * @param checkpoint the latest completed checkpoint, null before the first
   * @param completedCheckpoints checkpoints completed by this job
   * @param failedCheckpoints checkpoints that failed or were declined
   * @param restoredFrom the checkpoint the job started from (a resume, or its last failover)
   * @param lastFailure root cause of the latest failure, null when none
   * @param stateBackend the state backend the job runs with
   * @param checkpointStorage where its checkpoints go
   */
  public record Health(
      JobStatus status,
      int restarts,
      Checkpoint checkpoint,
      long completedCheckpoints,
      long failedCheckpoints,
      String restoredFrom,
      String lastFailure,
      String stateBackend,
      String checkpointStorage) {

    /** {@code restarts 0 | checkpoint 12: 13.0 MB (+1.2 MB) in 420 ms}. */
    public String summary() {
      return "restarts "
          + restarts
          + " | "
          + (checkpoint == null ? "no checkpoint yet" : checkpoint.summary())
          + (failedCheckpoints > 0 ? " (" + failedCheckpoints + " failed)" : "");
    }
  }

  /**
   * A completed checkpoint.
   *
   * @param id checkpoint id
   * @param stateSize the full state it stands for
   * @param checkpointedSize what this checkpoint wrote (less than the state when incremental)
   * @param durationMillis trigger to last acknowledgement
   * @param completedAt when the last subtask acknowledged it
   */
  public record Checkpoint(
      long id, long stateSize, long checkpointedSize, long durationMillis, Instant completedAt) {

    public String summary() {
      return String.format(
          "checkpoint %d: %s (+%s) in %,d ms",
          id, bytes(stateSize), bytes(checkpointedSize), durationMillis);
    }
  }

  private final MiniCluster cluster;
  private final JobClient job;
  private final Consumer<String> console;
  private final String label;
  private final ScheduledExecutorService timer;
  private volatile Health health;
  private volatile JobStatus terminal;
  private long lastFailureTimestamp;
  private int failuresSeen;
  private long failedCheckpointsSeen;
  private long lastFailedCheckpointReported = -1;

  private JobWatch(MiniCluster cluster, JobClient job, Consumer<String> console, String label) {
    this.label = label;
    this.cluster = cluster;
    this.job = job;
    this.console = console;
    this.health = new Health(JobStatus.INITIALIZING, 0, null, 0, 0, null, null, "-", "-");
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "millrace-job-watch");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Starts polling {@code cluster} about {@code job} every second; {@code label} (e.g. "Fraud job")
   * begins its console lines.
   */
  static JobWatch start(
      MiniCluster cluster, JobClient job, Consumer<String> console, String label) {
    JobWatch w = new JobWatch(cluster, job, console, label);
    w.timer.scheduleWithFixedDelay(w::poll, 0, 1, TimeUnit.SECONDS);
    job.getJobExecutionResult().whenComplete((result, failure) -> w.finished(failure));
    return w;
  }

  /** FINISHED, CANCELED or FAILED once the job has ended (its MiniCluster is gone then). */
  public Optional<JobStatus> terminalStatus() {
    return Optional.ofNullable(terminal);
  }

  public Health health() {
    poll();
    return health;
  }

  private synchronized void poll() {
    AccessExecutionGraph g;
    try {
      g = cluster.getExecutionGraph(job.getJobID()).get(5, TimeUnit.SECONDS);
    } catch (Exception gone) {
      return; // the MiniCluster has shut down with the job; keep the last health
    }
    ErrorInfo failure = g.getFailureInfo();
    String cause = health.lastFailure();
    if (failure != null && failure.getTimestamp() != lastFailureTimestamp) {
      lastFailureTimestamp = failure.getTimestamp();
      failuresSeen++;
      cause = rootCause(failure.getException()) + checkpointFailure(g, failure.getException());
      if (!ending(g.getState())) {
        console.accept(
            String.format(
                "%s failover %d at %s (restarting from its last checkpoint): %s",
                label, failuresSeen, clock(failure.getTimestamp()), cause));
      }
    }
    int restarts = Math.max(maxAttemptNumber(g), failuresSeen - (ending(g.getState()) ? 1 : 0));
    Checkpoint checkpoint = health.checkpoint();
    long completed = health.completedCheckpoints();
    long failed = health.failedCheckpoints();
    String restored = health.restoredFrom();
    CheckpointStatsSnapshot stats = g.getCheckpointStatsSnapshot();
    if (stats != null) {
      CompletedCheckpointStats c = stats.getHistory().getLatestCompletedCheckpoint();
      if (c != null) {
        checkpoint =
            new Checkpoint(
                c.getCheckpointId(),
                c.getStateSize(),
                c.getCheckpointedSize(),
                c.getEndToEndDuration(),
                Instant.ofEpochMilli(c.getLatestAckTimestamp()));
      }
      completed = stats.getCounts().getNumberOfCompletedCheckpoints();
      failed = stats.getCounts().getNumberOfFailedCheckpoints();
      if (failed > failedCheckpointsSeen) {
        if (g.getState() == JobStatus.RUNNING) {
          reportFailedCheckpoint(stats);
        }
        failedCheckpointsSeen = failed;
      }
      RestoredCheckpointStats r = stats.getLatestRestoredCheckpoint();
      if (r != null) {
        restored =
            r.getExternalPath() != null ? r.getExternalPath() : "checkpoint " + r.getCheckpointId();
      }
    }
    health =
        new Health(
            g.getState(),
            restarts,
            checkpoint,
            completed,
            failed,
            restored,
            cause,
            g.getStateBackendName().orElse("-"),
            g.getCheckpointStorageName().orElse("-"));
  }

  private synchronized void finished(Throwable failure) {
    if (failure == null) {
      terminal = JobStatus.FINISHED;
      return;
    }
    if (ExceptionUtils.findThrowable(failure, JobCancellationException.class).isPresent()) {
      terminal = JobStatus.CANCELED;
      return;
    }
    terminal = JobStatus.FAILED;
    String cause = rootCause(failure);
    Health h = health;
    health =
        new Health(
            JobStatus.FAILED,
            h.restarts(),
            h.checkpoint(),
            h.completedCheckpoints(),
            h.failedCheckpoints(),
            h.restoredFrom(),
            cause,
            h.stateBackend(),
            h.checkpointStorage());
    console.accept(
        String.format("%s FAILED after %d restarts, giving up: %s", label, h.restarts(), cause));
  }

  /**
   * One console line per newly failed checkpoint of a running job, with Flink's reason, so that a
   * failure in the status line can be traced. Not for a job that is stopping (its last checkpoint
   * fails because the coordinator suspends) nor for a checkpoint that failed before it reached the
   * tasks (at start-up, while they are being deployed): Flink keeps no entry for those, only the
   * count.
   */
  private void reportFailedCheckpoint(CheckpointStatsSnapshot stats) {
    FailedCheckpointStats f = stats.getHistory().getLatestFailedCheckpoint();
    if (f != null && f.getCheckpointId() != lastFailedCheckpointReported) {
      lastFailedCheckpointReported = f.getCheckpointId();
      String why = f.getFailureMessage() == null ? "no reason given" : f.getFailureMessage();
      console.accept(
          (String.format(
                  "%s checkpoint %d failed at %s: %s",
                  label, f.getCheckpointId(), clock(f.getFailureTimestamp()), why))
              .replaceAll("\\s+", " "));
    }
  }

  private static boolean ending(JobStatus s) {
    return s == JobStatus.FAILING || s == JobStatus.FAILED;
  }

  /**
   * A failover for too many failed checkpoints names no cause of its own; the latest failed
   * checkpoint's message says why.
   */
  private static String checkpointFailure(AccessExecutionGraph g, Throwable failure) {
    String text = failure == null ? "" : String.valueOf(failure.getMessage());
    CheckpointStatsSnapshot stats = g.getCheckpointStatsSnapshot();
    if (!text.contains("checkpoint tolerable failure")
        || stats == null
        || stats.getHistory().getLatestFailedCheckpoint() == null) {
      return "";
    }
    FailedCheckpointStats f = stats.getHistory().getLatestFailedCheckpoint();
    String why = f.getFailureMessage() == null ? "?" : f.getFailureMessage();
    return (" [checkpoint " + f.getCheckpointId() + ": " + why + "]").replaceAll("\\s+", " ");
  }

  /** The innermost cause, as {@code Class: message} on one line. */
  static String rootCause(Throwable t) {
    if (t == null) {
      return "(unknown)";
    }
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String name =
        root instanceof SerializedThrowable s
            ? s.getOriginalErrorClassName()
            : root.getClass().getName();
    String simple = name.substring(name.lastIndexOf('.') + 1);
    String message = root.getMessage() == null ? "" : root.getMessage();
    if (root instanceof SerializedThrowable && message.startsWith(name)) {
      message = message.substring(name.length()).replaceFirst("^:\\s*", "");
    }
    String line = (simple + ": " + message).replaceAll("\\s+", " ").trim();
    return line.length() > 400 ? line.substring(0, 400) + " ..." : line;
  }

  private static int maxAttemptNumber(AccessExecutionGraph g) {
    int max = 0;
    for (AccessExecutionVertex v : g.getAllExecutionVertices()) {
      max = Math.max(max, v.getCurrentExecutionAttempt().getAttemptNumber());
    }
    return max;
  }

  private static String clock(long epochMillis) {
    return LocalTime.ofInstant(Instant.ofEpochMilli(epochMillis), ZoneId.systemDefault())
        .format(CLOCK);
  }

  /** {@code 13.0 MB}, {@code 512 B}. */
  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    if (n < 1024 * 1024) {
      return String.format("%.1f KB", n / 1024.0);
    }
    if (n < 1024L * 1024 * 1024) {
      return String.format("%.1f MB", n / (1024.0 * 1024));
    }
    return String.format("%.2f GB", n / (1024.0 * 1024 * 1024));
  }

  JobID jobId() {
    return job.getJobID();
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
