package dev.millrace.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.millrace.trainer.model.TrainSettings;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelSelectionTest {

  @Test
  void statsAreTheMeanAndTheSampleStandardDeviation() {
    Stats s = Stats.of(0.70, 0.72, 0.74);
    assertThat(s.mean()).isCloseTo(0.72, within(1e-12));
    assertThat(s.sd()).isCloseTo(0.02, within(1e-12));
    assertThat(s.n()).isEqualTo(3);
    assertThat(s.format()).isEqualTo("0.720 ± 0.020");
    assertThat(Stats.of(0.5).format()).isEqualTo("0.500");
    assertThat(Stats.of(0.5).sd()).isZero();
  }

  @Test
  void theNetGridIsEveryCombinationOnTopOfTheBase() {
    TrainSettings base = TrainSettings.defaults();
    List<TrainSettings> grid =
        ModelSelection.netGrid(
            base, List.of(true, false), List.of(0.1f, 0.2f), List.of(20, 40), List.of(0.01f));
    assertThat(grid).hasSize(8).doesNotHaveDuplicates();
    assertThat(grid)
        .allSatisfy(
            t -> {
              assertThat(t.hiddenSizes()).isEqualTo(base.hiddenSizes());
              assertThat(t.batchSize()).isEqualTo(base.batchSize());
              assertThat(t.seed()).isEqualTo(base.seed());
            });
    assertThat(grid.get(0).balanceClasses()).isTrue();
    assertThat(grid.get(7).balanceClasses()).isFalse();
    assertThat(grid.get(7).dropout()).isEqualTo(0.2f);
    assertThat(grid.get(7).epochs()).isEqualTo(40);
  }

  @Test
  void theChoiceIsTheHighestValidationAveragePrecision() {
    TrainSettings a = TrainSettings.defaults().withEpochs(20);
    TrainSettings b = TrainSettings.defaults().withEpochs(40);
    TrainSettings c = TrainSettings.defaults().withEpochs(10);
    List<ModelSelection.NetCandidate> candidates =
        List.of(
            new ModelSelection.NetCandidate(a, scores(0.90, 0.60)),
            new ModelSelection.NetCandidate(b, scores(0.85, 0.70)),
            new ModelSelection.NetCandidate(c, scores(0.95, 0.65)));
    // by AP, not by AUC
    assertThat(ModelSelection.bestNet(candidates).settings()).isEqualTo(b);

    XgboostBaseline.Settings x1 = new XgboostBaseline.Settings(25, 3, 0.1, "exact", 1, 0);
    XgboostBaseline.Settings x2 = new XgboostBaseline.Settings(50, 3, 0.3, "exact", 1, 0);
    assertThat(
            ModelSelection.bestXgb(
                    List.of(
                        new ModelSelection.XgbCandidate(x1, scores(0.9, 0.5)),
                        new ModelSelection.XgbCandidate(x2, scores(0.8, 0.6))))
                .settings())
        .isEqualTo(x2);
    assertThat(
            ModelSelection.xgbGrid(
                List.of(25, 50, 100), List.of(3, 6, 9), List.of(0.1, 0.3), "exact", 1))
        .hasSize(18);
  }

  @Test
  void sameButSeedIgnoresOnlyTheSeed() {
    TrainSettings d = TrainSettings.defaults();
    assertThat(ModelSelection.sameButSeed(d, d.withSeed(7))).isTrue();
    assertThat(ModelSelection.sameButSeed(d, d.withEpochs(d.epochs() + 1))).isFalse();
  }

  private static ModelSelection.Scores scores(double auc, double ap) {
    return new ModelSelection.Scores(Stats.of(auc), Stats.of(ap), Stats.of(0.3), 1);
  }
}
