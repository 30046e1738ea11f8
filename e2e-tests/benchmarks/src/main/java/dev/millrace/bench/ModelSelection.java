package dev.millrace.bench;

import dev.millrace.pipeline.fraud.FraudFeatures;
import dev.millrace.trainer.eval.HandbookMetrics;
import dev.millrace.trainer.eval.Metrics;
import dev.millrace.trainer.model.Dataset;
import dev.millrace.trainer.model.TabularTrainer;
import dev.millrace.trainer.model.TrainSettings;
import dev.millrace.trainer.model.TrainedModel;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Hyperparameter choice on a validation period that ends before the test period (the handbook's
 * chapter 5 model selection: the validation fold is the test protocol shifted back by delay + one
 * week, e.g. train 2018-07-11..17, delay 7 days, validate 07-25..31 with the known compromised
 * cards removed). Every candidate is trained on the validation split's training week and scored on
 * its assessment week; the choice is the candidate with the highest mean average precision. The
 * test week is never looked at here.
 */
public final class ModelSelection {

  /** Validation metrics: means over seeds (AUC, AP, CP@100 as the handbook) and their sds. */
  public record Scores(Stats auc, Stats ap, Stats cp100, double seconds) {}

  /** One net candidate and its validation scores. */
  public record NetCandidate(TrainSettings settings, Scores scores) {}

  /** One XGBoost candidate and its validation scores. */
  public record XgbCandidate(XgboostBaseline.Settings settings, Scores scores) {}

  private ModelSelection() {}

  /** Every combination of the grid values, in grid order, on top of {@code base}. */
  public static List<TrainSettings> netGrid(
      TrainSettings base,
      List<Boolean> balance,
      List<Float> dropout,
      List<Integer> epochs,
      List<Float> learningRates) {
    List<TrainSettings> out = new ArrayList<>();
    for (boolean b : balance) {
      for (float d : dropout) {
        for (int e : epochs) {
          for (float lr : learningRates) {
            out.add(
                new TrainSettings(
                    e,
                    base.batchSize(),
                    lr,
                    base.weightDecay(),
                    base.hiddenSizes(),
                    d,
                    base.batchNorm(),
                    base.seed(),
                    b));
          }
        }
      }
    }
    return out;
  }

  /** Every combination of the XGBoost grid values. */
  public static List<XgboostBaseline.Settings> xgbGrid(
      List<Integer> rounds,
      List<Integer> depths,
      List<Double> etas,
      String treeMethod,
      int threads) {
    List<XgboostBaseline.Settings> out = new ArrayList<>();
    for (int d : depths) {
      for (int r : rounds) {
        for (double eta : etas) {
          out.add(new XgboostBaseline.Settings(r, d, eta, treeMethod, threads, 0));
        }
      }
    }
    return out;
  }

  /** Trains each net candidate with {@code seeds} seeds on the split and scores it. */
  public static List<NetCandidate> nets(
      HandbookSplit.Result split, List<TrainSettings> grid, int seeds) {
    List<NetCandidate> out = new ArrayList<>();
    int i = 0;
    for (TrainSettings candidate : grid) {
      i++;
      List<double[]> runs = new ArrayList<>();
      double seconds = 0;
      for (int s = 0; s < seeds; s++) {
        TrainSettings ts = candidate.withSeed(candidate.seed() + s);
        try (TrainedModel trained =
            new TabularTrainer(ts)
                .train(
                    "fraud", "select-" + i + "-s" + s, FraudFeatures.SCHEMA, split.train(), null)) {
          seconds += trained.trainingTime().toMillis() / 1e3;
          float[] p = trained.predict(split.test().features());
          runs.add(metrics(split.test(), p));
        }
      }
      Scores scores = scores(runs, seconds);
      log(
          "  net %d/%d %s: validation AUC %.3f AP %.3f CP@100 %.3f (%.0f s)",
          i,
          grid.size(),
          describe(candidate),
          scores.auc().mean(),
          scores.ap().mean(),
          scores.cp100().mean(),
          seconds);
      out.add(new NetCandidate(candidate, scores));
    }
    return out;
  }

  /** Trains each XGBoost candidate on the split and scores it (exact method: deterministic). */
  public static List<XgbCandidate> xgbs(
      HandbookSplit.Result split, List<XgboostBaseline.Settings> grid) {
    List<XgbCandidate> out = new ArrayList<>();
    for (XgboostBaseline.Settings candidate : grid) {
      XgboostBaseline.Result r =
          XgboostBaseline.trainAndPredict(split.train(), split.test(), candidate);
      Scores scores =
          scores(
              List.of(metrics(split.test(), r.predictions())), r.trainingTime().toMillis() / 1e3);
      log(
          "  XGBoost %d trees, depth %d, eta %s: validation AUC %.3f AP %.3f CP@100 %.3f",
          candidate.rounds(),
          candidate.maxDepth(),
          candidate.eta(),
          scores.auc().mean(),
          scores.ap().mean(),
          scores.cp100().mean());
      out.add(new XgbCandidate(candidate, scores));
    }
    return out;
  }

  /** The net candidate with the highest mean validation AP (the first one on a tie). */
  public static NetCandidate bestNet(List<NetCandidate> candidates) {
    return candidates.stream()
        .max(Comparator.comparingDouble((NetCandidate c) -> c.scores().ap().mean()))
        .orElseThrow();
  }

  /** The XGBoost candidate with the highest validation AP (the first one on a tie). */
  public static XgbCandidate bestXgb(List<XgbCandidate> candidates) {
    return candidates.stream()
        .max(Comparator.comparingDouble((XgbCandidate c) -> c.scores().ap().mean()))
        .orElseThrow();
  }

  /** {AUC, AP, CP@100 (handbook, detected cards removed)}. */
  static double[] metrics(Dataset test, float[] scores) {
    return new double[] {
      Metrics.rocAuc(test.labels(), scores),
      Metrics.averagePrecision(test.labels(), scores),
      HandbookMetrics.cardPrecisionTopK(
          test.labels(), scores, test.eventTimeMillis(), test.entityIds(), 100)
    };
  }

  static Scores scores(List<double[]> runs, double seconds) {
    return new Scores(
        Stats.of(runs.stream().mapToDouble(r -> r[0]).toArray()),
        Stats.of(runs.stream().mapToDouble(r -> r[1]).toArray()),
        Stats.of(runs.stream().mapToDouble(r -> r[2]).toArray()),
        seconds);
  }

  /** "class weight on, dropout 0.2, 30 epochs, lr 0.01". */
  static String describe(TrainSettings s) {
    return String.format(
        Locale.ROOT,
        "class weight %s, dropout %s, %d epochs, lr %s",
        s.balanceClasses() ? "on" : "off",
        s.dropout(),
        s.epochs(),
        s.maxLearningRate());
  }

  /** The same settings apart from the seed. */
  static boolean sameButSeed(TrainSettings a, TrainSettings b) {
    return a.withSeed(0).equals(b.withSeed(0));
  }

  private static void log(String format, Object... args) {
    System.err.println(String.format(Locale.ROOT, format, args));
  }
}
