package dev.millrace.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.scorer.model.DjlModelLoader;
import dev.millrace.scorer.model.DriftReference;
import dev.millrace.scorer.model.ModelStore;
import dev.millrace.trainer.Synthetic.Labels;
import dev.millrace.trainer.eval.Slice;
import dev.millrace.trainer.model.TrainSettings;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One run at a time, with real DJL training, a real model store and the real loader. */
class RetrainRunTest {

  static final TrainSettings FAST =
      new TrainSettings(12, 128, 1e-2f, 1e-4f, new int[] {16}, 0f, false, 7L, true);

  @TempDir Path dir;

  private ModelStore store;
  private final List<ModelAnnouncement> announced = new ArrayList<>();
  private RetrainRun run;

  static TrainerSettings settings(Path dir) {
    return TrainerSettings.defaults(
            "unused-in-this-test:9092",
            TopicRegistry.standard(),
            Task.FRAUD,
            Synthetic.SCHEMA,
            dir.resolve("models").toUri())
        .withWindow(10_000, 0.2, 100)
        .withTrainSettings(FAST);
  }

  @BeforeEach
  void setUp() {
    TrainerSettings settings = settings(dir);
    store = new ModelStore(settings.modelStore());
    run = new RetrainRun(settings, store, new DjlModelLoader(), announced::add, Clock.systemUTC());
  }

