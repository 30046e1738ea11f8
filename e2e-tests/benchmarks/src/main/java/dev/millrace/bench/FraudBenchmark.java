package dev.millrace.bench;

import dev.millrace.bench.Benchmarks.UserError;
import dev.millrace.ingest.fraud.FraudCsvReader;
import dev.millrace.kafka.BrokerSettings;
import dev.millrace.kafka.EmbeddedKafkaBroker;
import dev.millrace.pipeline.fraud.FraudFeatures;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.Task;
import dev.millrace.scorer.model.DjlModelLoader;
import dev.millrace.scorer.model.ModelBundle;
import dev.millrace.scorer.model.ModelStore;
import dev.millrace.scorer.model.TabularModel;
import dev.millrace.trainer.eval.FraudProtocol;
import dev.millrace.trainer.eval.HandbookMetrics;
import dev.millrace.trainer.eval.Metrics;
import dev.millrace.trainer.model.Dataset;
import dev.millrace.trainer.model.TabularTrainer;
import dev.millrace.trainer.model.TrainSettings;
import dev.millrace.trainer.model.TrainedModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.clients.admin.FeatureUpdate;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.admin.UpdateFeaturesOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The fraud benchmark: the Fraud Detection Handbook's chapter 3 protocol on the {@code fraud_fdh}
 * dev file, the Millrace net next to XGBoost4J on the same features, the scoring micro-benchmark
 * (batch 1 vs 64) and the end-to-end run through Kafka and the Flink job. Prints a Markdown report.
 */
@Command(
    name = "fraud",
    mixinStandardHelpOptions = true,
    description =
        "Handbook ch. 3 protocol (train 2018-07-25..31, 7-day delay, test 08-08..14): Millrace net"
            + " vs XGBoost4J (AUC, AP, CP@100), scoring batch 1 vs 64, end-to-end events/s and"
            + " latency.")
public final class FraudBenchmark implements Callable<Integer> {

  /** The dev file, relative to the repository root. */
  public static final String DEFAULT_DATA =
      "../shared/datasets/fraud_fdh/transactions_2018-04-01_2018-09-04.csv.gz";

  @Option(
      names = "--data",
      defaultValue = DEFAULT_DATA,
      description = "fraud_fdh transactions file (.csv or .csv.gz); default: ${DEFAULT-VALUE}")
  String data;

  @Option(
      names = "--train-start",
      defaultValue = "2018-07-25",
      description = "first training day (default ${DEFAULT-VALUE})")
  LocalDate trainStart;

  @Option(
      names = "--history-start",
      defaultValue = "2018-04-01",
      description = "first day fed to the feature engine (default ${DEFAULT-VALUE})")
  LocalDate historyStart;

  @Option(
      names = "--epochs",
      description = "net: epochs (default: the shipped trainer's, TrainSettings.defaults())")
  Integer epochs;

  @Option(names = "--batch", description = "net: mini-batch size (default: the shipped one)")
  Integer batch;

  @Option(names = "--lr", description = "net: peak learning rate (default: the shipped one)")
  Float learningRate;

  @Option(names = "--weight-decay", description = "net: AdamW decay (default: the shipped one)")
  Float weightDecay;

  @Option(
      names = "--hidden",
      split = ",",
      description = "net: hidden layers (default: the shipped ones)")
  int[] hidden;

  @Option(names = "--dropout", description = "net: dropout (default: the shipped one)")
  Float dropout;

  @Option(
      names = "--balance",
      negatable = true,
      description =
          "net: weight positives by (negatives/positives)^0.25 in the loss (default: the shipped"
              + " setting)")
  Boolean balance;

  @Option(names = "--seed", defaultValue = "42", description = "net: seed of the first run")
  long seed;

  @Option(
      names = "--seeds",
      defaultValue = "3",
      description =
          "net: independent runs with seeds --seed, --seed + 1, ...; the test table reports"
              + " mean ± sd over them (default ${DEFAULT-VALUE})")
  int seeds;

  @Option(
      names = "--validation-days",
      defaultValue = "0",
      description =
          "net: hold out the last N training days for early stopping (never the test week);"
              + " 0 (the default, as the shipped trainer) trains on the whole week for --epochs")
  int validationDays;

  @Option(
      names = "--select",
      description =
          "choose hyperparameters first on a validation period before the test period (train"
              + " from --select-train-start, 7-day delay, validate on the following week, known"
              + " compromised cards removed): the net grid (--grid-*) and the XGBoost grid"
              + " (--xgb-grid-*), by validation average precision")
  boolean select;

