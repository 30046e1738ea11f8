package dev.millrace.ops;

import dev.millrace.ingest.ValidationRules;
import dev.millrace.ingest.churn.ChurnGenerator;
import dev.millrace.ingest.churn.ChurnRows;
import dev.millrace.ingest.demand.DemandGenerator;
import dev.millrace.ingest.demand.RossmannRows;
import dev.millrace.pipeline.churn.ChurnFeatures;
import dev.millrace.pipeline.churn.ChurnSettings;
import dev.millrace.pipeline.churn.ChurnTask;
import dev.millrace.pipeline.demand.DemandFeatures;
import dev.millrace.pipeline.demand.DemandTask;
import dev.millrace.pipeline.demand.StoreTable;
import dev.millrace.pipeline.fraud.FraudFeatures;
import dev.millrace.pipeline.task.TaskDefinition;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.schemas.churn.ChurnActivity;
import dev.millrace.schemas.demand.DemandObservation;
import dev.millrace.scorer.FeatureSchema;
import dev.millrace.trainer.TaskModel;
import dev.millrace.trainer.eval.RegressionMetric;
import dev.millrace.trainer.model.ModelHead;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;

/**
 * What the command line knows of each task, in one place: the trainer's feature schema, model head
 * and promotion rule; how the pipeline builds the task's definition from {@link TaskOptions}; its
 * job's label; how {@code replay} reads its dataset; and what it can do beyond the shared job
 * (fraud runs its own job, {@code KafkaFraudJob}, with cluster submission, savepoints and the card
 * transaction ingest). The shared commands ({@code pipeline}, {@code trainer}, {@code replay}, the
 * fraud-only checks of {@code generate}, {@code validator} and {@code backtest}) look a task up
 * here instead of branching on it.
 *
 * <p><b>This is the one registration point of a task in the CLI:</b> a new task writes its {@link
 * TaskDefinition}, its schemas and its dataset mapping, and adds its {@link TaskSpec} to {@link
 * #ENTRIES}; nothing else in the shared commands names it.
 */
final class TaskCatalog {

  /** Builds a task's definition of the shared job from its flags. */
  @FunctionalInterface
  interface DefinitionFactory {
    TaskDefinition<?> build(TaskOptions options, ValidationRules rules, String eventsTopic);
  }

  /** Reads a dataset file into the events {@code replay} sends, in the order they are sent. */
  @FunctionalInterface
  interface EventReader<E> {
    List<E> read(Path file) throws IOException;
  }

  /**
   * How {@code replay <task>} turns a dataset file into {@code <task>.events}.
   *
   * @param type the task's event record
   * @param reader the file's events in sending order
   * @param key the Kafka key of an event (its entity)
   * @param what what the events are called in the summary ("store-day rows")
   * @param format what a file must be, for the error when it cannot be read
   */
  record EventReplay<E extends SpecificRecord>(
      Class<E> type, EventReader<E> reader, Function<E, String> key, String what, String format) {}

  /**
   * How {@code millrace demo --task <task>} generates the task's events: an endless source in
   * event-time order, after writing any reference data it needs into the demo's folder and pointing
   * the task's flags at it (demand: {@code --stores}).
   */
  @FunctionalInterface
  interface DemoGenerator {
    Iterator<? extends SpecificRecord> start(
        long seed, int customers, int stores, Path dir, TaskOptions options) throws IOException;
  }

  /**
   * One task as the CLI sees it.
   *
   * @param task the task
   * @param jobLabel how its job is named in console lines ("Demand job")
   * @param featureSchema the features its vectors, examples and models follow
   * @param model its models' head, vocabularies and promotion error, given {@code --stores} (which
   *     only demand reads)
   * @param definition its definition of the shared task job; null when it runs its own job
   * @param ownJob runs its own job ({@code KafkaFraudJob}) rather than a definition: it can be
   *     submitted to a cluster ({@code --submit}, savepoints), and it has the card transaction
   *     ingest ({@code generate}, {@code validator}, {@code backtest}, paced {@code replay})
   * @param maxAheadOfStream its bound on how far an event may be ahead of its partition, when it
   *     needs another than the job's; null for the job's
   * @param describe one console line on what its flags set ("" for none)
   * @param replay how {@code replay} reads its dataset; null when the own job's ingest replays it
   * @param demo how {@code demo} generates its events; null when the own job's demo does
   */
  record TaskSpec(
      Task task,
      String jobLabel,
      FeatureSchema featureSchema,
      Function<StoresOption, TaskModel> model,
      DefinitionFactory definition,
      boolean ownJob,
      Duration maxAheadOfStream,
      Function<TaskOptions, String> describe,
      EventReplay<?> replay,
      DemoGenerator demo) {

    TaskSpec {
      Objects.requireNonNull(task, "task");
      Objects.requireNonNull(featureSchema, "featureSchema");
      Objects.requireNonNull(model, "model");
      Objects.requireNonNull(describe, "describe");
      if (ownJob != (definition == null)) {
        throw new IllegalArgumentException(
            "a task has either its own job or a definition of the shared job: " + task);
      }
    }

    /** The task's lower-case name, as in its topics. */
    String name() {
      return TopicRegistry.taskName(task);
    }
  }

  /** Fraud: its own job, numeric features, a binary head promoted on average precision. */
  private static final TaskSpec FRAUD =
      new TaskSpec(
          Task.FRAUD,
          "Fraud job",
          FraudFeatures.SCHEMA,
          stores -> TaskModel.binary(),
          null,
          true,
          null,
          options -> "",
          null,
          null);

