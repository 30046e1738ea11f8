package dev.millrace.bench;

import dev.millrace.bench.Benchmarks.UserError;
import dev.millrace.ingest.demand.RossmannRows;
import dev.millrace.pipeline.demand.BikeFeatureEngine;
import dev.millrace.pipeline.demand.DemandFeatureEngine;
import dev.millrace.pipeline.demand.DemandFeatures;
import dev.millrace.pipeline.demand.StoreTable;
import dev.millrace.schemas.demand.DemandObservation;
import dev.millrace.schemas.demand.HourlyCount;
import dev.millrace.scorer.FeatureSchema;
import dev.millrace.trainer.eval.RegressionMetrics;
import dev.millrace.trainer.model.Dataset;
import dev.millrace.trainer.model.ModelHead;
import dev.millrace.trainer.model.TabularTrainer;
import dev.millrace.trainer.model.TrainSettings;
import dev.millrace.trainer.model.TrainedModel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.zip.GZIPInputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The Rossmann demand benchmark: each store's sales on its next open day, forecast at the open day
 * before with {@link DemandFeatureEngine}'s features; the Millrace net (regression head, log1p
 * target, entity embeddings) next to an XGBoost4J GBM (reg:squarederror on log1p) on the same
 * features and the same time split by target day: test = the last 48 days of the dev file,
 * validation = the 48 days before, training before that. Both models are trained on the training
 * days only; the validation days choose the settings, the net's early stopping and the GBM's number
 * of trees. Prints a Markdown report with RMSPE over open days with sales above 0. With {@code
 * --dataset bike_sharing}: the next hour's count of the UCI bike-sharing data ({@link
 * BikeFeatureEngine}), validation 2012-05..06, test 2012-07..08, RMSLE. See {@code
 * docs/benchmarks/demand.md}.
 */
@Command(
    name = "demand",
    mixinStandardHelpOptions = true,
    description =
        "Rossmann next-open-day sales: Millrace net vs XGBoost4J, RMSPE on the last 48 dev days"
            + " (validation: the 48 days before).")
public final class DemandBenchmark implements Callable<Integer> {

  /** The datasets folder, relative to the repository root. */
  public static final String DATASETS = "../shared/datasets";

  static final String TRAIN_FILE = "train_2013-01-01_2015-06-13.csv.gz";
  static final String STORE_FILE = "store.csv.gz";
  static final String BIKE_FILE = "hour_2011-01-01_2012-08-31.csv.gz";

  @Option(
      names = "--dataset",
      defaultValue = "rossmann",
      description =
          "rossmann (next open day's sales, RMSPE) or bike_sharing (next hour's count, RMSLE;"
              + " validation 2012-05..06, test 2012-07..08) (default: ${DEFAULT-VALUE})")
  String dataset;

  @Option(
      names = "--data-dir",
      description =
          "the dataset's folder (default: "
              + DATASETS
              + "/<dataset>); rossmann needs "
              + TRAIN_FILE
              + " and "
              + STORE_FILE
              + ", bike_sharing "
              + BIKE_FILE)
  Path dir;

  @Option(
      names = "--test-days",
      defaultValue = "48",
      description = "days in the test and in the validation period (default ${DEFAULT-VALUE})")
  int periodDays;

  @Option(
      names = "--epochs",
      defaultValue = "10",
      description = "net: epochs (default ${DEFAULT-VALUE})")
  int epochs;

  @Option(
      names = "--batch",
      defaultValue = "2048",
      description = "net: batch (default ${DEFAULT-VALUE})")
  int batch;

  @Option(
      names = "--lr",
      defaultValue = "3e-3",
      description = "net: peak learning rate (default ${DEFAULT-VALUE})")
  float learningRate;

  @Option(
      names = "--weight-decay",
      defaultValue = "1e-4",
      description = "net: AdamW decay (default ${DEFAULT-VALUE})")
  float weightDecay;

  @Option(
      names = "--hidden",
      split = ",",
      defaultValue = "256,128",
      description = "net: hidden layers (default ${DEFAULT-VALUE})")
  int[] hidden;

