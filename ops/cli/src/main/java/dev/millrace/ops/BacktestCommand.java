package dev.millrace.ops;

import dev.millrace.ingest.fraud.FraudCsvReader;
import dev.millrace.ingest.fraud.FraudPublisher;
import dev.millrace.ingest.fraud.LabeledTransaction;
import dev.millrace.ingest.fraud.ProgressBarListener;
import dev.millrace.kafka.BrokerSettings;
import dev.millrace.ops.backtest.BacktestReport;
import dev.millrace.ops.backtest.BacktestRun;
import dev.millrace.ops.backtest.Ledger;
import dev.millrace.ops.backtest.ModelVersionReporter;
import dev.millrace.ops.backtest.TopicTail;
import dev.millrace.ops.backtest.TrainingLog;
import dev.millrace.ops.local.LocalFlink;
import dev.millrace.pipeline.fraud.FraudFeatures;
import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.pipeline.fraud.LabelJoin;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.RetrainRequest;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.scorer.model.DjlModelLoader;
import dev.millrace.scorer.model.ModelStore;
import dev.millrace.trainer.ModelAnnouncements;
import dev.millrace.trainer.RetrainRun;
import dev.millrace.trainer.TrainerSettings;
import dev.millrace.trainer.TrainingHistory;
import dev.millrace.trainer.eval.PromotionMetric;
import dev.millrace.trainer.eval.Slice;
import dev.millrace.trainer.model.TrainSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobStatus;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code millrace backtest}: what the whole loop would have done on a historical file. The real
 * Flink job ({@code KafkaFraudJob} on a local MiniCluster, as {@code millrace pipeline} runs it)
 * and the real trainer ({@link RetrainRun}, the run {@code millrace trainer} makes) against an
 * embedded Kafka broker, fed by the replay publisher of {@code millrace replay} at full speed.
 *
 * <p>Retraining follows event time: at every scheduled event time (every {@code
 * --retrain-every-days} from {@code --from}) the replay holds back until (a) the job has committed
 * a score for every transaction published so far and every training example of transactions before
 * {@code T - label delay - label grace - maturity slack} is committed, (b) the trainer has run on
 * exactly those examples (the latest {@code --window} of them), and (c) a promoted model is applied
 * by every scoring subtask (their {@code modelVersion} gauge names it). Between holds the replay
 * runs at full speed. The outcome does not depend on the machine's speed.
 */
@Command(
    name = "backtest",
    mixinStandardHelpOptions = true,
    description = {
      "Replay a historical file through the real pipeline (the Flink job on a local MiniCluster)"
          + " and the real trainer on an embedded Kafka broker, retraining every"
          + " --retrain-every-days of event time; the replay holds back at each scheduled time"
          + " until the run has finished and its model is applied, so results do not depend on"
          + " the machine's speed.",
      "Writes live metrics per week and per model version (and, for fraud, on the handbook's"
          + " protocol), the promotion history and missing/duplicate scores, to the console and"
          + " as CSV/JSON under --out.",
      "Example: millrace backtest --task fraud --file transactions_2018-04-01_2018-09-04.csv.gz"
          + " --from 2018-07-01"
    })
public final class BacktestCommand implements Callable<Integer> {

  /** Wall-clock wait for the job to catch up at a hold before the backtest gives up. */
  private static final Duration CATCH_UP_TIMEOUT = Duration.ofMinutes(15);

  /** The events' idleness in a backtest: longer than any hold. */
  static final Duration BACKTEST_EVENTS_IDLENESS = Duration.ofHours(6);

  /** How often a hold says what it waits for. */
  private static final Duration STATUS_EVERY = Duration.ofSeconds(30);

  /** Where holds report what they wait for (the console of the running backtest). */
  private volatile Consumer<String> status;

  private static final DateTimeFormatter VERSION_STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  @Mixin PipelineCommand.JobOptions job;

  @Mixin EvaluationOptions evaluation = new EvaluationOptions();

  @Mixin SigningKeyOption signing = new SigningKeyOption();

  @Option(
      names = {"-t", "--task"},
      required = true,
      paramLabel = "TASK",
      description = "The task; today: fraud.")
  String task;

  @Option(
      names = {"-f", "--file"},
      required = true,
      paramLabel = "CSV",
      description = "The historical file (.csv or .csv.gz), e.g. the fraud_fdh transactions file.")
  Path file;

