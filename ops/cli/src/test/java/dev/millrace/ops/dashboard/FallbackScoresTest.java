package dev.millrace.ops.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Scores no model made are shown as such: a failing model is visible on the page's summary. */
class FallbackScoresTest {

  private static final Instant T = Instant.parse("2026-11-30T12:00:00Z");

  private static ScoreRecord score(int i, String version, String fallbackReason) {
    return ScoreRecord.newBuilder()
        .setTask(Task.FRAUD)
        .setEventId("e" + i)
        .setEntityId("c" + i)
        .setPrediction(version.equals("fallback") ? 0.0 : 0.4)
        .setModelVersion(version)
        .setFallbackReason(fallbackReason)
        .setEventTime(T.minusSeconds(60))
        .setScoringTime(T.plusMillis(i))
        .build();
  }

  @Test
  void aFailingModelIsNamedWithItsReasonAndTheFallbackScoresAreCounted() {
    TaskState state = new TaskState();
    long now = T.toEpochMilli() + 1_000;
    state.onScore(score(0, "fallback", "NO_MODEL"), now, now);
    state.onScore(score(1, "v1", null), now, now);
    state.onScore(score(2, "v1", null), now, now);
    DashboardSummary ok = DashboardSummary.of(Task.FRAUD, state.snapshot(now), List.of(), now);
    assertThat(ok.modelInUse()).isEqualTo("v1");
    assertThat(ok.modelInUseFallbackReason()).isNull();
    assertThat(ok.fallbackScoresByReason())
        .containsExactlyEntriesOf(java.util.Map.of("NO_MODEL", 1L));

    // the model starts failing: its scores are the fallback's, and say why
    state.onScore(score(3, "fallback", "MODEL_ERROR"), now, now);
    state.onScore(score(4, "fallback", "MODEL_ERROR"), now, now);
    DashboardSummary failing = DashboardSummary.of(Task.FRAUD, state.snapshot(now), List.of(), now);
    assertThat(failing.modelInUse()).isEqualTo("fallback");
    assertThat(failing.modelInUseFallbackReason()).isEqualTo("MODEL_ERROR");
    assertThat(failing.fallbackScoresByReason())
        .containsEntry("NO_MODEL", 1L)
        .containsEntry("MODEL_ERROR", 2L)
        .hasSize(2);
    assertThat(failing.scoresByVersion()).containsEntry("v1", 2L).containsEntry("fallback", 3L);
  }
}
