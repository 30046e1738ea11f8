package dev.millrace.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;

/**
 * Retained checkpoints in a checkpoint storage folder. Flink writes {@code <dir>/<job
 * id>/chk-<n>/_metadata} when checkpoint {@code n} completes; a {@code chk-<n>} folder without
 * {@code _metadata} is one that never completed. Works on any file system Flink knows ({@code
 * file://}, {@code s3://} with its plugin, ...).
 */
public final class Checkpoints {

  private static final Pattern CHECKPOINT = Pattern.compile("chk-(\\d+)");
  private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:/.*");

  /** The file holding a completed checkpoint's metadata. */
  public static final String METADATA = "_metadata";

  private Checkpoints() {}

  /**
   * A completed checkpoint.
   *
   * @param path the {@code chk-<n>} folder (what {@code execution.state-recovery.path} takes)
   * @param jobId the folder of the job that wrote it
   * @param checkpointId {@code n}
   * @param completedAt when its {@code _metadata} was written
   */
  public record Retained(String path, String jobId, long checkpointId, Instant completedAt) {}

  /**
   * A URI for a checkpoint folder: a URI stays as it is, a local path becomes {@code file:/...}.
   */
  public static String storageUri(String dirOrUri) {
    if (dirOrUri == null || dirOrUri.isBlank()) {
      throw new IllegalArgumentException("a checkpoint folder must not be blank");
    }
    String v = dirOrUri.trim();
    if (SCHEME.matcher(v).matches()) {
      return v;
    }
    return Path.of(v).toAbsolutePath().normalize().toUri().toString();
  }

  /**
   * The latest completed checkpoint under {@code storageUri} over all jobs that wrote there: the
   * newest {@code _metadata}, the highest checkpoint id on a tie; empty when there is none.
   */
  public static Optional<Retained> latest(String storageUri) {
    org.apache.flink.core.fs.Path root = new org.apache.flink.core.fs.Path(storageUri(storageUri));
    try {
      FileSystem fs = root.getFileSystem();
      if (!fs.exists(root)) {
        return Optional.empty();
      }
      Retained best = null;
      Comparator<Retained> order =
          Comparator.comparing(Retained::completedAt).thenComparingLong(Retained::checkpointId);
      for (FileStatus job : list(fs, root)) {
        if (!job.isDir()) {
          continue;
        }
        for (FileStatus chk : list(fs, job.getPath())) {
          Matcher m = CHECKPOINT.matcher(chk.getPath().getName());
          if (!chk.isDir() || !m.matches()) {
            continue;
          }
          org.apache.flink.core.fs.Path metadata =
              new org.apache.flink.core.fs.Path(chk.getPath(), METADATA);
          if (!fs.exists(metadata)) {
            continue;
          }
          Retained r =
              new Retained(
                  chk.getPath().toUri().toString(),
                  job.getPath().getName(),
                  Long.parseLong(m.group(1)),
                  Instant.ofEpochMilli(fs.getFileStatus(metadata).getModificationTime()));
          if (best == null || order.compare(r, best) > 0) {
            best = r;
          }
        }
      }
      return Optional.ofNullable(best);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoints in " + storageUri, e);
    }
  }

  /**
   * Deletes the folders of every job but {@code keepJobId} under {@code storageUri}; returns how
   * many. Safe once {@code keepJobId} has completed a checkpoint after resuming: a restore does not
   * claim the checkpoint it starts from (Flink's default NO_CLAIM mode), so that job's first
   * checkpoint is a full one and nothing refers to the older folders any more.
   */
  public static int removeOtherJobs(String storageUri, String keepJobId) {
    org.apache.flink.core.fs.Path root = new org.apache.flink.core.fs.Path(storageUri(storageUri));
    try {
      FileSystem fs = root.getFileSystem();
      if (!fs.exists(root)) {
        return 0;
      }
      int removed = 0;
      for (FileStatus job : list(fs, root)) {
        if (job.isDir() && !job.getPath().getName().equals(keepJobId)) {
          fs.delete(job.getPath(), true);
          removed++;
        }
      }
      return removed;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove old checkpoints in " + storageUri, e);
    }
  }

  private static FileStatus[] list(FileSystem fs, org.apache.flink.core.fs.Path dir)
      throws IOException {
    FileStatus[] listed = fs.listStatus(dir);
    return listed == null ? new FileStatus[0] : listed;
  }
}