  @Option(
      names = "--from",
      converter = TimeConverter.class,
      paramLabel = "TIME",
      description =
          "Start of the backtest (UTC): the first scheduled trainer run, and metrics count from"
              + " here (default: the first transaction plus --retrain-every-days). Transactions"
              + " before it are replayed too, to warm up the feature state (see --warmup-days).")
  Instant from;

  @Option(
      names = "--to",
      converter = TimeConverter.class,
      paramLabel = "TIME",
      description = "End of the backtest (UTC, exclusive; default: the end of the file).")
  Instant to;

  @Option(
      names = "--warmup-days",
      paramLabel = "DAYS",
      description =
          "Replay only this many days before --from to warm up features and give the first run"
              + " its training data (default: from the start of the file).")
  Integer warmupDays;

  @Option(
      names = "--retrain-every-days",
      defaultValue = "7",
      paramLabel = "DAYS",
      description = "Days of event time between scheduled trainer runs (default ${DEFAULT-VALUE}).")
  double retrainEveryDays;

  @Option(
      names = "--maturity-slack",
      defaultValue = "1d",
      converter = DurationConverter.class,
      description =
          "A run at event time T trains on the examples of transactions before T - label delay -"
              + " label grace - this slack, which the job has surely emitted by then (the label"
              + " join's watermark follows the last label of each partition) (default"
              + " ${DEFAULT-VALUE}).")
  Duration maturitySlack;

  @Option(
      names = "--label-lead",
      defaultValue = "1d",
      converter = DurationConverter.class,
      description =
          "Publish each label this much event time before its label time (default"
              + " ${DEFAULT-VALUE}). The job uses a label only from its label time on, so this"
              + " changes no feature and no example; it makes sure the job has read a label before"
              + " the transactions at its label time, so that the terminal risk features (and so"
              + " the scores and the training data) do not depend on how far the job's events"
              + " reader runs ahead of its labels reader. The report counts the labels that still"
              + " came after their time. Keep it well below the label delay: while the replay"
              + " holds, the events go idle and the label join's event time follows the labels"
              + " alone; labels a week ahead made it mature examples before their scored events"
              + " arrived (orphan labels, lost positives). 0 publishes labels at their label time,"
              + " as 'millrace replay' does.")
  Duration labelLead;

