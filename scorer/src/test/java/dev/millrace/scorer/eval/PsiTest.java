package dev.millrace.scorer.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class PsiTest {

  @Test
  void psiByHand() {
    // expected {0.5, 0.5}, observed 80/20: (0.8-0.5) ln(0.8/0.5) + (0.2-0.5) ln(0.2/0.5)
    double expected = 0.3 * Math.log(1.6) + (-0.3) * Math.log(0.4);
    assertThat(Psi.of(List.of(0.5, 0.5), new long[] {80, 20})).isCloseTo(expected, within(1e-12));
    // 0.3 * 0.4700 + 0.3 * 0.9163 = 0.4159: a significant shift
    assertThat(Psi.of(List.of(0.5, 0.5), new long[] {80, 20})).isCloseTo(0.4159, within(1e-4));
    assertThat(Psi.of(List.of(0.25, 0.25, 0.5), new long[] {1, 1, 2})).isZero();
    assertThat(Psi.of(List.of(0.5, 0.5), new long[] {0, 0})).isNaN();
    // an empty observed bin counts with the floor 1e-4: (1e-4 - 0.5) ln(1e-4/0.5) + (1-0.5) ln(2)
    double floored = (1e-4 - 0.5) * Math.log(1e-4 / 0.5) + 0.5 * Math.log(2);
    assertThat(Psi.of(List.of(0.5, 0.5), new long[] {0, 10})).isCloseTo(floored, within(1e-12));
  }
}
