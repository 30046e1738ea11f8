package dev.millrace.bench;

import dev.millrace.bench.Benchmarks.UserError;
import dev.millrace.ingest.Rejection;
import dev.millrace.ingest.ValidationRules;
import dev.millrace.ingest.churn.CdnowRows;
import dev.millrace.ingest.churn.ChurnValidation;
import dev.millrace.ingest.churn.OnlineRetailRows;
import dev.millrace.pipeline.churn.ChurnFeatureEngine;
import dev.millrace.pipeline.churn.ChurnFeatures;
import dev.millrace.pipeline.churn.ChurnSettings;
import dev.millrace.schemas.churn.ChurnActivity;
import dev.millrace.trainer.eval.Metrics;
import dev.millrace.trainer.model.Dataset;
import dev.millrace.trainer.model.ModelHead;
import dev.millrace.trainer.model.TabularTrainer;
import dev.millrace.trainer.model.TrainSettings;
import dev.millrace.trainer.model.TrainedModel;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.zip.GZIPInputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The churn benchmark: customers scored at a cut date with the churn task's own features ({@link
 * ChurnFeatureEngine}, the same code as the Flink job's state) from the purchases before the cut,
 * labelled churned when they buy nothing in the {@code H} days from the cut. Training rows come
 * from earlier cuts whose horizon ends before the evaluated cut. Settings of both models are chosen
 * on a validation cut before the test cut, never on the test cut. The Millrace net ({@link
 * TabularTrainer}, binary) and XGBoost4J get the same rows in the same run. Prints a Markdown
 * report.
 */
@Command(
    name = "churn",
    mixinStandardHelpOptions = true,
    description =
        "Churn at a cut date (no purchase in the next 90 days) on Online Retail and CDNOW, and the"
            + " static Telco table: Millrace net vs XGBoost4J, ROC AUC and AP.")
public final class ChurnBenchmark implements Callable<Integer> {