  @Option(
      names = "--out",
      defaultValue = ".millrace/backtest",
      paramLabel = "DIR",
      description =
          "Folder of the results (CSV, JSON), the models and the broker's data; emptied at the"
              + " start (default ${DEFAULT-VALUE}).")
  Path out;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description = "Training seed of every run (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--epochs",
      paramLabel = "N",
      description = "Training epochs per run (default: the trainer's).")
  Integer epochs;

  @Option(names = "--no-progress", description = "No progress bar.")
  boolean noProgress;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PublishRun.withTransactionIngest(task, "backtest");
    checkFlags();
    PrintWriter console = spec.commandLine().getOut();
    Instant fileStart;
    Instant fileEnd;
    try (FraudCsvReader probe = FraudCsvReader.open(file)) {
      if (!probe.hasNext()) {
        throw new UserError("no transactions in " + file);
      }
      fileStart = probe.next().eventTime();
    } catch (IllegalArgumentException | UncheckedIOException e) {
      throw new UserError("cannot read " + file + ": " + e.getMessage());
    }
    Duration every = Duration.ofMillis(Math.round(retrainEveryDays * 86_400_000d));
    Instant start = from != null ? from : fileStart.plus(every);
    Instant replayFrom = warmupDays == null ? null : start.minus(Duration.ofDays(warmupDays));
    prepareOut();
    if (!spec.commandLine().getParseResult().hasMatchedOption("--flink-metrics-port")) {
      job.flinkMetricsPort = 0; // a backtest needs no endpoint; several may run side by side
    }

    TopicRegistry topics = TopicRegistry.standard();
    BrokerSettings brokerSettings =
        new BrokerSettings("127.0.0.1", freePort(), 0, out.resolve("kafka"), Map.of());
    long wallStart = System.nanoTime();
    try (BrokerCommand.LocalKafka kafka = BrokerCommand.LocalKafka.start(brokerSettings, console)) {
      kafka.createTopics(List.of(Task.FRAUD));
      String bootstrap = kafka.bootstrapServers();
      // The events never go idle: while the replay holds (minutes of training), idle events
      // would let the labels, published --label-lead ahead, carry the job's event time past the
      // transactions still to come, and the terminal features' cleanup and the label join would
      // act on it. Every partition of a replayed file has records, so nothing waits for them.
      // TerminalOrder makes the terminal features independent of which partition is read first.
      FraudPipelineSettings pipeline =
          job.fraudSettings(bootstrap, topics, out.resolve("checkpoints")).toBuilder()
              .idleness(BACKTEST_EVENTS_IDLENESS)
              .terminalOrder(true)
              .build();
      Duration lag = pipeline.labelDelay().plus(pipeline.labelGrace()).plus(maturitySlack);
      TrainerSettings trainer = trainerSettings(bootstrap, topics);
      Ledger ledger = new Ledger();
      TrainingLog training = new TrainingLog();
      ConcurrentLinkedQueue<RetrainRequest> driftRequests = new ConcurrentLinkedQueue<>();
      List<BacktestRun> runs = new ArrayList<>();
      try (LocalFlink flink =
              LocalFlink.startFraud(
                  pipeline,
                  job.flinkMetricsPort,
                  Optional.empty(),
                  line -> {
                    synchronized (console) {
                      console.println(line);
                      console.flush();
                    }
                  },
                  ModelVersionReporter::configure);
          var scoreTail = new TopicTail<>(bootstrap, topics.scores(Task.FRAUD), ledger::record);
          var trainingTail =
              new TopicTail<>(bootstrap, topics.training(Task.FRAUD), training::add);
          var deadLetterTail =
              new TopicTail<>(
                  bootstrap,
                  topics.dlq(Task.FRAUD),
                  d -> {
                    if (topics.fraudEvents().name().equals(d.getSourceTopic())) {
                      ledger.deadLetter();
                    }
                  });
          var controlTail =
              new TopicTail<>(
                  bootstrap,
                  topics.control(),
                  r -> {
                    if (r.getTask() == Task.FRAUD) {
                      driftRequests.add(r);
                    }
                  });
          ModelAnnouncements announcements = new ModelAnnouncements(bootstrap, topics);
          FraudPublisher publisher =
              new FraudPublisher(
                  topics,
                  FraudPublisher.Settings.defaults(bootstrap)
                      .withLabelDelay(pipeline.labelDelay())
                      .withLabelLead(labelLead));
          FraudCsvReader reader = FraudCsvReader.open(file, replayFrom, to)) {
        String jobId = flink.job().getJobID().toString();
        status =
            line -> {
              synchronized (console) {
                console.println(line);
                console.flush();
              }
            };
        ModelStore store = new ModelStore(trainer.modelStore());
        TrainingHistory history = TrainingHistory.inDirectory(trainer.historyDir(), Task.FRAUD);
        RetrainRun retrain =
            new RetrainRun(
                trainer,
                store,
                new DjlModelLoader(trainer.device()),
                a -> announcements.announce(a, Duration.ofSeconds(30)),
                Clock.systemUTC());
        console.printf(
            "Backtest of %s from %s%s: replaying from %s, trainer runs every %s days of event"
                + " time from %s, job %s%n",
            file.getFileName(),
            start,
            to == null ? " to the end of the file" : " to " + to,
            replayFrom == null ? fileStart + " (start of the file)" : replayFrom,
            fmtDays(retrainEveryDays),
            start,
            jobId);
        console.flush();

        BooleanSupplier jobAlive =
            () -> {
              scoreTail.check();
              trainingTail.check();
              JobStatus s = flink.status();
              if (s.isGloballyTerminalState()) {
                throw new UserError(
                    "the fraud job ended (" + s + "): " + flink.health().lastFailure());
              }
              return true;
            };
        Holds holds =
            new Holds() {
              ModelAnnouncement champion;

              @Override
              public void hold(Instant at, int number) {
                long t0 = System.nanoTime();
                awaitCaughtUp(publisher, ledger, jobAlive);
                Instant bound = at.minus(lag);
                long expected = ledger.countBefore(bound.toEpochMilli());
                await(
                    () -> training.countBefore(bound.toEpochMilli()) >= expected,
                    jobAlive,
                    () ->
                        "training examples before "
                            + bound
                            + ": "
                            + training.countBefore(bound.toEpochMilli())
                            + " of "
                            + expected);
                Slice window = training.window(bound.toEpochMilli(), trainer.windowRows());
                StringBuilder trigger = new StringBuilder("scheduled at event time " + at);
                int drift = 0;
                while (driftRequests.poll() != null) {
                  drift++;
                }
                if (drift > 0) {
                  trigger.append(" (+").append(drift).append(" drift request(s) since the last)");
                }
                String version =
                    TopicRegistry.taskName(Task.FRAUD)
                        + "-"
                        + VERSION_STAMP.format(at)
                        + "-"
                        + number;
                RetrainRun.Outcome outcome =
                    retrain.run(window, version, trigger.toString(), champion);
                history.append(outcome.record());
                if (outcome.promoted() != null) {
                  champion = outcome.promoted();
                  await(
                      () -> {
                        List<String> applied = ModelVersionReporter.versions(jobId);
                        return !applied.isEmpty() && applied.stream().allMatch(version::equals);
                      },
                      jobAlive,
                      () ->
                          "model "
                              + version
                              + " applied; scoring subtasks serve "
                              + ModelVersionReporter.versions(jobId));
                }
                BacktestRun run =
                    BacktestRun.of(
                        number,
                        at,
                        bound,
                        outcome,
                        (System.nanoTime() - t0) / 1_000_000L,
                        window.digest());
                runs.add(run);
                synchronized (console) {
                  console.println(BacktestReport.runLine(run));
                  console.flush();
                }
              }
            };
        HoldingSource source = new HoldingSource(reader, ledger, start, every, to, holds);
        if (noProgress) {
          publisher.publish(source, FraudPublisher.Listener.NONE);
        } else {
          try (ProgressBarListener bar =
              ProgressBarListener.forFile("backtest", reader, System.err)) {
            publisher.publish(source, bar);
          }
        }
        // The end: every published transaction must have its score.
        awaitCaughtUp(publisher, ledger, jobAlive);
        Ledger.Snapshot snapshot = ledger.snapshot();
        Instant end = to != null ? to : source.lastEventTime().plusMillis(1);
        BacktestReport report =
            BacktestReport.build(
                snapshot,
                runs,
                start,
                end,
                fileStart,
                pipeline.labelDelay(),
                evaluation.cardPrecisionK,
                ModelVersionReporter.labelsAfterTheirTime(jobId),
                ModelVersionReporter.labelCount(jobId, LabelJoin.LATE_LABELS_COUNTER)
                    + ModelVersionReporter.labelCount(jobId, LabelJoin.ORPHAN_LABELS_COUNTER),
                (System.nanoTime() - wallStart) / 1e9);
        report.print(console);
        report.write(out);
        console.printf("Results in %s%n", out.toAbsolutePath());
        console.flush();
        return report.missing() == 0 && report.duplicates() == 0 ? 0 : 1;
      }
    }
  }

  private void checkFlags() {
    if (!Files.isRegularFile(file)) {
      throw new UserError("no such file: " + file);
    }
    if (from != null && to != null && !from.isBefore(to)) {
      throw new UserError("--from " + from + " must be before --to " + to);
    }
    signing.signer(); // a key that cannot sign fails here, before the broker starts
    if (!(retrainEveryDays > 0)) {
      throw new UserError("--retrain-every-days must be positive, not " + retrainEveryDays);
    }
    if (warmupDays != null && warmupDays < 0) {
      throw new UserError("--warmup-days must not be negative, not " + warmupDays);
    }
    if (evaluation.window != null && evaluation.window < 1) {
      throw new UserError("--window must be at least 1, not " + evaluation.window);
    }
    if (!(evaluation.evalFraction > 0 && evaluation.evalFraction < 1)) {
      throw new UserError(
          "--eval-fraction must be between 0 and 1, not " + evaluation.evalFraction);
    }
    if (epochs != null && epochs < 1) {
      throw new UserError("--epochs must be at least 1, not " + epochs);
    }
    if (labelLead.isNegative() || labelLead.compareTo(job.labelDelay) > 0) {
      throw new UserError("--label-lead must be between 0 and --label-delay " + job.labelDelay);
    }
    if (maturitySlack.isNegative()) {
      throw new UserError("--maturity-slack must not be negative");
    }
    try {
      if (!"auto".equalsIgnoreCase(evaluation.promotionMetric.trim())) {
        PromotionMetric.parse(evaluation.promotionMetric);
      }
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
  }

  private TrainerSettings trainerSettings(String bootstrap, TopicRegistry topics) {
    URI store = out.resolve("models").toAbsolutePath().toUri();
    TrainSettings train = TrainSettings.defaults().withSeed(seed);
    if (epochs != null) {
      train = train.withEpochs(epochs);
    }
    return evaluation
        .applyTo(
            TrainerSettings.defaults(bootstrap, topics, Task.FRAUD, FraudFeatures.SCHEMA, store))
        .withTrainSettings(train)
        .withHistoryDir(out.resolve("history"))
        .withSigningKey(signing.signer());
  }

  /**
   * Waits until every published transaction is acknowledged by Kafka and the job has committed its
   * score (or sent it to the dead-letter topic).
   */
  private void awaitCaughtUp(FraudPublisher publisher, Ledger ledger, BooleanSupplier jobAlive) {
    await(
        () -> publisher.counts().events() >= ledger.size(),
        jobAlive,
        () -> "Kafka acknowledged " + publisher.counts().events() + " of " + ledger.size());
    await(
        () -> ledger.accountedFor() >= ledger.size(),
        jobAlive,
        () ->
            "scores committed for "
                + ledger.scored()
                + " of "
                + ledger.size()
                + " transactions ("
                + (ledger.accountedFor() - ledger.scored())
                + " dead-lettered)");
  }

  private void await(
      BooleanSupplier done, BooleanSupplier alive, java.util.function.Supplier<String> what) {
    long deadline = System.nanoTime() + CATCH_UP_TIMEOUT.toNanos();
    long nextStatus = System.nanoTime() + STATUS_EVERY.toNanos();
    while (!done.getAsBoolean()) {
      alive.getAsBoolean();
      if (System.nanoTime() > nextStatus) {
        nextStatus = System.nanoTime() + STATUS_EVERY.toNanos();
        Consumer<String> s = status;
        if (s != null) {
          s.accept("  holding: waiting for " + what.get());
        }
      }
      if (System.nanoTime() > deadline) {
        throw new UserError(
            "the backtest waited "
                + CATCH_UP_TIMEOUT.toMinutes()
                + " min in vain for: "
                + what.get());
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new UserError("interrupted");
      }
    }
  }

  private void prepareOut() {
    try {
      if (Files.exists(out)) {
        try (Stream<Path> paths = Files.walk(out)) {
          for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
      Files.createDirectories(out);
    } catch (IOException | UncheckedIOException e) {
      throw new UserError("cannot prepare the output folder " + out + ": " + e.getMessage());
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String fmtDays(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }

  /** Called on the replay's thread before the first transaction at or after each scheduled time. */
  interface Holds {
    void hold(Instant at, int number);
  }

  /**
   * The file's transactions, recorded in the ledger as they are handed to the publisher; before the
   * first transaction at or after each scheduled time the replay waits for {@link Holds#hold}.
   */
  static final class HoldingSource implements Iterator<LabeledTransaction> {
    private final Iterator<LabeledTransaction> source;
    private final Ledger ledger;
    private final Duration every;
    private final Instant to;
    private final Holds holds;
    private Instant nextHold;
    private int number;
    private Instant last;

    HoldingSource(
        Iterator<LabeledTransaction> source,
        Ledger ledger,
        Instant first,
        Duration every,
        Instant to,
        Holds holds) {
      this.source = source;
      this.ledger = ledger;
      this.every = every;
      this.to = to;
      this.holds = holds;
      this.nextHold = first;
    }

    @Override
    public boolean hasNext() {
      return source.hasNext();
    }

    @Override
    public LabeledTransaction next() {
      if (!source.hasNext()) {
        throw new NoSuchElementException();
      }
      LabeledTransaction lt = source.next();
      while (!lt.eventTime().isBefore(nextHold) && (to == null || nextHold.isBefore(to))) {
        holds.hold(nextHold, ++number);
        nextHold = nextHold.plus(every);
      }
      ledger.add(lt);
      last = lt.eventTime();
      return lt;
    }

    Instant lastEventTime() {
      return last;
    }
  }
}