  @Option(
      names = "--select-train-start",
      defaultValue = "2018-07-11",
      description =
          "first training day of the validation split (default ${DEFAULT-VALUE}: validation"
              + " week 07-25..07-31, the handbook's chapter 5 validation fold)")
  LocalDate selectTrainStart;

  @Option(
      names = "--select-seeds",
      defaultValue = "1",
      description = "net: seeds per grid candidate on validation (default ${DEFAULT-VALUE})")
  int selectSeeds;

  @Option(
      names = "--grid-balance",
      arity = "1",
      split = ",",
      defaultValue = "true,false",
      description = "net grid: class weighting (default ${DEFAULT-VALUE})")
  List<Boolean> gridBalance;

  @Option(
      names = "--grid-dropout",
      split = ",",
      defaultValue = "0.1,0.2",
      description = "net grid: dropout (default ${DEFAULT-VALUE})")
  List<Float> gridDropout;

  @Option(
      names = "--grid-epochs",
      split = ",",
      defaultValue = "20,40",
      description = "net grid: epochs (default ${DEFAULT-VALUE})")
  List<Integer> gridEpochs;

  @Option(
      names = "--grid-lr",
      split = ",",
      defaultValue = "0.01",
      description = "net grid: peak learning rate (default ${DEFAULT-VALUE})")
  List<Float> gridLr;

  @Option(
      names = "--xgb-grid-rounds",
      split = ",",
      defaultValue = "25,50,100",
      description = "XGBoost grid: trees (default ${DEFAULT-VALUE}, the handbook's chapter 5)")
  List<Integer> xgbGridRounds;

  @Option(
      names = "--xgb-grid-depth",
      split = ",",
      defaultValue = "3,6,9",
      description = "XGBoost grid: max depth (default ${DEFAULT-VALUE})")
  List<Integer> xgbGridDepth;

  @Option(
      names = "--xgb-grid-eta",
      split = ",",
      defaultValue = "0.1,0.3",
      description = "XGBoost grid: learning rate (default ${DEFAULT-VALUE})")
  List<Double> xgbGridEta;

  @Option(
      names = "--xgb-rounds",
      defaultValue = "100",
      description = "XGBoost defaults: trees (default ${DEFAULT-VALUE}, XGBClassifier's)")
  int xgbRounds;

  @Option(names = "--xgb-depth", defaultValue = "6", description = "XGBoost defaults: max depth")
  int xgbDepth;

  @Option(
      names = "--xgb-eta",
      defaultValue = "0.3",
      description = "XGBoost defaults: learning rate")
  double xgbEta;

  @Option(
      names = "--xgb-tuned",
      defaultValue = "50,3,0.3",
      description =
          "XGBoost tuned: trees,depth,eta (default ${DEFAULT-VALUE}: the handbook chapter 5's best"
              + " estimated parameters by average precision); 'none' skips it")
  String xgbTuned;

  @Option(
      names = "--xgb-tree-method",
      defaultValue = "exact",
      description = "XGBoost: exact, approx or hist")
  String xgbTreeMethod;

  @Option(
      names = "--scoring-events",
      defaultValue = "20000",
      description = "scoring micro-benchmark: events per batch size")
  int scoringEvents;

  @Option(
      names = "--batch-sizes",
      defaultValue = "1,64",
      split = ",",
      description = "scoring batch sizes to compare (default ${DEFAULT-VALUE})")
  int[] batchSizes;

  @Option(
      names = "--e2e-events",
      defaultValue = "5000",
      description =
          "end-to-end: events at full speed per batch size; 0 skips end-to-end (default"
              + " ${DEFAULT-VALUE}: longer full-speed runs hit the KafkaSink fencing loop, see"
              + " docs/benchmarks/fraud.md)")
  int e2eEvents;

  @Option(names = "--e2e-warmup", defaultValue = "2000", description = "end-to-end: warm-up")
  int e2eWarmup;

  @Option(
      names = "--e2e-paced-events",
      defaultValue = "2000",
      description = "end-to-end: events of the paced (latency) phase; 0 skips it")
  int e2ePacedEvents;

  @Option(
      names = "--e2e-paced-rate",
      defaultValue = "1000",
      description = "end-to-end: events/s of the paced phase")
  double e2ePacedRate;

  @Option(names = "--e2e-parallelism", defaultValue = "1", description = "end-to-end: job")
  int e2eParallelism;

  @Option(
      names = "--e2e-checkpoint-interval",
      defaultValue = "PT1S",
      description = "end-to-end: checkpoint interval (ISO-8601, default ${DEFAULT-VALUE})")
  Duration e2eCheckpointInterval;