  private static final DateTimeFormatter RETAIL_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);
  private static final long DAY_MS = 86_400_000L;

  @Option(
      names = "--datasets",
      defaultValue = "../shared/datasets",
      description = "the shared datasets folder (default: ${DEFAULT-VALUE})")
  Path datasets;

  @Option(
      names = "--only",
      split = ",",
      defaultValue = "online_retail,cdnow,telco_churn",
      description = "datasets to run (default: ${DEFAULT-VALUE})")
  List<String> only;

  @Option(names = "--horizon-days", defaultValue = "90", description = "churn horizon H")
  int horizonDays;

  @Option(
      names = "--seeds",
      defaultValue = "1",
      description = "net: runs with seeds 42, 43, ... on the test cut; mean and spread reported")
  int seeds;

  @Option(
      names = "--threads",
      defaultValue = "2",
      description = "XGBoost threads (default: ${DEFAULT-VALUE})")
  int threads;

  @Option(
      names = "--embeddings",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "net: entity embeddings for the categorical features (country; Telco's categorical"
              + " columns); --no-embeddings feeds their vocabulary index as a number, as the GBM")
  boolean embeddings;

  @Option(names = "--out", description = "also write the report to this file")
  Path out;

  @Spec CommandSpec spec;

  /** A candidate setting of each model, tried on the validation cut. */
  static List<TrainSettings> netGrid() {
    List<TrainSettings> grid = new ArrayList<>();
    for (int epochs : new int[] {20, 40}) {
      for (float dropout : new float[] {0.1f, 0.3f}) {
        grid.add(
            new TrainSettings(
                epochs, 512, 1e-2f, 1e-2f, new int[] {128, 64}, dropout, true, 42L, false));
      }
    }
    return grid;
  }

  static List<XgboostBaseline.Settings> xgbGrid(int threads) {
    List<XgboostBaseline.Settings> grid = new ArrayList<>();
    for (int depth : new int[] {3, 6}) {
      for (double eta : new double[] {0.05, 0.3}) {
        grid.add(new XgboostBaseline.Settings(200, depth, eta, "hist", threads, 0));
      }
    }
    return grid;
  }

  /** One dataset's rows of one cut (or of several cuts, concatenated). */
  record Rows(List<float[]> features, List<Float> labels, List<Long> times) {
    Rows() {
      this(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    }

    void addAll(Rows other) {
      features.addAll(other.features);
      labels.addAll(other.labels);
      times.addAll(other.times);
    }

    Dataset dataset() {
      float[] y = new float[labels.size()];
      long[] t = new long[labels.size()];
      for (int i = 0; i < y.length; i++) {
        y[i] = labels.get(i);
        t[i] = times.get(i);
      }
      return new Dataset(features.toArray(new float[0][]), y, t, null);
    }

    double churnRate() {
      return labels.stream().mapToDouble(Float::doubleValue).average().orElse(Double.NaN);
    }
  }

  /** A time-ordered protocol: training cuts, the validation cut and the test cut. */
  record Protocol(
      List<LocalDate> trainCutsForValidation,
      LocalDate validationCut,
      List<LocalDate> trainCutsForTest,
      LocalDate testCut) {}

  /** The outcome of one dataset. */
  record Outcome(
      String dataset,
      String split,
      int trainRows,
      int testRows,
      double testChurnRate,
      String netSetting,
      double[] netAuc,
      double[] netAp,
      String xgbSetting,
      double xgbAuc,
      double xgbAp,
      Duration netTrainTime,
      Duration xgbTrainTime,
      Map<String, Long> skipped,
      long lines,
      String notes) {}

  @Override
  public Integer call() throws Exception {
    datasets = locate(datasets);
    long t0 = System.nanoTime();
    List<Outcome> outcomes = new ArrayList<>();
    List<Duration> walls = new ArrayList<>();
    for (String name : only) {
      Path dir = datasets.resolve(name);
      if (!Files.isDirectory(dir)) {
        spec.commandLine().getErr().println("skipping " + name + ": no folder " + dir);
        continue;
      }
      long start = System.nanoTime();
      switch (name) {
        case "online_retail" -> outcomes.add(onlineRetail(dir));
        case "cdnow" -> outcomes.add(cdnow(dir));
        case "telco_churn" -> outcomes.add(telco(dir));
        default -> throw new UserError("unknown dataset " + name);
      }
      walls.add(Duration.ofNanos(System.nanoTime() - start));
    }
    String report = report(outcomes, walls, Duration.ofNanos(System.nanoTime() - t0));
    PrintWriter w = spec.commandLine().getOut();
    w.print(report);
    w.flush();
    if (out != null) {
      Files.writeString(out, report);
    }
    return 0;
  }

  // ---------------------------------------------------------------- Online Retail

  Outcome onlineRetail(Path dir) throws IOException {
    List<ChurnActivity> lines = new ArrayList<>();
    long[] read = new long[1];
    Map<String, Long> skipped = new TreeMap<>();
    readRetail(dir.resolve("online_retail_ii_2009-12-01_2010-11-30.csv.gz"), lines, read, skipped);
    readRetail(dir.resolve("online_retail_2010-12-01_2011-08-31.csv.gz"), lines, read, skipped);
    // train on monthly cuts whose horizon ends by the evaluated cut; validation cut before test
    LocalDate test = LocalDate.parse("2011-06-01"); // + 90 days = 2011-08-30, inside the file
    LocalDate validation = LocalDate.parse("2011-03-01");
    Protocol p =
        new Protocol(
            monthly(LocalDate.parse("2010-03-01"), validation.minusDays(horizonDays)),
            validation,
            monthly(LocalDate.parse("2010-03-01"), test.minusDays(horizonDays)),
            test);
    return run(
        "Online Retail (II 2009-12..2010-11 + I 2010-12..2011-08)",
        p,
        lines,
        read[0],
        skipped,
        "InvoiceDate read as UTC; customers scored: bought in the 365 days before the cut");
  }

  private void readRetail(
      Path file, List<ChurnActivity> lines, long[] read, Map<String, Long> skipped)
      throws IOException {
    ValidationRules rules = ValidationRules.defaults();
    Instant now = Instant.parse("2100-01-01T00:00:00Z");
    if (!Files.isRegularFile(file)) {
      throw new UserError("no file " + file.toAbsolutePath());
    }
    OnlineRetailRows.read(
        file,
        a -> {
          read[0]++;
          accept(a, rules, now, lines, skipped);
        });
  }

  private static void accept(
      ChurnActivity a,
      ValidationRules rules,
      Instant now,
      List<ChurnActivity> lines,
      Map<String, Long> skipped) {
    java.util.Optional<Rejection> bad = ChurnValidation.check(a, rules, now);
    if (bad.isPresent()) {
      skipped.merge(bad.get().code(), 1L, Long::sum);
    } else {
      lines.add(a);
    }
  }

  // ---------------------------------------------------------------- CDNOW

  Outcome cdnow(Path dir) throws IOException {
    List<ChurnActivity> lines = new ArrayList<>();
    Map<String, Long> skipped = new TreeMap<>();
    long read = 0;
    // CDNOW is from 1997: the default earliest accepted time (2000) would refuse all of it
    ValidationRules rules =
        new ValidationRules(Instant.parse("1990-01-01T00:00:00Z"), Duration.ofDays(1));
    Instant now = Instant.parse("2100-01-01T00:00:00Z");
    List<ChurnActivity> all = new ArrayList<>();
    CdnowRows.read(dir.resolve("cdnow_master_1997-01-01_1997-09-30.csv.gz"), all::add);
    for (ChurnActivity a : all) {
      read++;
      accept(a, rules, now, lines, skipped);
    }
    // 9 months of dev data: weekly training cuts; the test cut is the last whose horizon fits
    LocalDate test = LocalDate.parse("1997-07-01"); // + 90 days = 1997-09-29
    LocalDate validation = LocalDate.parse("1997-05-01");
    Protocol p =
        new Protocol(
            weekly(LocalDate.parse("1997-01-15"), validation.minusDays(horizonDays)),
            validation,
            weekly(LocalDate.parse("1997-01-15"), test.minusDays(horizonDays)),
            test);
    return run(
        "CDNOW master (23,570 customers, 1997-01..09)",
        p,
        lines,
        read,
        skipped,
        "a basket = the purchases of one day; no country (out-of-vocabulary)");
  }

  // ---------------------------------------------------------------- common protocol

  private Outcome run(
      String name,
      Protocol p,
      List<ChurnActivity> lines,
      long read,
      Map<String, Long> skipped,
      String notes) {
    lines.sort(Comparator.comparing(ChurnActivity::getEventTime)); // stable: file order in a tie
    List<LocalDate> cuts = new ArrayList<>(p.trainCutsForTest());
    cuts.addAll(p.trainCutsForValidation());
    cuts.add(p.validationCut());
    cuts.add(p.testCut());
    Map<LocalDate, Rows> byCut = snapshots(lines, cuts);
    Rows trainVal = concat(byCut, p.trainCutsForValidation());
    Rows val = byCut.get(p.validationCut());
    Rows trainTest = concat(byCut, p.trainCutsForTest());
    Rows test = byCut.get(p.testCut());

    // choose each model's setting on the validation cut
    TrainSettings bestNet = null;
    double bestNetAuc = -1;
    StringBuilder tried = new StringBuilder();
    for (TrainSettings s : netGrid()) {
      double auc = netAuc(s, trainVal.dataset(), val.dataset())[0];
      tried.append(String.format(Locale.ROOT, "net %s: val AUC %.4f; ", describe(s), auc));
      if (auc > bestNetAuc) {
        bestNetAuc = auc;
        bestNet = s;
      }
    }
    XgboostBaseline.Settings bestXgb = null;
    double bestXgbAuc = -1;
    for (XgboostBaseline.Settings s : xgbGrid(threads)) {
      float[] pred =
          XgboostBaseline.trainAndPredict(trainVal.dataset(), val.dataset(), s).predictions();
      double auc = Metrics.rocAuc(val.dataset().labels(), pred);
      tried.append(String.format(Locale.ROOT, "xgb %s: val AUC %.4f; ", describe(s), auc));
      if (auc > bestXgbAuc) {
        bestXgbAuc = auc;
        bestXgb = s;
      }
    }
    spec.commandLine().getErr().println(name + " validation: " + tried);

    Dataset train = trainTest.dataset();
    Dataset testData = test.dataset();
    double[] aucs = new double[seeds];
    double[] aps = new double[seeds];
    Duration netTime = Duration.ZERO;
    for (int i = 0; i < seeds; i++) {
      TrainSettings s = bestNet.withSeed(42L + i);
      long t0 = System.nanoTime();
      double[] m = netAuc(s, train, testData);
      netTime = netTime.plusNanos(System.nanoTime() - t0);
      aucs[i] = m[0];
      aps[i] = m[1];
    }
    XgboostBaseline.Result xgb = XgboostBaseline.trainAndPredict(train, testData, bestXgb);
    String split =
        String.format(
            Locale.ROOT,
            "train cuts %s..%s (%d), validation cut %s (train cuts up to %s), test cut %s",
            p.trainCutsForTest().get(0),
            p.trainCutsForTest().get(p.trainCutsForTest().size() - 1),
            p.trainCutsForTest().size(),
            p.validationCut(),
            p.trainCutsForValidation().get(p.trainCutsForValidation().size() - 1),
            p.testCut());
    return new Outcome(
        name,
        split,
        train.size(),
        testData.size(),
        test.churnRate(),
        describe(bestNet) + String.format(Locale.ROOT, " (val AUC %.4f)", bestNetAuc),
        aucs,
        aps,
        describe(bestXgb) + String.format(Locale.ROOT, " (val AUC %.4f)", bestXgbAuc),
        Metrics.rocAuc(testData.labels(), xgb.predictions()),
        Metrics.averagePrecision(testData.labels(), xgb.predictions()),
        netTime.dividedBy(seeds),
        xgb.trainingTime(),
        skipped,
        read,
        notes
            + "; features: "
            + ChurnFeatures.SIZE
            + (embeddings
                ? " (COUNTRY: an entity embedding in the net, its vocabulary index in the GBM)"
                : " (COUNTRY as its vocabulary index in both)"));
  }

  /** [AUC, AP] of the net trained with {@code s} on {@code train}, on {@code eval}. */
  double[] netAuc(TrainSettings s, Dataset train, Dataset eval) {
    return net(
        s, ChurnFeatures.SCHEMA, embeddings ? ChurnFeatures.VOCABULARIES : Map.of(), train, eval);
  }

  /** [AUC, AP] of a net with entity embeddings for the features of {@code vocabularies}. */
  static double[] net(
      TrainSettings s,
      dev.millrace.scorer.FeatureSchema schema,
      Map<String, List<String>> vocabularies,
      Dataset train,
      Dataset eval) {
    try (TrainedModel m =
        new TabularTrainer(s)
            .train("churn", "bench", schema, train, null, ModelHead.binary(), vocabularies)) {
      float[] pred = m.predict(eval.features());
      return new double[] {
        Metrics.rocAuc(eval.labels(), pred), Metrics.averagePrecision(eval.labels(), pred)
      };
    }
  }

  /**
   * Feeds the lines in time order through the engine and takes, at each cut, the features of every
   * customer who bought in the 365 days before it (those the stream still keeps), labelled 1 when
   * they buy nothing in {@code [cut, cut + H]}.
   */
  Map<LocalDate, Rows> snapshots(List<ChurnActivity> lines, List<LocalDate> cutDates) {
    ChurnFeatureEngine engine = new ChurnFeatureEngine(ChurnSettings.defaults());
    Map<String, List<Long>> purchases = new HashMap<>();
    for (ChurnActivity a : lines) {
      if (a.getQuantity() > 0) {
        purchases
            .computeIfAbsent(a.getCustomerId(), k -> new ArrayList<>())
            .add(a.getEventTime().toEpochMilli());
      }
    }
    long horizon = horizonDays * DAY_MS;
    List<LocalDate> cuts = cutDates.stream().distinct().sorted().toList();
    Map<LocalDate, Rows> out = new TreeMap<>();
    int next = 0;
    int i = 0;
    while (next < cuts.size()) {
      long cut = cuts.get(next).atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli();
      while (i < lines.size() && lines.get(i).getEventTime().toEpochMilli() < cut) {
        engine.observe(lines.get(i++));
      }
      Rows rows = new Rows();
      List<String> ids = new ArrayList<>(engine.customers());
      ids.sort(null);
      for (String id : ids) {
        if (!engine.hasPurchased(id)) {
          continue;
        }
        float[] f = engine.features(id, cut);
        if (f == null || f[ChurnFeatures.RECENCY] > 365) {
          continue;
        }
        boolean buys = false;
        for (long t : purchases.get(id)) {
          if (t >= cut && t <= cut + horizon) {
            buys = true;
            break;
          }
        }
        rows.features.add(f);
        rows.labels.add(buys ? 0f : 1f);
        rows.times.add(cut);
      }
      out.put(cuts.get(next), rows);
      next++;
    }
    return out;
  }

  private static Rows concat(Map<LocalDate, Rows> byCut, List<LocalDate> cuts) {
    Rows all = new Rows();
    for (LocalDate c : cuts) {
      all.addAll(byCut.get(c));
    }
    return all;
  }

  static List<LocalDate> monthly(LocalDate first, LocalDate lastInclusive) {
    List<LocalDate> cuts = new ArrayList<>();
    for (LocalDate d = first; !d.isAfter(lastInclusive); d = d.plusMonths(1)) {
      cuts.add(d);
    }
    return cuts;
  }

  static List<LocalDate> weekly(LocalDate first, LocalDate lastInclusive) {
    List<LocalDate> cuts = new ArrayList<>();
    for (LocalDate d = first; !d.isAfter(lastInclusive); d = d.plusWeeks(1)) {
      cuts.add(d);
    }
    return cuts;
  }

  // ---------------------------------------------------------------- Telco (static)

  /** Categorical Telco columns, encoded as their index in the sorted values of the dev file. */
  private static final List<String> TELCO_CATEGORICAL =
      List.of(
          "gender",
          "Partner",
          "Dependents",
          "PhoneService",
          "MultipleLines",
          "InternetService",
          "OnlineSecurity",
          "OnlineBackup",
          "DeviceProtection",
          "TechSupport",
          "StreamingTV",
          "StreamingMovies",
          "Contract",
          "PaperlessBilling",
          "PaymentMethod");

  private static final List<String> TELCO_NUMERIC =
      List.of("SeniorCitizen", "tenure", "MonthlyCharges", "TotalCharges");

  Outcome telco(Path dir) throws IOException {
    List<CSVRecord> records;
    try (CSVParser csv = open(dir.resolve("telco_churn_dev.csv.gz"))) {
      records = csv.getRecords();
    }
    Map<String, List<String>> vocab = new HashMap<>();
    for (String c : TELCO_CATEGORICAL) {
      vocab.put(c, records.stream().map(r -> r.get(c)).distinct().sorted().toList());
    }
    List<String> names = new ArrayList<>(TELCO_NUMERIC);
    names.addAll(TELCO_CATEGORICAL);
    dev.millrace.scorer.FeatureSchema schema = new dev.millrace.scorer.FeatureSchema(names);
    Map<String, List<String>> telcoVocab = embeddings ? vocab : Map.of();
    // the README's held-back rule is md5 % 5 == 0; inside dev: 1 = test, 2 = validation
    Rows train = new Rows();
    Rows val = new Rows();
    Rows test = new Rows();
    for (CSVRecord r : records) {
      float[] f = new float[names.size()];
      for (int i = 0; i < TELCO_NUMERIC.size(); i++) {
        String v = r.get(TELCO_NUMERIC.get(i)).strip();
        f[i] = v.isEmpty() ? Float.NaN : Float.parseFloat(v);
      }
      for (int i = 0; i < TELCO_CATEGORICAL.size(); i++) {
        String c = TELCO_CATEGORICAL.get(i);
        f[TELCO_NUMERIC.size() + i] = vocab.get(c).indexOf(r.get(c));
      }
      float label = "Yes".equals(r.get("Churn")) ? 1f : 0f;
      int bucket = (int) (Long.parseLong(md5(r.get("customerID")).substring(0, 8), 16) % 5);
      Rows target = bucket == 1 ? test : bucket == 2 ? val : train;
      target.features.add(f);
      target.labels.add(label);
      target.times.add(0L);
    }
    TrainSettings bestNet = null;
    double bestNetAuc = -1;
    for (TrainSettings s : netGrid()) {
      double auc = net(s, schema, telcoVocab, train.dataset(), val.dataset())[0];
      if (auc > bestNetAuc) {
        bestNetAuc = auc;
        bestNet = s;
      }
    }
    XgboostBaseline.Settings bestXgb = null;
    double bestXgbAuc = -1;
    for (XgboostBaseline.Settings s : xgbGrid(threads)) {
      float[] pred =
          XgboostBaseline.trainAndPredict(train.dataset(), val.dataset(), s).predictions();
      double auc = Metrics.rocAuc(val.dataset().labels(), pred);
      if (auc > bestXgbAuc) {
        bestXgbAuc = auc;
        bestXgb = s;
      }
    }
    Rows trainAll = new Rows();
    trainAll.addAll(train);
    trainAll.addAll(val);
    double[] aucs = new double[seeds];
    double[] aps = new double[seeds];
    Duration netTime = Duration.ZERO;
    for (int i = 0; i < seeds; i++) {
      long t0 = System.nanoTime();
      double[] m =
          net(bestNet.withSeed(42L + i), schema, telcoVocab, trainAll.dataset(), test.dataset());
      netTime = netTime.plusNanos(System.nanoTime() - t0);
      aucs[i] = m[0];
      aps[i] = m[1];
    }
    XgboostBaseline.Result xgb =
        XgboostBaseline.trainAndPredict(trainAll.dataset(), test.dataset(), bestXgb);
    return new Outcome(
        "Telco (static, dev file)",
        "md5(customerID) % 5: 1 = test, 2 = validation, 3-4 = train (0 is held back)",
        trainAll.labels().size(),
        test.labels().size(),
        test.churnRate(),
        describe(bestNet) + String.format(Locale.ROOT, " (val AUC %.4f)", bestNetAuc),
        aucs,
        aps,
        describe(bestXgb) + String.format(Locale.ROOT, " (val AUC %.4f)", bestXgbAuc),
        Metrics.rocAuc(test.dataset().labels(), xgb.predictions()),
        Metrics.averagePrecision(test.dataset().labels(), xgb.predictions()),
        netTime.dividedBy(seeds),
        xgb.trainingTime(),
        Map.of(),
        records.size(),
        (embeddings
                ? "scored once per row; categorical columns: entity embeddings in the net,"
                    + " vocabulary indices in the GBM"
                : "scored once per row; categorical columns as vocabulary indices in both")
            + "; published: LR/GB about"
            + " 0.84-0.85 ROC AUC on the full table");
  }

  private static String md5(String s) {
    try {
      byte[] d =
          java.security.MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(d);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---------------------------------------------------------------- report

  static String describe(TrainSettings s) {
    return String.format(
        Locale.ROOT,
        "%s, %d epochs, dropout %.1f, batch %d, lr %.0e",
        Arrays.toString(s.hiddenSizes()),
        s.epochs(),
        s.dropout(),
        s.batchSize(),
        s.maxLearningRate());
  }

  static String describe(XgboostBaseline.Settings s) {
    return String.format(
        Locale.ROOT,
        "%d trees, depth %d, eta %.2f, %s",
        s.rounds(),
        s.maxDepth(),
        s.eta(),
        s.treeMethod());
  }

  String report(List<Outcome> outcomes, List<Duration> walls, Duration wall) {
    StringBuilder md = new StringBuilder();
    md.append("## Churn benchmark\n\n");
    md.append("Machine: ").append(Machine.describe()).append("\n\n");
    md.append("Horizon: ")
        .append(horizonDays)
        .append(" days; net seeds: ")
        .append(seeds)
        .append("; wall time ")
        .append(seconds(wall))
        .append(" s\n\n");
    md.append(
        "| dataset | rows (train / test) | test churn rate | net ROC AUC | GBM ROC AUC |"
            + " net AP | GBM AP | net - GBM AUC | lines read | skipped: no customer id / other"
            + " | train time net / GBM | wall time |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < outcomes.size(); i++) {
      Outcome o = outcomes.get(i);
      double netAuc = mean(o.netAuc());
      long noCustomer = o.skipped().getOrDefault(ChurnValidation.MISSING_CUSTOMER_ID, 0L);
      long other = o.skipped().values().stream().mapToLong(Long::longValue).sum() - noCustomer;
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %d / %d | %.3f | %s | %.4f | %s | %.4f | %+.4f | %d | %d / %d | %s s / %s s"
                  + " | %s s |\n",
              o.dataset(),
              o.trainRows(),
              o.testRows(),
              o.testChurnRate(),
              meanSpread(o.netAuc()),
              o.xgbAuc(),
              meanSpread(o.netAp()),
              o.xgbAp(),
              netAuc - o.xgbAuc(),
              o.lines(),
              noCustomer,
              other,
              seconds(o.netTrainTime()),
              seconds(o.xgbTrainTime()),
              seconds(walls.get(i))));
    }
    md.append("\n");
    for (Outcome o : outcomes) {
      md.append("**").append(o.dataset()).append("**: ").append(o.split()).append(". ");
      md.append("Net chosen on validation: ")
          .append(o.netSetting())
          .append("; GBM: ")
          .append(o.xgbSetting())
          .append(". ");
      md.append("Lines read: ").append(o.lines());
      if (!o.skipped().isEmpty()) {
        md.append("; skipped as dead letters: ").append(o.skipped());
      }
      md.append(". ").append(o.notes()).append(".\n\n");
    }
    return md.toString();
  }

  private static String seconds(Duration d) {
    return String.format(Locale.ROOT, "%.1f", d.toMillis() / 1000.0);
  }

  private static double mean(double[] v) {
    return Arrays.stream(v).average().orElse(Double.NaN);
  }

  private static String meanSpread(double[] v) {
    if (v.length == 1) {
      return String.format(Locale.ROOT, "%.4f", v[0]);
    }
    double m = mean(v);
    double sd = Math.sqrt(Arrays.stream(v).map(x -> (x - m) * (x - m)).sum() / (v.length - 1));
    return String.format(Locale.ROOT, "%.4f ± %.4f", m, sd);
  }

  /** {@code p} as given, or relative to a parent of the working directory (Maven's module dir). */
  static Path locate(Path p) {
    if (Files.isDirectory(p) || p.isAbsolute()) {
      if (!Files.isDirectory(p)) {
        throw new UserError("no datasets folder at " + p);
      }
      return p;
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve(p))) {
        return dir.resolve(p).normalize();
      }
    }
    throw new UserError("no datasets folder " + p + " from " + Path.of("").toAbsolutePath());
  }

  private static CSVParser open(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new UserError("no file " + file.toAbsolutePath());
    }
    Reader reader =
        new InputStreamReader(
            new GZIPInputStream(Files.newInputStream(file), 1 << 16), StandardCharsets.UTF_8);
    return CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(reader);
  }
}