  @Test
  void aFirstModelThatBeatsTheBaselineIsStoredThenAnnouncedAsChampion() throws Exception {
    Slice window = Synthetic.window(2_000, 2_000, Labels.INFORMATIVE, Labels.INFORMATIVE, 1);

    RetrainRun.Outcome outcome = run.run(window, "fraud-test-1", "test", null);
    TrainingRecord r = outcome.record();

    assertThat(r.decision()).as(r.reason()).isEqualTo(RunDecision.PROMOTED);
    // the last 400 rows evaluate; the 60 rows (one a minute) of the one-hour label lag before
    // them form the gap and train nothing
    assertThat(r.evalGapMillis()).isEqualTo(Synthetic.LABEL_LAG);
    assertThat(r.gapRows()).isEqualTo(60);
    assertThat(r.trainRows()).isEqualTo(1_540);
    assertThat(r.evalRows() + r.knownPositiveRowsRemoved()).isEqualTo(400);
    assertThat(r.evalStart()).isAfter(window.start());
    assertThat(r.evalStart().toEpochMilli()).isEqualTo(window.eventTimeMillis()[1_600]);
    // a first model against the no-skill baseline: the whole interval lies above 0
    assertThat(r.promotionInterval().lower()).as(r.reason()).isPositive();
    assertThat(r.reason()).contains("first model", "90% CI", "→ promoted");
    assertThat(r.challengerMetrics().get("average_precision")).isGreaterThan(r.baseline() + 0.2);
    assertThat(r.challengerMetrics().get("roc_auc")).isGreaterThan(0.8);
    assertThat(r.epochLosses()).hasSize(FAST.epochs());
    assertThat(r.device()).isNotBlank();

    assertThat(announced).hasSize(1);
    ModelAnnouncement a = announced.get(0);
    assertThat(outcome.promoted()).isEqualTo(a);
    assertThat(a.getStatus()).isEqualTo(ModelStatus.CHAMPION);
    assertThat(a.getVersion()).isEqualTo("fraud-test-1");
    assertThat(a.getTask()).isEqualTo(Task.FRAUD);
    assertThat(a.getFeatureSchemaFingerprint()).isEqualTo(Synthetic.SCHEMA.fingerprint());
    assertThat(a.getMetrics()).isEqualTo(r.challengerMetrics());
    // the model learnt only from the older part of the window
    assertThat(a.getTrainingWindowStart()).isEqualTo(window.start());
    assertThat(a.getTrainingWindowEnd().toEpochMilli()).isEqualTo(window.eventTimeMillis()[1_539]);
    // the artifact is in the store and its bytes hash to the announced SHA-256
    URI uri = URI.create(a.getArtifactUri());
    assertThat(r.artifactUri()).isEqualTo(a.getArtifactUri());
    assertThat(Files.exists(Path.of(uri))).isTrue();
    assertThat(sha256(uri)).isEqualTo(a.getSha256()).isEqualTo(r.sha256());
    // the bundle carries the drift reference: every feature and the score, fractions summing to 1
    DriftReference ref = DriftReference.of(a).orElseThrow();
    assertThat(ref.features().keySet()).containsExactlyElementsOf(Synthetic.SCHEMA.names());
    assertThat(ref.score().size()).isGreaterThan(2);
    assertThat(ref.score().fractions().stream().mapToDouble(Double::doubleValue).sum())
        .isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-9));
  }

  @Test
  void aChallengerThatLearntNothingIsRejectedAndTheChampionStays() throws Exception {
    ModelAnnouncement champion =
        run.run(
                Synthetic.window(2_000, 2_000, Labels.INFORMATIVE, Labels.INFORMATIVE, 2),
                "fraud-good",
                "test",
                null)
            .promoted();
    assertThat(champion).isNotNull();
    announced.clear();

    // Labels of the training part are noise; the later slice follows the real pattern again.
    Slice window = Synthetic.window(2_000, 1_600, Labels.NOISE, Labels.INFORMATIVE, 3);
    RetrainRun.Outcome outcome = run.run(window, "fraud-noise", "test", champion);
    TrainingRecord r = outcome.record();

    assertThat(r.decision()).as(r.reason()).isEqualTo(RunDecision.REJECTED);
    assertThat(r.reason()).contains("vs champion", "→ kept champion");
    assertThat(r.promotionInterval().lower()).as(r.reason()).isNotPositive();
    assertThat(r.championVersion()).isEqualTo("fraud-good");
    assertThat(r.championMetrics().get("average_precision"))
        .isGreaterThan(r.challengerMetrics().get("average_precision"));
    assertThat(outcome.promoted()).isNull();
    assertThat(announced).isEmpty();
    assertThat(r.artifactUri()).isNull();
    assertThat(Files.exists(dir.resolve("models/fraud/fraud-noise.zip"))).isFalse();
  }

  @Test
  void aWindowWithoutPositivesTrainsNothing() {
    Slice window = Synthetic.window(1_000, 1_000, Labels.NONE, Labels.NONE, 4);
    TrainingRecord r = run.run(window, "fraud-none", "test", null).record();
    assertThat(r.decision()).isEqualTo(RunDecision.SKIPPED_NO_POSITIVES);
    assertThat(r.reason()).contains("no positive example among the 1000 rows");
    assertThat(r.challengerMetrics()).isNull();
    assertThat(announced).isEmpty();
    assertThat(Files.exists(dir.resolve("models"))).isFalse();
  }

  @Test
  void anEvaluationSliceWithoutPositivesTrainsNothing() {
    Slice window = Synthetic.window(1_000, 800, Labels.INFORMATIVE, Labels.NONE, 5);
    TrainingRecord r = run.run(window, "fraud-late-none", "test", null).record();
    assertThat(r.decision()).isEqualTo(RunDecision.SKIPPED_NO_POSITIVES);
    assertThat(r.reason()).contains("evaluation slice");
    assertThat(r.trainPositives()).isPositive();
    assertThat(r.evalPositives()).isZero();
    assertThat(announced).isEmpty();
  }

  @Test
  void tooFewTrainingRowsSkips() {
    // 150 rows a minute apart: 30 evaluate from minute 120, training stops at minute 60 (the gap
    // of the one-hour label lag), which leaves 60 training rows, fewer than the 100 needed.
    Slice window = Synthetic.window(150, 150, Labels.INFORMATIVE, Labels.INFORMATIVE, 6);
    TrainingRecord r = run.run(window, "fraud-small", "test", null).record();
    assertThat(r.decision()).as(r.reason()).isEqualTo(RunDecision.SKIPPED_TOO_FEW_ROWS);
    assertThat(r.trainRows()).isEqualTo(60);
    assertThat(r.gapRows()).isEqualTo(60);
    assertThat(r.reason()).contains("60 training rows", "gap 1h", "need at least 100");
    assertThat(announced).isEmpty();
  }

  @Test
  void aWindowShorterThanTheGapIsSkippedWithItsReason() {
    // 50 rows a minute apart span 49 minutes, less than the one-hour gap: nothing can train.
    Slice window = Synthetic.window(50, 50, Labels.INFORMATIVE, Labels.INFORMATIVE, 6);
    TrainingRecord r = run.run(window, "fraud-small", "test", null).record();
    assertThat(r.decision()).as(r.reason()).isEqualTo(RunDecision.SKIPPED_TOO_FEW_ROWS);
    assertThat(r.reason())
        .contains("window spans 49m", "less than the evaluation gap 1h", "skipped");
    assertThat(r.trainRows()).isZero();
    assertThat(announced).isEmpty();
  }

  @Test
  void aFailingAnnouncementIsRecordedAsAFailedRun() {
    RetrainRun failing =
        new RetrainRun(
            settings(dir),
            store,
            new DjlModelLoader(),
            a -> {
              throw new IllegalStateException("broker gone");
            },
            Clock.systemUTC());
    Slice window = Synthetic.window(2_000, 2_000, Labels.INFORMATIVE, Labels.INFORMATIVE, 7);
    RetrainRun.Outcome outcome = failing.run(window, "fraud-unlucky", "test", null);
    assertThat(outcome.record().decision()).isEqualTo(RunDecision.FAILED);
    assertThat(outcome.record().reason()).contains("broker gone");
    assertThat(outcome.promoted()).isNull();
  }

  static String sha256(URI uri) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    try (InputStream in = Files.newInputStream(Path.of(uri))) {
      sha.update(in.readAllBytes());
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /**
   * Churn's labels: a 0 known an hour after its point (the next purchase), a 1 only after the
   * horizon. The window holds the examples that have arrived, so its newest horizon is all zeros.
   */
  private record Stream(Slice arrived, double prevalence) {}

  /** Few customers, each scored many times: most have churned at some point before any slice. */
  private static final int CUSTOMERS = 300;

  private RetrainRun runWith(TaskModel model) {
    return new RetrainRun(
        settings(dir).withModel(model),
        store,
        new DjlModelLoader(),
        announced::add,
        Clock.systemUTC());
  }

  private static Stream classDependentLabels(int rows, long horizonMillis) {
    java.util.Random random = new java.util.Random(5);
    List<Integer> arrived = new ArrayList<>();
    float[][] f = new float[rows][];
    float[] y = new float[rows];
    long[] t = new long[rows];
    long[] lt = new long[rows];
    String[] ids = new String[rows];
    long now = Synthetic.START + (rows - 1) * Synthetic.MINUTE;
    for (int i = 0; i < rows; i++) {
      f[i] = Synthetic.features(random);
      y[i] = Synthetic.label(f[i], Labels.INFORMATIVE, random);
      t[i] = Synthetic.START + i * Synthetic.MINUTE;
      lt[i] = t[i] + (y[i] > 0 ? horizonMillis : Synthetic.LABEL_LAG);
      ids[i] = "customer-" + (i % CUSTOMERS);
      if (lt[i] <= now) {
        arrived.add(i);
      }
    }
    double positives = 0;
    for (float v : y) {
      positives += v;
    }
    return new Stream(
        new Slice(f, y, t, ids, lt).rows(arrived.stream().mapToInt(Integer::intValue).toArray()),
        positives / rows);
  }

  @Test
  void labelsThatSettleByClassAreTrainedAndEvaluatedOnSettledRowsOnly() throws Exception {
    long horizon = 2_000 * Synthetic.MINUTE;
    Stream stream = classDependentLabels(10_000, horizon);
    Slice window = stream.arrived();
    // The newest 2,000 minutes hold only zeros: more than the evaluation slice.
    long newestLabel = java.util.Arrays.stream(window.labelTimeMillis()).max().orElseThrow();
    long tailPositives = 0;
    for (int i = 0; i < window.size(); i++) {
      if (window.eventTimeMillis()[i] > newestLabel - horizon) {
        tailPositives += window.labels()[i] > 0 ? 1 : 0;
      }
    }
    assertThat(tailPositives).isZero();

    // On every row, the evaluation slice is mostly the all-zero tail: its prevalence is a fraction
    // of the stream's, and so is every figure measured on it.
    TrainingRecord unsettled =
        runWith(TaskModel.binary().keepingKnownPositives())
            .run(window, "churn-all-rows", "test", null)
            .record();
    assertThat(unsettled.evalPositives() / (double) unsettled.evalRows())
        .as(unsettled.reason())
        .isLessThan(stream.prevalence() / 2);

    TrainingRecord r =
        runWith(TaskModel.binary().settledOnly(window.size()).keepingKnownPositives())
            .run(window, "churn-settled", "test", null)
            .record();
    assertThat(r.decision()).as(r.reason()).isEqualTo(RunDecision.PROMOTED);
    assertThat(r.reason()).contains("newest rows of the window left out");
    // the evaluation slice ends a horizon before the newest label: every label of it is known,
    // and its prevalence is the stream's
    assertThat(r.evalPositives() / (double) r.evalRows())
        .isCloseTo(stream.prevalence(), org.assertj.core.api.Assertions.within(0.04));
    assertThat(r.knownPositiveRowsRemoved()).isZero();

    // Fraud's rule (known-positive cards leave the slice) would empty churn's slice: nearly every
    // customer has churned at some earlier point and come back.
    TrainingRecord fraudRule =
        runWith(TaskModel.binary().settledOnly(window.size()))
            .run(window, "churn-fraud-rule", "test", null)
            .record();
    assertThat(fraudRule.knownPositiveRowsRemoved())
        .as(fraudRule.reason())
        .isGreaterThan(9 * r.evalRows() / 10);
    assertThat(r.evalGapMillis()).isEqualTo(horizon);
  }
}
