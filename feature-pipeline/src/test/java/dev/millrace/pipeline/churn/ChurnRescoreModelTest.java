package dev.millrace.pipeline.churn;

import static dev.millrace.pipeline.churn.ChurnFixture.day;
import static dev.millrace.pipeline.churn.ChurnFixture.line;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.ScoredFeatures;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.schemas.churn.ChurnActivity;
import dev.millrace.scorer.model.ModelBundle;
import dev.millrace.scorer.model.TabularModel;
import dev.millrace.trainer.model.Dataset;
import dev.millrace.trainer.model.TabularTrainer;
import dev.millrace.trainer.model.TrainSettings;
import dev.millrace.trainer.model.TrainedModel;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The inactivity re-score with a real model: a DJL net trained by the trainer on examples that the
 * churn operators themselves labelled (generated customers, some of whom stop buying), then applied
 * through the scorer's {@link TabularModel} to the points the operator emits for a customer who
 * goes quiet.
 */
class ChurnRescoreModelTest {

  /** A few seconds on a CPU. */
  private static final TrainSettings FAST =
      new TrainSettings(8, 256, 1e-2f, 1e-4f, new int[] {32, 16}, 0f, false, 7L, false);

  private static final int LAST_DAY = 400;

  private static KeyedOneInputStreamOperatorTestHarness<String, ChurnActivity, FeatureVector>
      points() throws Exception {
    var h =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(
                new ChurnScoringPoints(ChurnSettings.defaults(), "churn.events")),
            ChurnActivity::getCustomerId,
            Types.STRING);
    h.open();
    return h;
  }

  /** Generated customers run through the scoring points and the label rule of the stream. */
  private static Dataset labelledByTheStream(int customers, long seed) throws Exception {
    Random random = new Random(seed);
    List<ChurnActivity> lines = new ArrayList<>();
    for (int c = 0; c < customers; c++) {
      double gap = 4 + random.nextDouble() * 20;
      double stopsAt = random.nextBoolean() ? LAST_DAY : 30 + random.nextDouble() * 300;
      for (double d = random.nextDouble() * 60;
          d < stopsAt;
          d += gap * -Math.log(random.nextDouble())) {
        lines.add(line("g" + c, "i" + c + "-" + (int) d, d, 1 + random.nextInt(5), 4.0, "France"));
      }
    }
    lines.sort(Comparator.comparing(ChurnActivity::getEventTime));
    List<TrainingExample> examples;
    try (var p = points();
        var l =
            new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new ChurnLabels(ChurnSettings.defaults())),
                (ScoredFeatures s) -> s.getVector().getEntityId(),
                Types.STRING)) {
      l.open();
      long watermark = Long.MIN_VALUE;
      for (ChurnActivity a : lines) {
        long t = a.getEventTime().toEpochMilli();
        if (t - 86_400_000L > watermark) {
          watermark = t - 86_400_000L;
          p.processWatermark(new Watermark(watermark));
        }
        p.processElement(new StreamRecord<>(a, t));
      }
      p.processWatermark(new Watermark(day(LAST_DAY)));
      for (FeatureVector v : p.extractOutputValues()) {
        l.processElement(
            new StreamRecord<>(ChurnFixture.scored(v, 0.5), v.getEventTime().toEpochMilli()));
      }
      l.processWatermark(new Watermark(day(LAST_DAY + 100)));
      examples = l.extractOutputValues();
    }
    // a point whose horizon passes the end of the generated data has no true label
    List<TrainingExample> usable =
        examples.stream()
            .filter(e -> e.getEventTime().toEpochMilli() <= day(LAST_DAY - 90))
            .toList();
    float[][] x = new float[usable.size()][];
    float[] y = new float[usable.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = ChurnFeatures.toArray(usable.get(i).getFeatures());
      y[i] = (float) usable.get(i).getLabel();
    }
    return new Dataset(x, y, null, null);
  }

  @Test
  void aCustomerQuietForSixtyDaysHasANewerAndHigherScoreThanAtTheirLastPurchase() throws Exception {
    Dataset data = labelledByTheStream(300, 11L);
    assertThat(data.positives()).isBetween(data.size() / 20, data.size() - data.size() / 20);
    ModelBundle bundle;
    try (TrainedModel trained =
        new TabularTrainer(FAST).train("churn", "v1", ChurnFeatures.SCHEMA, data, null)) {
      bundle = trained.toBundle(Map.of(), null, null);
    }

    List<FeatureVector> out;
    try (var h = points()) {
      for (int d = 0; d <= 98; d += 7) { // weekly purchases on days 0..98
        ChurnActivity a = line("quiet", "q" + d, d, 2, 4.0, "France");
        h.processElement(new StreamRecord<>(a, a.getEventTime().toEpochMilli()));
      }
      h.processWatermark(new Watermark(day(98 + 60)));
      out = h.extractOutputValues();
    }
    FeatureVector lastPurchase =
        out.stream()
            .filter(v -> "purchase".equals(v.getAttributes().get(ChurnScoringPoints.KIND)))
            .reduce((a, b) -> b)
            .orElseThrow();
    FeatureVector latest = out.get(out.size() - 1);
    assertThat(latest.getAttributes()).containsEntry(ChurnScoringPoints.KIND, "rescore");
    assertThat(latest.getEventTime()).isAfter(lastPurchase.getEventTime());
    assertThat(latest.getEventTime().toEpochMilli()).isEqualTo(day(98 + 56));
    assertThat(latest.getFeatures().get(ChurnFeatures.RECENCY)).isCloseTo(56f, within(1e-3f));

    try (TabularModel model = TabularModel.fromParameters(bundle.manifest(), bundle.parameters())) {
      float[] scores =
          model.predict(
              new float[][] {
                ChurnFeatures.toArray(lastPurchase.getFeatures()),
                ChurnFeatures.toArray(latest.getFeatures())
              });
      assertThat(scores[1])
          .as("score after 56 quiet days vs at the last purchase")
          .isGreaterThan(scores[0] + 0.1f);
    }
  }
}
