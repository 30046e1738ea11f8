package dev.millrace.ops.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.junit.jupiter.api.Test;

/**
 * A checkpoint that fails on a real MiniCluster job is named on the console with Flink's reason, so
 * that "(1 failed)" in a status line can always be traced.
 */
class JobWatchCheckpointTest {

  /**
   * Holds up checkpoint 3 past the checkpoint timeout (an expired checkpoint, which the job
   * tolerates without a failover); every other checkpoint succeeds.
   */
  static final class SlowThirdCheckpoint implements MapFunction<Long, Long>, CheckpointedFunction {
    @Override
    public Long map(Long value) {
      return value;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws InterruptedException {
      if (context.getCheckpointId() == 3) {
        Thread.sleep(2_500);
      }
    }

    @Override
    public void initializeState(FunctionInitializationContext context) {}
  }

  @Test
  void aFailedCheckpointIsNamedWithItsReason() throws Exception {
    List<String> console = new CopyOnWriteArrayList<>();
    try (LocalFlink flink =
        LocalFlink.start(
            "test",
            1,
            0,
            Optional.empty(),
            console::add,
            conf -> {
              conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(200));
              conf.set(CheckpointingOptions.CHECKPOINTING_TIMEOUT, Duration.ofSeconds(1));
              conf.set(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER, 100);
            },
            env -> {
              env.fromSource(
                      new DataGeneratorSource<>(
                          i -> i, Long.MAX_VALUE, RateLimiterStrategy.perSecond(100), Types.LONG),
                      WatermarkStrategy.noWatermarks(),
                      "numbers")
                  .map(new SlowThirdCheckpoint())
                  .returns(Types.LONG)
                  .sinkTo(new DiscardingSink<>());
              return env.executeAsync("checkpoint-failure-test");
            })) {
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (System.nanoTime() < deadline
          && (flink.health().completedCheckpoints() < 5
              || console.stream().noneMatch(l -> l.contains("checkpoint 3 failed")))) {
        Thread.sleep(100); // JobWatch polls the MiniCluster once a second
      }
      System.out.println(String.join("\n", console));
      assertThat(console)
          .as("console lines")
          .anyMatch(l -> l.startsWith("Test job checkpoint 3 failed at ") && l.contains("expired"));
      assertThat(flink.health().failedCheckpoints()).isGreaterThanOrEqualTo(1);
      assertThat(flink.health().restarts()).isZero();
    }
  }
}
