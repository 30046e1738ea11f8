package dev.millrace.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointsTest {

  @TempDir Path dir;

  @Test
  void nothingRetainedInAMissingOrEmptyFolder() throws Exception {
    assertThat(Checkpoints.latest(dir.resolve("missing").toString())).isEmpty();
    Files.createDirectories(dir.resolve("job-a/chk-3")); // never completed: no _metadata
    Files.createDirectories(dir.resolve("job-a/shared"));
    assertThat(Checkpoints.latest(dir.toString())).isEmpty();
  }

  @Test
  void picksTheNewestCompletedCheckpointOverAllJobs() throws Exception {
    completed("job-old", 40, Instant.parse("2026-01-01T10:00:00Z"));
    completed("job-new", 2, Instant.parse("2026-01-01T11:00:00Z"));
    completed("job-new", 1, Instant.parse("2026-01-01T10:59:00Z"));
    Files.createDirectories(dir.resolve("job-new/chk-3")); // in progress when the job stopped
    Files.createDirectories(dir.resolve("job-new/taskowned"));

    Checkpoints.Retained latest = Checkpoints.latest(dir.toString()).orElseThrow();

    assertThat(latest.jobId()).isEqualTo("job-new");
    assertThat(latest.checkpointId()).isEqualTo(2);
    assertThat(latest.completedAt()).isEqualTo(Instant.parse("2026-01-01T11:00:00Z"));
    assertThat(Path.of(java.net.URI.create(latest.path())))
        .isEqualTo(dir.resolve("job-new/chk-2").toAbsolutePath());
    assertThat(Checkpoints.latest(dir.toUri().toString()))
        .as("the same through a file: URI")
        .contains(latest);
  }

  @Test
  void aHigherCheckpointIdWinsATie() throws Exception {
    Instant same = Instant.parse("2026-01-01T10:00:00Z");
    completed("job-a", 7, same);
    completed("job-a", 8, same);
    assertThat(Checkpoints.latest(dir.toString()).orElseThrow().checkpointId()).isEqualTo(8);
  }

  @Test
  void removesTheFoldersOfOtherJobsOnly() throws Exception {
    completed("job-old", 40, Instant.parse("2026-01-01T10:00:00Z"));
    Files.createDirectories(dir.resolve("job-old/shared"));
    completed("job-new", 1, Instant.parse("2026-01-01T11:00:00Z"));

    assertThat(Checkpoints.removeOtherJobs(dir.toString(), "job-new")).isEqualTo(1);

    assertThat(dir.resolve("job-old")).doesNotExist();
    assertThat(dir.resolve("job-new/chk-1/_metadata")).exists();
    assertThat(Checkpoints.removeOtherJobs(dir.resolve("missing").toString(), "x")).isZero();
  }

  @Test
  void storageUris() {
    assertThat(Checkpoints.storageUri("s3://b/p")).isEqualTo("s3://b/p");
    assertThat(Checkpoints.storageUri("file:///data/ckpt")).isEqualTo("file:///data/ckpt");
    assertThat(Checkpoints.storageUri("rel/ckpt"))
        .isEqualTo(Path.of("rel/ckpt").toAbsolutePath().toUri().toString());
  }

  private void completed(String job, long id, Instant at) throws Exception {
    Path chk = Files.createDirectories(dir.resolve(job).resolve("chk-" + id));
    Path metadata = Files.writeString(chk.resolve(Checkpoints.METADATA), "x");
    Files.setLastModifiedTime(metadata, FileTime.from(at));
  }
}