  @Option(
      names = "--e2e-max-wait",
      defaultValue = "PT0.05S",
      description = "end-to-end: scoring max wait for a batch (default ${DEFAULT-VALUE})")
  Duration e2eMaxWait;

  @Option(
      names = "--e2e-transaction-version",
      defaultValue = "0",
      description =
          "end-to-end: set the broker's transaction.version feature (0, the default, keeps the"
              + " broker's: 2 on Kafka 4.2)")
  int e2eTransactionVersion;

  @Option(
      names = "--e2e-from",
      defaultValue = "2018-04-01",
      description = "end-to-end: first day replayed (default ${DEFAULT-VALUE})")
  LocalDate e2eFrom;

  @Option(
      names = "--work-dir",
      description = "where the model store and the broker's data go (default: a temp dir)")
  Path workDir;

  @Option(
      names = "--torch-threads",
      defaultValue = "1",
      description =
          "PyTorch intra-op threads for training and scoring (default ${DEFAULT-VALUE}; more"
              + " threads than idle cores make DJL training many times slower)")
  int torchThreads;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    // before the PyTorch engine starts (it reads these once)
    if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(torchThreads));
    }
    if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }
    Path file = resolveData(data);
    FraudProtocol protocol =
        FraudProtocol.handbookChapter3()
            .withTrainStart(trainStart)
            .withHistoryStart(historyStart.atStartOfDay(ZoneOffset.UTC).toInstant());
    TrainSettings shipped = TrainSettings.defaults();
    TrainSettings base =
        new TrainSettings(
            epochs != null ? epochs : shipped.epochs(),
            batch != null ? batch : shipped.batchSize(),
            learningRate != null ? learningRate : shipped.maxLearningRate(),
            weightDecay != null ? weightDecay : shipped.weightDecay(),
            hidden != null ? hidden : shipped.hiddenSizes(),
            dropout != null ? dropout : shipped.dropout(),
            shipped.batchNorm(),
            seed,
            balance != null ? balance : shipped.balanceClasses());
    if (seeds < 1 || selectSeeds < 1) {
      throw new UserError("--seeds and --select-seeds must be at least 1");
    }
    XgboostBaseline.Settings xgbTunedSettings = parseTuned(xgbTuned);
    int threads = Runtime.getRuntime().availableProcessors();
    Path work = workDir != null ? workDir : Files.createTempDirectory("millrace-bench-");
    Files.createDirectories(work);
    long started = System.nanoTime();

    Selection selection = null;
    if (select) {
      selection = select(file, protocol, base, threads);
    }

    log(
        "Features: %s, history from %s, train %s..%s, test %s..%s",
        file,
        protocol.historyStart(),
        protocol.trainStart(),
        protocol.trainLast(),
        protocol.testStart(),
        protocol.testLast());
    HandbookSplit.Result split = split(file, protocol);

    // The Millrace net: trained with the trainer's code, stored as a bundle, loaded back through
    // the scorer's loader (checksum and schema checks) and scored by that loaded model; one
    // independent run per seed, reported as mean ± sd.
    ModelStore store = new ModelStore(work.resolve("models").toUri());
    List<Dataset> trainVal = trainValidation(split.train(), validationDays);
    List<TabularModel> nets = new ArrayList<>();
    List<ModelAnnouncement> announced = new ArrayList<>();
    List<double[]> netRuns = new ArrayList<>();
    String device = "";
    List<Integer> keptEpochs = new ArrayList<>();
    try {
      for (int s = 0; s < seeds; s++) {
        TrainSettings ts = base.withSeed(seed + s);
        String version = "bench-" + System.currentTimeMillis() + "-s" + (seed + s);
        log("Net %d/%d: %s", s + 1, seeds, ts);
        try (TrainedModel trained =
            new TabularTrainer(ts)
                .train("fraud", version, FraudFeatures.SCHEMA, trainVal.get(0), trainVal.get(1))) {
          device = trained.device();
          keptEpochs.add(trained.manifest().training().bestEpoch());
          ModelBundle bundle = trained.toBundle(Map.of(), protocol.trainFrom(), protocol.trainTo());
          ModelAnnouncement announcement = announce(store, bundle, version, protocol);
          announced.add(announcement);
          TabularModel loaded = new DjlModelLoader().loadModel(announcement, FraudFeatures.SCHEMA);
          nets.add(loaded);
          float[] p = loaded.predict(split.test().features());
          double[] m = metrics(split.test(), p, trained.trainingTime());
          netRuns.add(m);
          log(
              "  %.1f s on %s, kept epoch %d: test AUC %.3f AP %.3f CP@100 %.3f",
              m[4], trained.device(), trained.manifest().training().bestEpoch(), m[0], m[1], m[2]);
        }
      }

      Map<String, List<double[]>> detection = new LinkedHashMap<>();
      detection.put(netName(base, shipped), netRuns);
      XgboostBaseline.Settings xgbDefaults =
          new XgboostBaseline.Settings(xgbRounds, xgbDepth, xgbEta, xgbTreeMethod, threads, 0);
      detection.put(xgbName("defaults", xgbDefaults), List.of(xgb(split, xgbDefaults)));
      if (xgbTunedSettings != null) {
        detection.put(
            xgbName("tuned, handbook ch. 5", xgbTunedSettings),
            List.of(xgb(split, xgbTunedSettings)));
      }
      if (selection != null) {
        XgboostBaseline.Settings ours = selection.xgbChoice().settings();
        if (!sameXgb(ours, xgbTunedSettings) && !sameXgb(ours, xgbDefaults)) {
          detection.put(xgbName("tuned, our validation", ours), List.of(xgb(split, ours)));
        }
      }

      log("Scoring micro-benchmark: %,d events per batch size", scoringEvents);
      List<ScoringBench.Result> scoring = new ArrayList<>();
      for (int b : batchSizes) {
        scoring.add(
            ScoringBench.run(
                nets.get(0),
                split.test().features(),
                b,
                Math.max(b, scoringEvents),
                Math.max(50, 2000 / b)));
      }

      List<EndToEndBench.Result> e2e = new ArrayList<>();
      if (e2eEvents > 0) {
        e2e = endToEnd(file, work, announced.get(0));
      }

      report(
          file,
          protocol,
          split,
          base,
          shipped,
          selection,
          trainVal,
          keptEpochs,
          device,
          detection,
          scoring,
          e2e,
          Duration.ofNanos(System.nanoTime() - started));
      return 0;
    } finally {
      for (TabularModel m : nets) {
        m.close();
      }
    }
  }

  /** What {@code --select} found on the validation period. */
  record Selection(
      FraudProtocol protocol,
      HandbookSplit.Result split,
      int seeds,
      List<ModelSelection.NetCandidate> nets,
      ModelSelection.NetCandidate netChoice,
      List<ModelSelection.XgbCandidate> xgbs,
      ModelSelection.XgbCandidate xgbChoice) {}

  private Selection select(Path file, FraudProtocol test, TrainSettings base, int threads)
      throws IOException {
    FraudProtocol validation = test.withTrainStart(selectTrainStart);
    if (validation.testTo().isAfter(test.testFrom())) {
      throw new UserError(
          "--select-train-start "
              + selectTrainStart
              + " puts the validation week ("
              + validation.testStart()
              + ".."
              + validation.testLast()
              + ") into the test period from "
              + test.testStart()
              + "; choose an earlier day");
    }
    log(
        "Model selection: train %s..%s, validate %s..%s (the test week %s..%s is not read)",
        validation.trainStart(),
        validation.trainLast(),
        validation.testStart(),
        validation.testLast(),
        test.testStart(),
        test.testLast());
    HandbookSplit.Result split = split(file, validation);
    List<TrainSettings> grid =
        ModelSelection.netGrid(base, gridBalance, gridDropout, gridEpochs, gridLr);
    List<ModelSelection.NetCandidate> nets = ModelSelection.nets(split, grid, selectSeeds);
    List<XgboostBaseline.Settings> xgbGrid =
        ModelSelection.xgbGrid(xgbGridRounds, xgbGridDepth, xgbGridEta, xgbTreeMethod, threads);
    List<ModelSelection.XgbCandidate> xgbs = ModelSelection.xgbs(split, xgbGrid);
    ModelSelection.NetCandidate netChoice = ModelSelection.bestNet(nets);
    ModelSelection.XgbCandidate xgbChoice = ModelSelection.bestXgb(xgbs);
    log(
        "  chosen by validation AP: net %s; XGBoost %d trees, depth %d, eta %s",
        ModelSelection.describe(netChoice.settings()),
        xgbChoice.settings().rounds(),
        xgbChoice.settings().maxDepth(),
        xgbChoice.settings().eta());
    return new Selection(validation, split, selectSeeds, nets, netChoice, xgbs, xgbChoice);
  }

  private static HandbookSplit.Result split(Path file, FraudProtocol protocol) throws IOException {
    HandbookSplit.Result split;
    try (FraudCsvReader reader =
        FraudCsvReader.open(file, protocol.historyStart(), protocol.testTo())) {
      split = HandbookSplit.build(reader, protocol);
    }
    log(
        "  %,d transactions, %,d labels fed, %.1f s (%,.0f tx/s); train %,d rows (%,d fraud),"
            + " assessment %,d rows (%,d fraud) after removing %,d rows of known compromised cards",
        split.transactionsRead(),
        split.labelsFed(),
        split.featureTime().toMillis() / 1e3,
        split.transactionsPerSecond(),
        split.train().size(),
        split.train().positives(),
        split.test().size(),
        split.test().positives(),
        split.testRowsBeforeRemoval() - split.test().size());
    return split;
  }

  private static double[] xgb(HandbookSplit.Result split, XgboostBaseline.Settings settings) {
    log(
        "XGBoost4J: %d trees, depth %d, eta %s, %s",
        settings.rounds(), settings.maxDepth(), settings.eta(), settings.treeMethod());
    XgboostBaseline.Result r =
        XgboostBaseline.trainAndPredict(split.train(), split.test(), settings);
    return metrics(split.test(), r.predictions(), r.trainingTime());
  }

  private static boolean sameXgb(XgboostBaseline.Settings a, XgboostBaseline.Settings b) {
    return b != null
        && a.rounds() == b.rounds()
        && a.maxDepth() == b.maxDepth()
        && Double.compare(a.eta(), b.eta()) == 0;
  }

  private XgboostBaseline.Settings parseTuned(String value) {
    if (value == null || value.equalsIgnoreCase("none")) {
      return null;
    }
    String[] parts = value.split(",");
    try {
      if (parts.length != 3) {
        throw new NumberFormatException();
      }
      return new XgboostBaseline.Settings(
          Integer.parseInt(parts[0].trim()),
          Integer.parseInt(parts[1].trim()),
          Double.parseDouble(parts[2].trim()),
          xgbTreeMethod,
          Runtime.getRuntime().availableProcessors(),
          0);
    } catch (IllegalArgumentException e) {
      throw new UserError(
          "--xgb-tuned wants trees,depth,eta (e.g. 50,3,0.3) or none; got " + value);
    }
  }

  private static String xgbName(String kind, XgboostBaseline.Settings s) {
    return String.format(
        Locale.ROOT,
        "XGBoost4J 2.1.4 %s (%d trees, depth %d, eta %s, %s)",
        kind,
        s.rounds(),
        s.maxDepth(),
        s.eta(),
        s.treeMethod());
  }

  private List<EndToEndBench.Result> endToEnd(Path file, Path work, ModelAnnouncement model)
      throws Exception {
    List<EndToEndBench.Result> results = new ArrayList<>();
    Path brokerDir = Files.createDirectories(work.resolve("kafka-" + System.currentTimeMillis()));
    log("End to end: embedded Kafka broker in %s", brokerDir);
    try (EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.start(BrokerSettings.ephemeral(brokerDir))) {
      if (e2eTransactionVersion > 0) {
        transactionVersion(broker.bootstrapServers(), (short) e2eTransactionVersion);
      }
      EndToEndBench bench =
          new EndToEndBench(
              broker.bootstrapServers(),
              new EndToEndBench.Settings(
                  file,
                  e2eFrom.atStartOfDay(ZoneOffset.UTC).toInstant(),
                  e2eWarmup,
                  e2eEvents,
                  e2ePacedEvents,
                  e2ePacedRate,
                  e2eParallelism,
                  e2eCheckpointInterval,
                  e2eMaxWait,
                  Duration.ofMinutes(5)));
      for (int b : batchSizes) {
        EndToEndBench.Result r = bench.run(b, model);
        log(
            "  batch %d: %,.0f events/s, scoring latency p50 %.0f ms p99 %.0f ms",
            b,
            r.fullSpeed().eventsPerSecond(),
            r.fullSpeed().scoring().p50(),
            r.fullSpeed().scoring().p99());
        results.add(r);
      }
    }
    return results;
  }

  /**
   * Sets the broker's {@code transaction.version} feature. With version 2 (KIP-890, the default of
   * a new Kafka 4 cluster) the producer epoch is bumped by every commit, and Flink's KafkaSink
   * committer, which resumes a transaction with the epoch it recorded, gets fenced under load and
   * the job restarts in a loop; version 1 avoids that.
   */
  static void transactionVersion(String bootstrapServers, short version) throws Exception {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      FeatureMetadata before = admin.describeFeatures().featureMetadata().get();
      FinalizedVersionRange current = before.finalizedFeatures().get("transaction.version");
      short now = current == null ? 0 : current.maxVersionLevel();
      if (now != version) {
        admin
            .updateFeatures(
                Map.of(
                    "transaction.version",
                    new FeatureUpdate(
                        version,
                        version < now
                            ? FeatureUpdate.UpgradeType.SAFE_DOWNGRADE
                            : FeatureUpdate.UpgradeType.UPGRADE)),
                new UpdateFeaturesOptions())
            .all()
            .get();
      }
      log("  broker transaction.version %d -> %d", now, version);
    }
  }

  private static ModelAnnouncement announce(
      ModelStore store, ModelBundle bundle, String version, FraudProtocol protocol)
      throws IOException {
    URI uri = store.put(bundle);
    return ModelAnnouncement.newBuilder()
        .setTask(Task.FRAUD)
        .setVersion(version)
        .setArtifactUri(uri.toString())
        .setSha256(store.sha256(uri))
        .setFeatureSchemaFingerprint(FraudFeatures.FINGERPRINT)
        .setMetrics(Map.of())
        .setStatus(ModelStatus.CHAMPION)
        .setAnnouncedAt(Instant.now())
        .setTrainingWindowStart(protocol.trainFrom())
        .setTrainingWindowEnd(protocol.trainTo())
        .build();
  }

  /** {AUC, AP, CP@100 (handbook), CP@100 without removal, training seconds}. */
  private static double[] metrics(Dataset test, float[] scores, Duration trainingTime) {
    return new double[] {
      Metrics.rocAuc(test.labels(), scores),
      Metrics.averagePrecision(test.labels(), scores),
      HandbookMetrics.cardPrecisionTopK(
          test.labels(), scores, test.eventTimeMillis(), test.entityIds(), 100),
      Metrics.cardPrecisionAtK(
          test.labels(), scores, test.eventTimeMillis(), test.entityIds(), 100),
      trainingTime.toMillis() / 1e3
    };
  }

  /** [train, validation or null]: the last {@code days} days of the training set validate. */
  static List<Dataset> trainValidation(Dataset train, int days) {
    if (days <= 0) {
      return Arrays.asList(train, null);
    }
    long last = train.eventTimeMillis()[train.size() - 1];
    LocalDate cut = HandbookSplit.day(last).minusDays(days - 1);
    long cutMillis = cut.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    int n = 0;
    while (n < train.size() && train.eventTimeMillis()[n] < cutMillis) {
      n++;
    }
    if (n == 0 || n == train.size()) {
      throw new UserError("--validation-days " + days + " leaves no training or validation rows");
    }
    return Arrays.asList(slice(train, 0, n), slice(train, n, train.size()));
  }

  private static Dataset slice(Dataset d, int from, int to) {
    return new Dataset(
        Arrays.copyOfRange(d.features(), from, to),
        Arrays.copyOfRange(d.labels(), from, to),
        Arrays.copyOfRange(d.eventTimeMillis(), from, to),
        Arrays.copyOfRange(d.entityIds(), from, to));
  }

  private static String netName(TrainSettings s, TrainSettings shipped) {
    return "Millrace net (DJL "
        + Arrays.stream(s.hiddenSizes())
            .mapToObj(Integer::toString)
            .collect(Collectors.joining("-"))
        + ", "
        + ModelSelection.describe(s)
        + (ModelSelection.sameButSeed(s, shipped)
            ? ", shipped defaults"
            : ", NOT the shipped defaults")
        + ")";
  }

  /**
   * The data file: as given if it exists, else relative to the Maven root directory (exec:java runs
   * in the directory Maven was started from) or the module's parent directories.
   */
  static Path resolveData(String given) {
    Path p = Path.of(given);
    List<Path> candidates = new ArrayList<>();
    candidates.add(p);
    if (!p.isAbsolute()) {
      String root = System.getProperty("maven.multiModuleProjectDirectory");
      if (root != null) {
        candidates.add(Path.of(root).resolve(given));
      }
      Path cwd = Path.of("").toAbsolutePath();
      for (Path dir = cwd.getParent(); dir != null; dir = dir.getParent()) {
        candidates.add(dir.resolve(given));
      }
    }
    for (Path c : candidates) {
      if (Files.isRegularFile(c)) {
        return c.normalize();
      }
    }
    throw new UserError(
        "no such file: "
            + given
            + " (looked in "
            + candidates.get(0).toAbsolutePath().normalize()
            + (candidates.size() > 1
                ? " and " + (candidates.size() - 1) + " parent directories"
                : "")
            + "); pass --data <path to transactions_2018-04-01_2018-09-04.csv.gz>");
  }

  private void report(
      Path file,
      FraudProtocol protocol,
      HandbookSplit.Result split,
      TrainSettings net,
      TrainSettings shipped,
      Selection selection,
      List<Dataset> trainVal,
      List<Integer> keptEpochs,
      String device,
      Map<String, List<double[]>> detection,
      List<ScoringBench.Result> scoring,
      List<EndToEndBench.Result> e2e,
      Duration total) {
    StringBuilder md = new StringBuilder();
    String now = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE);
    md.append("## Fraud benchmark, ").append(now).append("\n\n");
    md.append("Machine: ").append(Machine.describe()).append("\n\n");
    if (selection != null) {
      selectionReport(md, selection, shipped);
    }
    md.append(
        String.format(
            Locale.ROOT,
            "Data: `%s`; features for %,d transactions (%s .. %s) by `FraudFeatureEngine`,"
                + " %.1f s (%,.0f tx/s).%n"
                + "Train %s..%s: %,d rows, %,d frauds. Test %s..%s: %,d rows, %,d frauds"
                + " (%,d rows of known compromised cards removed).%n%n",
            file.getFileName(),
            split.transactionsRead(),
            protocol.historyStart().toString().substring(0, 10),
            protocol.testLast(),
            split.featureTime().toMillis() / 1e3,
            split.transactionsPerSecond(),
            protocol.trainStart(),
            protocol.trainLast(),
            split.train().size(),
            split.train().positives(),
            protocol.testStart(),
            protocol.testLast(),
            split.test().size(),
            split.test().positives(),
            split.testRowsBeforeRemoval() - split.test().size()));
    md.append(
        String.format(
            Locale.ROOT,
            "Net: %s (%s), %s on %s, seeds %d..%d, kept epochs %s.%n%n",
            net.withSeed(seed),
            ModelSelection.sameButSeed(net, shipped)
                ? "the shipped `millrace trainer` defaults, `TrainSettings.defaults()`"
                : "NOT the shipped defaults " + shipped,
            trainVal.get(1) == null
                ? "whole training week"
                : String.format(
                    Locale.ROOT,
                    "trained on %,d rows, early stopping on the last %d training day(s) (%,d rows)",
                    trainVal.get(0).size(),
                    validationDays,
                    trainVal.get(1).size()),
            device,
            seed,
            seed + seeds - 1,
            keptEpochs));
    md.append("### Detection (handbook chapter 3 protocol, test week)\n\n");
    md.append(
        "| model | runs | ROC AUC | AP | CP@100 | CP@100 (no removal) | training s (mean) |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|\n");
    for (Map.Entry<String, List<double[]>> e : detection.entrySet()) {
      List<double[]> runs = e.getValue();
      md.append(String.format(Locale.ROOT, "| %s | %d |", e.getKey(), runs.size()));
      for (int m = 0; m < 4; m++) {
        final int k = m;
        md.append(' ')
            .append(Stats.of(runs.stream().mapToDouble(r -> r[k]).toArray()).format())
            .append(" |");
      }
      md.append(
          String.format(
              Locale.ROOT, " %.1f |%n", runs.stream().mapToDouble(r -> r[4]).average().orElse(0)));
    }
    md.append("| handbook XGBoost ch. 3 (published) | | 0.862 | 0.639 | 0.273 | | |\n");
    md.append(
        "| handbook XGBoost ch. 5, validation choice, 4 test weeks (published) | | 0.869 ± 0.01"
            + " | 0.687 ± 0.01 | 0.303 ± 0.01 | | |\n");
    md.append("| handbook random forest ch. 3 (published) | | 0.867 | 0.658 | 0.287 | | |\n");
    md.append(
        "| handbook logistic regression ch. 3 (published) | | 0.871 | 0.606 | 0.291 | | |\n\n");
    md.append("Millrace net per seed (AUC / AP / CP@100):");
    List<double[]> netRuns = detection.values().iterator().next();
    for (int i = 0; i < netRuns.size(); i++) {
      double[] r = netRuns.get(i);
      md.append(
          String.format(Locale.ROOT, " seed %d: %.3f / %.3f / %.3f;", seed + i, r[0], r[1], r[2]));
    }
    md.setLength(md.length() - 1);
    md.append(
        ". ± is the sample standard deviation over the seeds. XGBoost's exact tree method without"
            + " subsampling is deterministic: one run.\n\n");

    md.append("### Scoring micro-benchmark (loaded DJL model, one call per batch, 1 thread)\n\n");
    md.append("| batch size | events | events/s | call p50 µs | call p99 µs | speed-up |\n");
    md.append("|---:|---:|---:|---:|---:|---:|\n");
    double baseRate = scoring.isEmpty() ? 1 : scoring.get(0).eventsPerSecond();
    for (ScoringBench.Result r : scoring) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %d | %,d | %,.0f | %.0f | %.0f | %.1fx |%n",
              r.batchSize(),
              r.events(),
              r.eventsPerSecond(),
              r.p50Micros(),
              r.p99Micros(),
              r.eventsPerSecond() / baseRate));
    }
    md.append("\n");
    if (!e2e.isEmpty()) {
      md.append(
          String.format(
              Locale.ROOT,
              "### End to end (embedded Kafka → Flink job, parallelism %d, checkpoints every %s"
                  + " → read_committed)%n%n",
              e2eParallelism,
              e2eCheckpointInterval));
      md.append(
          "| batch size | phase | events | published/s | events/s | scoring p50 ms | scoring p99"
              + " ms | committed p50 ms | committed p99 ms | not by the model |\n");
      md.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
      for (EndToEndBench.Result r : e2e) {
        row(md, r.batchSize(), "full speed", r.fullSpeed());
        if (r.paced() != null) {
          row(
              md,
              r.batchSize(),
              String.format(Locale.ROOT, "paced %.0f/s", e2ePacedRate),
              r.paced());
        }
      }
      md.append("\n");
    }
    md.append(
        String.format(Locale.ROOT, "Total benchmark time: %.0f s.%n", total.toMillis() / 1e3));
    PrintWriter out = spec.commandLine().getOut();
    out.println();
    out.print(md);
    out.flush();
  }

  private static void selectionReport(StringBuilder md, Selection sel, TrainSettings shipped) {
    FraudProtocol p = sel.protocol();
    HandbookSplit.Result split = sel.split();
    md.append(
        String.format(
            Locale.ROOT,
            "### Model selection (validation period, before the test week)%n%n"
                + "Train %s..%s: %,d rows, %,d frauds; 7-day delay; validation %s..%s: %,d rows,"
                + " %,d frauds (%,d rows of known compromised cards removed). Each candidate is"
                + " trained on the training week and scored on the validation week; the choice is"
                + " the highest validation average precision. The net: %d seed(s) per candidate"
                + " (mean shown).%n%n",
            p.trainStart(),
            p.trainLast(),
            split.train().size(),
            split.train().positives(),
            p.testStart(),
            p.testLast(),
            split.test().size(),
            split.test().positives(),
            split.testRowsBeforeRemoval() - split.test().size(),
            sel.seeds()));
    md.append("| net candidate | ROC AUC | AP | CP@100 | training s |\n");
    md.append("|---|---:|---:|---:|---:|\n");
    for (ModelSelection.NetCandidate c : sel.nets()) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s%s | %s | %s | %s | %.0f |%n",
              ModelSelection.describe(c.settings()),
              c == sel.netChoice() ? " **(chosen)**" : "",
              c.scores().auc().format(),
              c.scores().ap().format(),
              c.scores().cp100().format(),
              c.scores().seconds()));
    }
    md.append("\n| XGBoost candidate | ROC AUC | AP | CP@100 | training s |\n");
    md.append("|---|---:|---:|---:|---:|\n");
    for (ModelSelection.XgbCandidate c : sel.xgbs()) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %d trees, depth %d, eta %s%s | %s | %s | %s | %.1f |%n",
              c.settings().rounds(),
              c.settings().maxDepth(),
              c.settings().eta(),
              c == sel.xgbChoice() ? " **(chosen)**" : "",
              c.scores().auc().format(),
              c.scores().ap().format(),
              c.scores().cp100().format(),
              c.scores().seconds()));
    }
    boolean shippedIsChoice = ModelSelection.sameButSeed(sel.netChoice().settings(), shipped);
    md.append(
        String.format(
            Locale.ROOT,
            "%nNet chosen: %s. Shipped trainer defaults: %s: %s.%n%n",
            ModelSelection.describe(sel.netChoice().settings()),
            ModelSelection.describe(shipped),
            shippedIsChoice
                ? "the same"
                : "DIFFERENT (the test below still uses the net flags / shipped defaults)"));
  }

  private static void row(StringBuilder md, int batchSize, String phase, EndToEndBench.Phase p) {
    md.append(
        String.format(
            Locale.ROOT,
            "| %d | %s | %,d | %,.0f | %,.0f | %.0f | %.0f | %.0f | %.0f | %d |%n",
            batchSize,
            phase,
            p.events(),
            p.publishedPerSecond(),
            p.eventsPerSecond(),
            p.scoring().p50(),
            p.scoring().p99(),
            p.committed().p50(),
            p.committed().p99(),
            p.otherVersion()));
  }

  private static void log(String format, Object... args) {
    System.err.println(String.format(Locale.ROOT, format, args));
  }
}
