package dev.millrace.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.pipeline.fraud.KafkaFraudJob;
import dev.millrace.schemas.Task;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code millrace pipeline}'s transaction timeout and topic namespace reach the job, locally and
 * when submitted to a cluster (as the job's own arguments).
 */
class PipelineSettingsTest {

  private static PipelineCommand parse(String... args) {
    PipelineCommand p = new PipelineCommand();
    new CommandLine(p).parseArgs(args);
    return p;
  }

  @Test
  void theTransactionTimeoutAndTheNamespacedIdsReachTheLocalAndTheSubmittedJob() {
    PipelineCommand p =
        parse(
            "--task",
            "fraud",
            "-b",
            "k:9092",
            "--namespace",
            "staging",
            "--checkpoint-interval",
            "2s",
            "--transaction-timeout",
            "20s");
    FraudPipelineSettings local = p.settings();
    assertThat(local.transactionTimeout()).isEqualTo(Duration.ofSeconds(20));
    assertThat(local.checkpointTimeout()).isLessThan(Duration.ofSeconds(20));
    assertThat(local.consumerGroupId()).isEqualTo("staging.millrace-fraud-pipeline");
    assertThat(local.transactionalIdPrefix()).isEqualTo("staging.millrace-fraud");
    assertThat(local.topics().scores(Task.FRAUD).name()).isEqualTo("staging.fraud.scores");

    FraudPipelineSettings submitted =
        KafkaFraudJob.settings(p.programArgs().toArray(String[]::new));
    assertThat(submitted.transactionTimeout()).isEqualTo(local.transactionTimeout());
    assertThat(submitted.consumerGroupId()).isEqualTo(local.consumerGroupId());
    assertThat(submitted.transactionalIdPrefix()).isEqualTo(local.transactionalIdPrefix());
    assertThat(submitted.topics().scores(Task.FRAUD).name())
        .isEqualTo(local.topics().scores(Task.FRAUD).name());
  }

  @Test
  void withoutANamespaceTheIdsAndTheTimeoutStayAsBefore() {
    FraudPipelineSettings s = parse("--task", "fraud", "-b", "k:9092").settings();
    FraudPipelineSettings defaults = FraudPipelineSettings.builder("k:9092").build();
    assertThat(s.transactionTimeout()).isEqualTo(Duration.ofMinutes(15));
    assertThat(s.consumerGroupId()).isEqualTo(defaults.consumerGroupId());
    assertThat(s.transactionalIdPrefix()).isEqualTo(defaults.transactionalIdPrefix());
  }

  @Test
  void terminalOrderIsOffByDefaultAndReachesTheLocalAndTheSubmittedJobWhenAsked() {
    PipelineCommand off = parse("--task", "fraud", "-b", "k:9092");
    assertThat(off.settings().terminalOrder()).isFalse();
    assertThat(KafkaFraudJob.settings(off.programArgs().toArray(String[]::new)).terminalOrder())
        .isFalse();
    PipelineCommand on = parse("--task", "fraud", "-b", "k:9092", "--terminal-order");
    assertThat(on.settings().terminalOrder()).isTrue();
    assertThat(KafkaFraudJob.settings(on.programArgs().toArray(String[]::new)).terminalOrder())
        .isTrue();
  }
}
