package dev.millrace.trainer.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PromotionGateTest {

  private static Map<String, Double> ap(double value) {
    return Map.of("average_precision", value, "roc_auc", 0.9);
  }

  @Test
  void firstModelMustBeatTheNoSkillBaseline() {
    PromotionGate gate = new PromotionGate(PromotionMetric.AVERAGE_PRECISION, 0.0);
    assertThat(gate.decide(ap(0.30), null, 0.10).promote()).isTrue();
    PromotionGate.Verdict no = gate.decide(ap(0.10), null, 0.10);
    assertThat(no.promote()).isFalse();
    assertThat(no.reason()).contains("does not beat no-skill baseline");
  }

  @Test
  void challengerMustBeatTheChampionByTheMargin() {
    PromotionGate strict = new PromotionGate(PromotionMetric.AVERAGE_PRECISION, 0.0);
    assertThat(strict.decide(ap(0.51), ap(0.50), 0.1).promote()).isTrue();
    assertThat(strict.decide(ap(0.50), ap(0.50), 0.1).promote()).isFalse();
    PromotionGate margin = new PromotionGate(PromotionMetric.AVERAGE_PRECISION, 0.02);
    assertThat(margin.decide(ap(0.51), ap(0.50), 0.1).promote()).isFalse();
    assertThat(margin.decide(ap(0.52), ap(0.50), 0.1).promote()).isTrue();
  }

  @Test
  void usesTheConfiguredMetric() {
    PromotionGate gate = new PromotionGate(PromotionMetric.ROC_AUC, 0.0);
    Map<String, Double> challenger = Map.of("average_precision", 0.9, "roc_auc", 0.6);
    Map<String, Double> champion = Map.of("average_precision", 0.1, "roc_auc", 0.7);
    PromotionGate.Verdict v = gate.decide(challenger, champion, 0.5);
    assertThat(v.promote()).isFalse();
    assertThat(v.reference()).isEqualTo(0.7);
  }

  @Test
  void anUndefinedChallengerMetricNeverPromotes() {
    PromotionGate gate = new PromotionGate(PromotionMetric.AVERAGE_PRECISION, 0.0);
    assertThat(gate.decide(Map.of(), null, 0.1).promote()).isFalse();
    assertThatThrownBy(() -> new PromotionGate(PromotionMetric.ROC_AUC, -0.1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(PromotionMetric.parse("roc-auc")).isEqualTo(PromotionMetric.ROC_AUC);
  }
}