  /**
   * The churn trainer's window: its labels settle only after the horizon (90 days by default),
   * which a window needs twice (the unsettled tail and the evaluation gap) besides a training part
   * and an evaluation slice; Online Retail gives about 1,150 examples a day (lines and weekly
   * re-scores), so 500,000 rows are some 430 days.
   */
  static final int CHURN_WINDOW_ROWS = 500_000;

  /**
   * Churn: a binary head with the country embedding, trained on settled rows only (a 0 is known at
   * the next purchase, a 1 only after the horizon) and evaluated on every customer (one who churned
   * before and came back is an ordinary customer again); shops close over weekends and Christmas,
   * so an event may be up to 21 days ahead of its partition.
   */
  private static final TaskSpec CHURN =
      new TaskSpec(
          Task.CHURN,
          "Churn job",
          ChurnFeatures.SCHEMA,
          stores ->
              TaskModel.binary(ChurnFeatures.VOCABULARIES)
                  .settledOnly(CHURN_WINDOW_ROWS)
                  .keepingKnownPositives(),
          (options, rules, events) ->
              new ChurnTask(
                  ChurnSettings.defaults()
                      .withHorizon(options.horizon)
                      .withRescoreEvery(options.rescoreEvery),
                  rules,
                  events),
          false,
          Duration.ofDays(21),
          options ->
              "Churn: labelled by no purchase within "
                  + options.horizon
                  + ", re-scored every "
                  + options.rescoreEvery
                  + " of inactivity",
          new EventReplay<>(
              ChurnActivity.class,
              TaskCatalog::churnLines,
              a -> a.getCustomerId() == null ? "" : a.getCustomerId(),
              "purchase lines",
              "Online Retail (I or II) or CDNOW purchase lines"),
          (seed, customers, stores, dir, options) ->
              new ChurnGenerator(
                  ChurnGenerator.Settings.defaults().withSeed(seed).withCustomers(customers)));

  /**
   * Demand: a regression on log1p of the sales, with entity embeddings (the store's vocabulary from
   * {@code --stores}), promoted on RMSPE.
   */
  private static final TaskSpec DEMAND =
      new TaskSpec(
          Task.DEMAND,
          "Demand job",
          DemandFeatures.SCHEMA,
          TaskCatalog::demandModel,
          (options, rules, events) -> new DemandTask(options.stores.storeCsv(), rules, events),
          false,
          null,
          options -> "Demand: store reference data from " + options.stores.stores,
          new EventReplay<>(
              DemandObservation.class,
              RossmannRows::read,
              DemandObservation::getSeriesId,
              "store-day rows",
              "Rossmann store-day rows"),
          TaskCatalog::demandDemo);

  /** Every task the CLI runs; a new task adds its entry here. */
  private static final Map<Task, TaskSpec> ENTRIES = entries(FRAUD, CHURN, DEMAND);

  private TaskCatalog() {}

  /** The task's entry. */
  static TaskSpec of(Task task) {
    TaskSpec spec = ENTRIES.get(task);
    if (spec == null) {
      throw new UserError("task " + TopicRegistry.taskName(task) + " is not in the CLI's catalog");
    }
    return spec;
  }

  /** The entry of a task name as users type it; a user error for an unknown name. */
  static TaskSpec of(String name) {
    try {
      return of(TopicRegistry.task(name));
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
  }

  /** Every entry, in task order. */
  static List<TaskSpec> all() {
    return List.copyOf(ENTRIES.values());
  }

  private static Map<Task, TaskSpec> entries(TaskSpec... specs) {
    Map<Task, TaskSpec> m = new EnumMap<>(Task.class);
    for (TaskSpec s : specs) {
      if (m.put(s.task(), s) != null) {
        throw new IllegalStateException("two catalog entries for " + s.task());
      }
    }
    return m;
  }

  /**
   * The demo's stores: their generated {@code store.csv} in the demo's folder, which the job and
   * the trainer read through {@code --stores} unless the user gave one.
   */
  private static Iterator<DemandObservation> demandDemo(
      long seed, int customers, int stores, Path dir, TaskOptions options) throws IOException {
    DemandGenerator generator =
        new DemandGenerator(DemandGenerator.Settings.defaults().withSeed(seed).withStores(stores));
    if (options.stores.stores == null) {
      Path csv = dir.resolve("store.csv");
      java.nio.file.Files.writeString(csv, generator.storeCsv());
      options.stores.stores = csv;
    }
    return generator;
  }

  private static TaskModel demandModel(StoresOption stores) {
    StoreTable table;
    try {
      table = StoreTable.read(stores.open());
    } catch (IOException | IllegalArgumentException e) {
      throw new UserError("--stores: cannot read " + stores.stores + ": " + e.getMessage());
    }
    return TaskModel.regression(
        ModelHead.regressionLog1p(), DemandFeatures.vocabularies(table), RegressionMetric.RMSPE);
  }

  /**
   * Purchase lines of Online Retail (I or II) or CDNOW, told apart by their header ({@link
   * ChurnRows}), in event-time order (stable: lines of one invoice keep their order; lines without
   * a date go last); lines without a customer id are kept, for the job to dead-letter.
   */
  private static List<ChurnActivity> churnLines(Path file) throws IOException {
    List<ChurnActivity> lines = new ArrayList<>();
    ChurnRows.read(file, lines::add);
    lines.sort(
        Comparator.comparing(
            ChurnActivity::getEventTime, Comparator.nullsLast(Comparator.naturalOrder())));
    return lines;
  }
}
