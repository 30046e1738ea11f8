package dev.millrace.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.schemas.Task;
import dev.millrace.trainer.eval.PairedBootstrap;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingHistoryTest {

  static TrainingRecord record(String version, RunDecision decision) {
    Instant t = Instant.parse("2025-03-01T10:00:00Z");
    return new TrainingRecord(
        "run-" + version,
        "fraud",
        version,
        "100 new examples",
        t,
        t.plusSeconds(12),
        12_000,
        t.minusSeconds(86_400),
        t,
        t.minusSeconds(3_600),
        800,
        12,
        200,
        3,
        Map.of("average_precision", 0.61, "roc_auc", 0.93),
        null,
        null,
        "average_precision",
        0.0,
        0.015,
        decision,
        "first model: beats the baseline",
        "cpu()",
        List.of(0.7, 0.4, 0.3),
        9_000L,
        "file:///tmp/models/fraud/" + version + ".zip",
        "ab12",
        604_800_000L,
        120,
        7,
        new PairedBootstrap.Interval(0.012, -0.004, 0.031, 0.9, 200),
        null);
  }

  @Test
  void appendsOneLinePerRunAndReadsThemBack(@TempDir Path dir) throws Exception {
    TrainingHistory history = TrainingHistory.inDirectory(dir.resolve("history"), Task.FRAUD);
    assertThat(history.read()).isEmpty();
    assertThat(history.last()).isEmpty();

    TrainingRecord first = record("fraud-1", RunDecision.PROMOTED);
    TrainingRecord second = record("fraud-2", RunDecision.REJECTED);
    history.append(first);
    history.append(second);

    assertThat(history.file()).hasFileName("fraud-history.jsonl");
    List<String> lines = Files.readAllLines(history.file());
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0))
        .contains("\"decision\":\"PROMOTED\"")
        .contains("\"startedAt\":\"2025-03-01T10:00:00Z\"")
        .contains("\"evalGapMillis\":604800000")
        .contains("\"promotionInterval\":{\"estimate\":0.012,\"lower\":-0.004,\"upper\":0.031")
        .doesNotContain("championVersion"); // nulls are left out
    assertThat(history.read()).containsExactly(first, second);
    assertThat(history.last()).contains(second);
  }

  @Test
  void skipsLinesItCannotRead(@TempDir Path dir) throws Exception {
    TrainingHistory history = new TrainingHistory(dir.resolve("h.jsonl"));
    history.append(record("fraud-1", RunDecision.PROMOTED));
    Files.writeString(
        history.file(), "{not json\n\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    history.append(record("fraud-2", RunDecision.SKIPPED_NO_POSITIVES));
    assertThat(history.read())
        .extracting(TrainingRecord::version)
        .containsExactly("fraud-1", "fraud-2");
  }
}
