package dev.millrace.trainer.eval;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SliceTest {

  private static Slice slice(float feature, float label, long time, String id, long labelTime) {
    return new Slice(
        new float[][] {{1f, 2f}, {3f, feature}},
        new float[] {0f, label},
        new long[] {10L, time},
        new String[] {"a", id},
        new long[] {20L, labelTime});
  }

  @Test
  void theDigestIsStableAndChangesWithAnyValue() {
    String digest = slice(4f, 1f, 11L, "b", 30L).digest();
    assertThat(digest).hasSize(16).matches("[0-9a-f]{16}");
    assertThat(slice(4f, 1f, 11L, "b", 30L).digest()).isEqualTo(digest);
    assertThat(slice(Math.nextUp(4f), 1f, 11L, "b", 30L).digest()).isNotEqualTo(digest);
    assertThat(slice(4f, 0f, 11L, "b", 30L).digest()).isNotEqualTo(digest);
    assertThat(slice(4f, 1f, 12L, "b", 30L).digest()).isNotEqualTo(digest);
    assertThat(slice(4f, 1f, 11L, "c", 30L).digest()).isNotEqualTo(digest);
    assertThat(slice(4f, 1f, 11L, "b", 31L).digest()).isNotEqualTo(digest);
  }

  @Test
  void rowOrderCounts() {
    Slice s = slice(4f, 1f, 11L, "b", 30L);
    assertThat(s.rows(new int[] {1, 0}).digest()).isNotEqualTo(s.digest());
    assertThat(s.rows(new int[] {0, 1}).digest()).isEqualTo(s.digest());
  }
}
