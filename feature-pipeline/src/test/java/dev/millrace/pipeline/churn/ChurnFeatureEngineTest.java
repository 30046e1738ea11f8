package dev.millrace.pipeline.churn;

import static dev.millrace.pipeline.churn.ChurnFixture.line;
import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.churn.ChurnActivity;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The engine outside Flink gives the operator's features, bit for bit, at every scoring point. */
class ChurnFeatureEngineTest {

  @Test
  void theEngineAndTheOperatorAgreeAtPurchasesReturnsAndRescores() throws Exception {
    Random random = new Random(5);
    List<ChurnActivity> lines = new ArrayList<>();
    String[] countries = {"France", "EIRE", null, "Atlantis"};
    for (int c = 0; c < 20; c++) {
      for (double d = random.nextDouble() * 30; d < 500; d += 1 + random.nextDouble() * 60) {
        int lines0 = 1 + random.nextInt(3);
        for (int k = 0; k < lines0; k++) {
          boolean ret = random.nextInt(10) == 0;
          lines.add(
              line(
                  "c" + c,
                  (ret ? "C" : "") + c + "-" + (int) (d * 100),
                  d,
                  ret ? -1 - random.nextInt(3) : 1 + random.nextInt(12),
                  0.5 + random.nextInt(40) / 4.0,
                  countries[random.nextInt(countries.length)]));
        }
      }
    }
    lines.sort(Comparator.comparing(ChurnActivity::getEventTime));
    ChurnFeatureEngine engine = new ChurnFeatureEngine(ChurnSettings.defaults());
    int compared = 0;
    int rescores = 0;
    try (var h =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(
                new ChurnScoringPoints(ChurnSettings.defaults(), "churn.events")),
            ChurnActivity::getCustomerId,
            Types.STRING)) {
      h.open();
      for (ChurnActivity a : lines) {
        long t = a.getEventTime().toEpochMilli();
        int before = h.extractOutputValues().size();
        h.processWatermark(new Watermark(t - 1));
        // re-scores fired by this watermark: the engine at their time, before this line
        List<FeatureVector> fired = h.extractOutputValues();
        for (FeatureVector v : fired.subList(before, fired.size())) {
          assertThat(v.getAttributes()).containsEntry(ChurnScoringPoints.KIND, "rescore");
          assertThat(ChurnFeatures.toArray(v.getFeatures()))
              .containsExactly(engine.features(v.getEntityId(), v.getEventTime().toEpochMilli()));
          rescores++;
        }
        h.processElement(new StreamRecord<>(a, t));
        engine.observe(a);
        List<FeatureVector> out = h.extractOutputValues();
        FeatureVector v = out.get(out.size() - 1);
        assertThat(v.getEventTime()).isEqualTo(a.getEventTime());
        assertThat(ChurnFeatures.toArray(v.getFeatures()))
            .containsExactly(engine.features(a.getCustomerId(), t));
        compared++;
      }
    }
    assertThat(compared).isEqualTo(lines.size());
    assertThat(rescores).isGreaterThan(100);
  }
}