  @Option(
      names = "--dropout",
      defaultValue = "0.1",
      description = "net: dropout (default ${DEFAULT-VALUE})")
  float dropout;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description = "net: seed (default ${DEFAULT-VALUE})")
  long seed;

  @Option(
      names = "--gbm-rounds",
      split = ",",
      defaultValue = "200,400,800",
      description =
          "GBM: tree counts to evaluate; the one best on validation is reported (default ${DEFAULT-VALUE})")
  int[] gbmRounds;

  @Option(
      names = "--gbm-depth",
      defaultValue = "10",
      description = "GBM: tree depth (default ${DEFAULT-VALUE})")
  int gbmDepth;

  @Option(
      names = "--gbm-eta",
      defaultValue = "0.05",
      description = "GBM: learning rate (default ${DEFAULT-VALUE})")
  double gbmEta;

  @Option(
      names = "--validation-only",
      description =
          "print validation metrics only (test columns blank): for choosing settings without"
              + " looking at the test period")
  boolean validationOnly;

  @Option(names = "--no-net", description = "skip the net")
  boolean noNet;

  @Option(names = "--no-gbm", description = "skip the GBM")
  boolean noGbm;

  @Option(names = "--threads", description = "threads for XGBoost (default: available processors)")
  Integer threads;

  @Spec CommandSpec spec;

  /** Labelled forecasts of the dev file, in target-day order within each store. */
  record Examples(
      List<float[]> features, List<Float> sales, List<Long> targetDays, List<String> stores) {}

  /** The split of one dataset's labelled forecasts, with what the report says about them. */
  record Split(
      Dataset train,
      Dataset validation,
      Dataset test,
      List<String> names,
      Map<String, List<String>> vocabularies,
      String metric,
      String description) {}

  @Override
  public Integer call() throws IOException {
    if (!"rossmann".equals(dataset) && !"bike_sharing".equals(dataset)) {
      throw new UserError("unknown dataset " + dataset + ": expected rossmann or bike_sharing");
    }
    if (dir == null) {
      dir = Path.of(DATASETS, dataset);
    }
    PrintWriter out = spec.commandLine().getOut();
    long t0 = System.nanoTime();
    Split split = "rossmann".equals(dataset) ? rossmann() : bike();
    Dataset train = split.train();
    Dataset validation = split.validation();
    Dataset test = split.test();
    boolean rmspe = "RMSPE".equals(split.metric());
    out.printf(
        Locale.ROOT,
        "## %s (%s)%n%n",
        rmspe ? "Rossmann next-open-day sales" : "Bike sharing next-hour count",
        LocalDate.now(ZoneOffset.UTC));
    out.printf("Machine: %s; load average at start %s.%n%n", Machine.describe(), loadAverage());
    out.printf(
        Locale.ROOT,
        "%s; %d features; features %.1f s.%n%n",
        split.description(),
        split.names().size(),
        (System.nanoTime() - t0) / 1e9);
    out.flush();
    List<String> rows = new ArrayList<>();
    if (!noNet) {
      TrainSettings settings =
          new TrainSettings(
              epochs, batch, learningRate, weightDecay, hidden, dropout, true, seed, false);
      try (TrainedModel model =
          new TabularTrainer(settings)
              .train(
                  "demand",
                  "bench",
                  new FeatureSchema(split.names()),
                  train,
                  validation,
                  ModelHead.regressionLog1p(),
                  split.vocabularies())) {
        float[] pv = model.predict(validation.features());
        float[] pt = model.predict(test.features());
        rows.add(
            row(
                String.format(
                    Locale.ROOT,
                    "Millrace net %s, %d/%d epochs (kept %d), batch %d, lr %s, dropout %s",
                    Arrays.toString(hidden),
                    model.epochLosses().size(),
                    epochs,
                    model.manifest().training().bestEpoch(),
                    batch,
                    learningRate,
                    dropout),
                validation,
                pv,
                test,
                pt,
                model.trainingTime()));
        out.println("net validation losses: " + model.validationLosses());
        out.flush();
      }
    }
    if (!noGbm) {
      int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
      int max = Arrays.stream(gbmRounds).max().orElseThrow();
      XgboostBaseline.RegressionResult gbm =
          XgboostBaseline.trainRegressionLog1p(
              train,
              new XgboostBaseline.Settings(max, gbmDepth, gbmEta, "hist", n, 0),
              gbmRounds,
              validation,
              test);
      int best = 0;
      for (int r = 0; r < gbmRounds.length; r++) {
        double v = primary(rmspe, validation.labels(), gbm.predictions()[0][r]);
        out.printf(
            Locale.ROOT, "GBM %d trees: validation %s %.4f%n", gbmRounds[r], split.metric(), v);
        if (v < primary(rmspe, validation.labels(), gbm.predictions()[0][best])) {
          best = r;
        }
      }
      rows.add(
          row(
              String.format(
                  Locale.ROOT,
                  "XGBoost hist, %d trees (best of %s on validation), depth %d, eta %s",
                  gbmRounds[best],
                  Arrays.toString(gbmRounds),
                  gbmDepth,
                  gbmEta),
              validation,
              gbm.predictions()[0][best],
              test,
              gbm.predictions()[1][best],
              gbm.trainingTime()));
    }
    out.println();
    out.println(
        "| model | validation RMSPE | validation RMSLE | test RMSPE | test RMSE | test RMSLE |"
            + " training time |");
    out.println("|---|---:|---:|---:|---:|---:|---:|");
    rows.forEach(out::println);
    out.printf(
        Locale.ROOT,
        "%nRMSPE over rows with a target > 0; settings chosen on %s; total wall time %.0f s.%n",
        split.metric(),
        (System.nanoTime() - t0) / 1e9);
    out.flush();
    return 0;
  }

  private static double primary(boolean rmspe, float[] labels, float[] predictions) {
    return rmspe
        ? RegressionMetrics.rmspe(labels, predictions)
        : RegressionMetrics.rmsle(labels, predictions);
  }

  /** Bike sharing: next hour's count, split by target hour into months. */
  private Split bike() throws IOException {
    Path file = dir.resolve(BIKE_FILE);
    if (!Files.isRegularFile(file)) {
      throw new UserError(
          "the bike_sharing dataset is missing: expected "
              + file
              + " (see ../shared/datasets/bike_sharing/README.md)");
    }
    Examples ex = bikeFeatures(file, new BikeFeatureEngine(2011));
    long valStart = LocalDate.of(2012, 5, 1).toEpochDay() * 24;
    long testStart = LocalDate.of(2012, 7, 1).toEpochDay() * 24;
    long end = LocalDate.of(2012, 9, 1).toEpochDay() * 24;
    Dataset train = slice(ex, Long.MIN_VALUE, valStart, 3_600_000L);
    Dataset validation = slice(ex, valStart, testStart, 3_600_000L);
    Dataset test = slice(ex, testStart, end, 3_600_000L);
    return new Split(
        train,
        validation,
        test,
        BikeFeatureEngine.NAMES,
        BikeFeatureEngine.vocabularies(),
        "RMSLE",
        String.format(
            Locale.ROOT,
            "Forecasts by target hour: train ..2012-04-30 (%d rows), validation 2012-05-01..06-30"
                + " (%d), test 2012-07-01..08-31 (%d)",
            train.size(),
            validation.size(),
            test.size()));
  }

  /** Replays the hourly file through the engine and keeps each labelled next-hour forecast. */
  static Examples bikeFeatures(Path file, BikeFeatureEngine engine) throws IOException {
    Examples ex =
        new Examples(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get();
    try (BufferedReader reader =
        new BufferedReader(
            new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(file)), StandardCharsets.UTF_8))) {
      for (CSVRecord r : format.parse(reader)) {
        int hr = Integer.parseInt(r.get("hr"));
        java.time.Instant start =
            LocalDate.parse(r.get("dteday")).atStartOfDay().plusHours(hr).toInstant(ZoneOffset.UTC);
        DemandObservation obs =
            DemandObservation.newBuilder()
                .setSeriesId("system")
                .setEventTime(start)
                .setObservation(
                    HourlyCount.newBuilder()
                        .setCounterId("system")
                        .setHour(hr)
                        .setCount(Integer.parseInt(r.get("cnt")))
                        .setHoliday("1".equals(r.get("holiday")))
                        .setWorkingDay("1".equals(r.get("workingday")))
                        .setWeatherSituation(Integer.parseInt(r.get("weathersit")))
                        .setTemperature(Double.parseDouble(r.get("temp")))
                        .setHumidity(Double.parseDouble(r.get("hum")))
                        .setWindSpeed(Double.parseDouble(r.get("windspeed")))
                        .build())
                .build();
        DemandFeatureEngine.Step step = engine.onHour(obs);
        if (step.refusal() != null) {
          throw new IllegalStateException("row refused: " + step.detail());
        }
        if (step.labelled() != null) {
          ex.features().add(step.labelled().features());
          ex.sales().add((float) step.labelled().sales());
          ex.targetDays().add(step.labelled().targetDay());
          ex.stores().add(step.labelled().storeId());
        }
      }
    }
    return ex;
  }

  /** Rossmann: next open day's sales, split by target day into 48-day periods. */
  private Split rossmann() throws IOException {
    Path trainFile = dir.resolve(TRAIN_FILE);
    Path storeFile = dir.resolve(STORE_FILE);
    if (!Files.isRegularFile(trainFile) || !Files.isRegularFile(storeFile)) {
      throw new UserError(
          "the rossmann dataset is missing: expected "
              + trainFile
              + " and "
              + storeFile
              + " (see ../shared/datasets/rossmann/README.md)");
    }
    StoreTable stores = StoreTable.read(storeFile);
    DemandFeatureEngine engine = new DemandFeatureEngine(stores);
    Examples ex = features(trainFile, engine);

    long lastDay = ex.targetDays().stream().mapToLong(Long::longValue).max().orElseThrow();
    long testStart = lastDay - periodDays + 1;
    long validationStart = testStart - periodDays;
    Dataset train = slice(ex, Long.MIN_VALUE, validationStart, 86_400_000L);
    Dataset validation = slice(ex, validationStart, testStart, 86_400_000L);
    Dataset test = slice(ex, testStart, lastDay + 1, 86_400_000L);
    return new Split(
        train,
        validation,
        test,
        DemandFeatures.NAMES,
        engine.vocabularies(),
        "RMSPE",
        String.format(
            Locale.ROOT,
            "Forecasts by target day: train ..%s (%d rows), validation %s..%s (%d), test %s..%s"
                + " (%d)",
            LocalDate.ofEpochDay(validationStart - 1),
            train.size(),
            LocalDate.ofEpochDay(validationStart),
            LocalDate.ofEpochDay(testStart - 1),
            validation.size(),
            LocalDate.ofEpochDay(testStart),
            LocalDate.ofEpochDay(lastDay),
            test.size()));
  }

  private String row(
      String name, Dataset validation, float[] pv, Dataset test, float[] pt, Duration took) {
    if (validationOnly) {
      return String.format(
          Locale.ROOT,
          "| %s | %.4f | %.4f | - | - | - | %.0f s |",
          name,
          RegressionMetrics.rmspe(validation.labels(), pv),
          RegressionMetrics.rmsle(validation.labels(), pv),
          took.toMillis() / 1000.0);
    }
    return String.format(
        Locale.ROOT,
        "| %s | %.4f | %.4f | %.4f | %.0f | %.4f | %.0f s |",
        name,
        RegressionMetrics.rmspe(validation.labels(), pv),
        RegressionMetrics.rmsle(validation.labels(), pv),
        RegressionMetrics.rmspe(test.labels(), pt),
        RegressionMetrics.rmse(test.labels(), pt),
        RegressionMetrics.rmsle(test.labels(), pt),
        took.toMillis() / 1000.0);
  }

  /** Rows whose target (day or hour, {@code unitMs} long) is in {@code [from, to)}. */
  static Dataset slice(Examples ex, long from, long to, long unitMs) {
    List<Integer> idx = new ArrayList<>();
    for (int i = 0; i < ex.targetDays().size(); i++) {
      long d = ex.targetDays().get(i);
      if (d >= from && d < to) {
        idx.add(i);
      }
    }
    float[][] x = new float[idx.size()][];
    float[] y = new float[idx.size()];
    long[] t = new long[idx.size()];
    String[] s = new String[idx.size()];
    for (int j = 0; j < idx.size(); j++) {
      int i = idx.get(j);
      x[j] = ex.features().get(i);
      y[j] = ex.sales().get(i);
      t[j] = ex.targetDays().get(i) * unitMs;
      s[j] = ex.stores().get(i);
    }
    return new Dataset(x, y, t, s);
  }

  /**
   * Replays the dev file through the engine in file order (date, store), mapped as {@code millrace
   * replay demand} maps it ({@link RossmannRows}): each row carries the plan of its store's next
   * open day with sales (that day's weekday, promotion and holidays, known in advance as in
   * Kaggle's test file; never its sales), and each labelled forecast is kept.
   */
  static Examples features(Path trainFile, DemandFeatureEngine engine) throws IOException {
    List<DemandObservation> rows = RossmannRows.read(trainFile);
    Examples ex =
        new Examples(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    for (int i = 0; i < rows.size(); i++) {
      DemandObservation obs = rows.get(i);
      DemandFeatureEngine.Step step = engine.onDay(obs);
      if (step.refusal() != null) {
        throw new IllegalStateException("row " + (i + 2) + " refused: " + step.detail());
      }
      if (step.labelled() != null) {
        ex.features().add(step.labelled().features());
        ex.sales().add((float) step.labelled().sales());
        ex.targetDays().add(step.labelled().targetDay());
        ex.stores().add(step.labelled().storeId());
      }
    }
    return ex;
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
