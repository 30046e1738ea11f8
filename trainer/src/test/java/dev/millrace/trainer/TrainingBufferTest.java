package dev.millrace.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.trainer.eval.Slice;
import org.junit.jupiter.api.Test;

class TrainingBufferTest {

  @Test
  void keepsTheMostRecentRowsByEventTime() {
    TrainingBuffer buffer = new TrainingBuffer(3);
    buffer.add(50, "a", new float[] {5}, 0);
    buffer.add(10, "b", new float[] {1}, 1);
    buffer.add(30, "c", new float[] {3}, 0);
    buffer.add(40, "d", new float[] {4}, 1); // evicts time 10 (a positive)
    buffer.add(5, "e", new float[] {0.5f}, 1); // older than everything: evicted at once

    Slice window = buffer.snapshot();
    assertThat(window.eventTimeMillis()).containsExactly(30, 40, 50);
    assertThat(window.entityIds()).containsExactly("c", "d", "a");
    assertThat(window.features()[1]).containsExactly(4f);
    assertThat(buffer.size()).isEqualTo(3);
    assertThat(buffer.positives()).isEqualTo(1);
    assertThat(buffer.evicted()).isEqualTo(2);
  }

  @Test
  void snapshotIsACopy() {
    TrainingBuffer buffer = new TrainingBuffer(10);
    float[] features = {1, 2};
    buffer.add(1, "a", features, 0);
    features[0] = 99;
    Slice before = buffer.snapshot();
    buffer.add(2, "b", new float[] {3, 4}, 1);
    assertThat(before.size()).isEqualTo(1);
    assertThat(before.features()[0]).containsExactly(1f, 2f);
    assertThat(buffer.snapshot().size()).isEqualTo(2);
  }
}
