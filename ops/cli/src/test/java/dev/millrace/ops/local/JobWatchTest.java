package dev.millrace.ops.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.apache.flink.util.SerializedThrowable;
import org.junit.jupiter.api.Test;

class JobWatchTest {

  @Test
  void theRootCauseIsTheInnermostExceptionOnOneLine() {
    Exception failure =
        new RuntimeException(
            "Could not materialize checkpoint 2 for operator Label join",
            new IllegalStateException(
                "Size of the state is larger than the maximum permitted memory-backed state.\n"
                    + "Size=12996314, maxSize=5242880"));
    assertThat(JobWatch.rootCause(failure))
        .isEqualTo(
            "IllegalStateException: Size of the state is larger than the maximum permitted"
                + " memory-backed state. Size=12996314, maxSize=5242880");
  }

  @Test
  void serializedFailuresNameTheOriginalClass() {
    SerializedThrowable shipped =
        new SerializedThrowable(new Exception("job", new IOException("disk full")));
    assertThat(JobWatch.rootCause(shipped)).isEqualTo("IOException: disk full");
    assertThat(JobWatch.rootCause(null)).isEqualTo("(unknown)");
  }

  @Test
  void sizesReadLikeSizes() {
    assertThat(JobWatch.bytes(512)).isEqualTo("512 B");
    assertThat(JobWatch.bytes(150_900)).isEqualTo("147.4 KB");
    assertThat(JobWatch.bytes(12_996_314)).isEqualTo("12.4 MB");
  }
}
