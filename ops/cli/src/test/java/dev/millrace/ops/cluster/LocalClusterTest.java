package dev.millrace.ops.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.taskexecutor.TaskExecutorMemoryConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalClusterTest {

  @TempDir Path dir;

  /** The generated config.yaml as Flink reads it (the same loader the JobManager uses). */
  private Configuration load() throws Exception {
    LocalCluster cluster = new LocalCluster(dir);
    Path conf = dir.resolve("conf");
    Files.createDirectories(conf);
    Files.writeString(conf.resolve("config.yaml"), cluster.flinkConfig(18081, 16123, 2, 19260));
    return GlobalConfiguration.loadConfiguration(conf.toString());
  }

  @Test
  void flinkReadsTheClusterSettings() throws Exception {
    Configuration c = load();
    assertThat(c.get(PipelineOptions.GENERIC_TYPES)).isFalse();
    assertThat(c.get(CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS_ADDITIONAL))
        .contains("ai.djl.");
    assertThat(c.get(TaskManagerOptions.NUM_TASK_SLOTS)).isEqualTo(2);
    assertThat(c.get(RestOptions.PORT)).isEqualTo(18081);
    assertThat(c.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY))
        .isEqualTo(dir.toUri().toString() + "flink/checkpoints");
    assertThat(c.get(TaskManagerOptions.TASK_MANAGER_LOAD_BALANCE_MODE))
        .isEqualTo(TaskManagerOptions.TaskManagerLoadBalanceMode.SLOTS);
  }

  @Test
  void aTaskManagerStartedWithoutFlinksScriptsFindsEveryMemoryPart() throws Exception {
    // TaskManagerRunner fails with "required configuration option ... is not set" (cpu cores, each
    // memory part) or an IllegalArgumentException (JVM overhead) otherwise.
    Configuration c = load();
    assertThat(c.getOptional(TaskManagerOptions.CPU_CORES)).isPresent();
    TaskExecutorMemoryConfiguration memory = TaskExecutorMemoryConfiguration.create(c);
    assertThat(memory.getTaskHeap()).isEqualTo(LocalCluster.TM_TASK_HEAP_MB * 1024L * 1024L);
  }

  @Test
  void jvmLimitsMatchTheConfiguredMemory() {
    assertThat(LocalCluster.taskManagerJvmOpts())
        .contains(
            "-Xmx" + (LocalCluster.TM_FRAMEWORK_HEAP_MB + LocalCluster.TM_TASK_HEAP_MB) + "m");
    assertThat(Duration.ofSeconds(1)).isPositive();
  }

  @Test
  void aPortIsBusyWhileListenedOnAndFreeWithOnlyTimeWaitConnectionsLeft() throws Exception {
    int port;
    try (java.net.ServerSocket server =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      port = server.getLocalPort();
      assertThat(LocalCluster.isFree("127.0.0.1", port)).as("listened on").isFalse();
      // The server side closes first, so its end of the connection stays in TIME_WAIT on port,
      // as a stopped broker's connections do.
      try (java.net.Socket client = new java.net.Socket("127.0.0.1", port)) {
        server.accept().close();
        assertThat(client.getInputStream().read()).isEqualTo(-1);
      }
    }
    assertThat(LocalCluster.isFree("127.0.0.1", port)).as("after the listener closed").isTrue();
  }
}
