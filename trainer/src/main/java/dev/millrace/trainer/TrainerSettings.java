package dev.millrace.trainer;

import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.scorer.DeviceChoice;
import dev.millrace.scorer.FeatureSchema;
import dev.millrace.scorer.model.ModelSigning;
import dev.millrace.trainer.eval.EvalSettings;
import dev.millrace.trainer.eval.PromotionMetric;
import dev.millrace.trainer.model.TrainSettings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the trainer service needs, parsed once.
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param topics the topic registry (namespace)
 * @param task the task whose {@code <task>.training} topic is read
 * @param featureSchema the features the examples (and models) follow; other examples are refused
 * @param model the task's head, categorical vocabularies and, for a regression head, the error it
 *     is promoted on
 * @param modelStore root URI of the model store ({@code file:///...}, {@code s3://...})
 * @param retrainEveryExamples retrain after this many new examples...
 * @param retrainEvery ...or after this much wall-clock time, whichever comes first
 * @param windowRows the training window: the most recent rows by event time
 * @param evalFraction the latest fraction of the window used as evaluation slice
 * @param minTrainRows fewer training rows than this and the run is skipped
 * @param promotionMetric the metric a binary challenger must win on (a regression head's gate
 *     compares {@link TaskModel#regressionError()} instead; see {@link #promotionKey()})
 * @param promotionMargin by how much it must win: the lower end of the bootstrap interval of the
 *     difference must exceed it (0: the interval lies above 0)
 * @param cardPrecisionK the k of card precision@k
 * @param evaluation the gap before the evaluation slice and the promotion gate's bootstrap
 * @param trainSettings network and optimiser settings of the model code
 * @param historyDir folder of the JSON-lines training history
 * @param consumerGroup the service's own consumer group
 * @param device where models are trained and the champion is scored ({@code --device})
 * @param signingKey the private key promoted bundles are signed with ({@code <bundle>.sig}, written
 *     before the announcement); null writes no signatures ({@code --signing-key})
 * @param kafkaProperties client properties merged into every Kafka client of the trainer
 *     (consumers, producers, admin), e.g. SASL_SSL security from {@code --kafka-config}; its own
 *     settings (bootstrap servers, group, isolation level) win
 */
public record TrainerSettings(
    String bootstrapServers,
    TopicRegistry topics,
    Task task,
    FeatureSchema featureSchema,
    TaskModel model,
    URI modelStore,
    long retrainEveryExamples,
    Duration retrainEvery,
    int windowRows,
    double evalFraction,
    int minTrainRows,
    PromotionMetric promotionMetric,
    double promotionMargin,
    int cardPrecisionK,
    EvalSettings evaluation,
    TrainSettings trainSettings,
    Path historyDir,
    String consumerGroup,
    DeviceChoice device,
    ModelSigning.Signer signingKey,
    Map<String, String> kafkaProperties) {

  public static final long DEFAULT_RETRAIN_EVERY_EXAMPLES = 50_000;
  public static final Duration DEFAULT_RETRAIN_EVERY = Duration.ofMinutes(10);
  public static final int DEFAULT_WINDOW_ROWS = 200_000;
  public static final double DEFAULT_EVAL_FRACTION = 0.2;
  public static final int DEFAULT_MIN_TRAIN_ROWS = 100;
  public static final int DEFAULT_CARD_PRECISION_K = 100;

  public TrainerSettings {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(featureSchema, "featureSchema");
    Objects.requireNonNull(model, "model");
    for (String f : model.vocabularies().keySet()) {
      if (!featureSchema.names().contains(f)) {
        throw new IllegalArgumentException(
            "a vocabulary for " + f + ", which is not a feature of the schema");
      }
    }
    Objects.requireNonNull(modelStore, "modelStore");
    Objects.requireNonNull(retrainEvery, "retrainEvery");
    Objects.requireNonNull(promotionMetric, "promotionMetric");
    Objects.requireNonNull(evaluation, "evaluation");
    Objects.requireNonNull(trainSettings, "trainSettings");
    Objects.requireNonNull(historyDir, "historyDir");
    Objects.requireNonNull(consumerGroup, "consumerGroup");
    Objects.requireNonNull(device, "device");
    kafkaProperties = Map.copyOf(kafkaProperties);
    if (retrainEveryExamples < 1) {
      throw new IllegalArgumentException("retrain-every-examples must be >= 1");
    }
    if (retrainEvery.isNegative() || retrainEvery.isZero()) {
      throw new IllegalArgumentException("the retrain interval must be positive");
    }
    if (windowRows < 2) {
      throw new IllegalArgumentException("the training window needs at least 2 rows");
    }
    if (!(evalFraction > 0 && evalFraction < 1)) {
      throw new IllegalArgumentException("the evaluation fraction must lie between 0 and 1");
    }
    if (minTrainRows < 1) {
      throw new IllegalArgumentException("min-train-rows must be >= 1");
    }
    if (!Double.isFinite(promotionMargin) || promotionMargin < 0) {
      throw new IllegalArgumentException("the promotion margin must be >= 0");
    }
    if (cardPrecisionK < 1) {
      throw new IllegalArgumentException("card precision k must be >= 1");
    }
  }

  /**
   * The defaults: retrain every 50,000 examples or 10 minutes, a 200,000-row window evaluated on
   * its last 20 % after a gap of the examples' label maturity ({@link EvalSettings#defaults()}),
   * promotion on average precision when the 90 % bootstrap interval of the gain lies above 0
   * (margin 0), history under the model store when it is a local folder (else {@code
   * .millrace/history}).
   */
  public static TrainerSettings defaults(
      String bootstrapServers,
      TopicRegistry topics,
      Task task,
      FeatureSchema featureSchema,
      URI modelStore) {
    return defaults(bootstrapServers, topics, task, featureSchema, TaskModel.binary(), modelStore);
  }

  /**
   * {@link #defaults(String, TopicRegistry, Task, FeatureSchema, URI)} for a task whose models are
   * {@code model} (a regression head is promoted on its {@link TaskModel#regressionError()}; a
   * model that needs a longer window, {@link TaskModel#windowRows()}, gets it).
   */
  public static TrainerSettings defaults(
      String bootstrapServers,
      TopicRegistry topics,
      Task task,
      FeatureSchema featureSchema,
      TaskModel model,
      URI modelStore) {
    return new TrainerSettings(
        bootstrapServers,
        topics,
        task,
        featureSchema,
        model,
        modelStore,
        DEFAULT_RETRAIN_EVERY_EXAMPLES,
        DEFAULT_RETRAIN_EVERY,
        model.windowRows() != null ? model.windowRows() : DEFAULT_WINDOW_ROWS,
        DEFAULT_EVAL_FRACTION,
        DEFAULT_MIN_TRAIN_ROWS,
        PromotionMetric.AVERAGE_PRECISION,
        0.0,
        DEFAULT_CARD_PRECISION_K,
        EvalSettings.defaults(),
        TrainSettings.defaults(),
        defaultHistoryDir(modelStore),
        "millrace-trainer-" + TopicRegistry.taskName(task),
        DeviceChoice.AUTO,
        null,
        Map.of());
  }

  /** {@code <store>/history} for a {@code file:} store, else {@code .millrace/history}. */
  public static Path defaultHistoryDir(URI modelStore) {
    if ("file".equalsIgnoreCase(modelStore.getScheme())) {
      return Path.of(modelStore).resolve("history");
    }
    return Path.of(".millrace", "history");
  }

  public TrainerSettings withRetrain(long everyExamples, Duration every) {
    return new TrainerSettings(
        bootstrapServers,
        topics,
        task,
        featureSchema,
        model,
        modelStore,
        everyExamples,
        every,
        windowRows,
        evalFraction,
        minTrainRows,
        promotionMetric,
        promotionMargin,
        cardPrecisionK,
        evaluation,
        trainSettings,
        historyDir,
        consumerGroup,
        device,
        signingKey,
        kafkaProperties);
  }

  public TrainerSettings withWindow(int rows, double evalFraction, int minTrainRows) {
    return new TrainerSettings(
        bootstrapServers,
        topics,
        task,
        featureSchema,
        model,
        modelStore,
        retrainEveryExamples,
        retrainEvery,
        rows,
        evalFraction,
        minTrainRows,
        promotionMetric,
        promotionMargin,
        cardPrecisionK,
        evaluation,
        trainSettings,
        historyDir,
        consumerGroup,
        device,
        signingKey,
        kafkaProperties);
  }

  public TrainerSettings withPromotion(PromotionMetric metric, double margin, int k) {
    return new TrainerSettings(
        bootstrapServers,
        topics,
        task,
        featureSchema,
        model,
        modelStore,
        retrainEveryExamples,
        retrainEvery,
        windowRows,
        evalFraction,
        minTrainRows,
        metric,
        margin,
        k,
        evaluation,
        trainSettings,
        historyDir,
        consumerGroup,
        device,
        signingKey,
        kafkaProperties);
  }

  public TrainerSettings withEvaluation(EvalSettings e) {
    return new TrainerSettings(
        bootstrapServers,
        topics,
        task,
        featureSchema,
        model,
        modelStore,
        retrainEveryExamples,
        retrainEvery,
        windowRows,
        evalFraction,
        minTrainRows,
        promotionMetric,
        promotionMargin,
        cardPrecisionK,
        e,
        trainSettings,
        historyDir,
        consumerGroup,
        device,
        signingKey,
        kafkaProperties);
  }

  public TrainerSettings withTrainSettings(TrainSettings settings) {
    return new TrainerSettings(
        bootstrapServers,
        topics,
        task,
        featureSchema,
        model,
        modelStore,
        retrainEveryExamples,
        retrainEvery,
        windowRows,
        evalFraction,
        minTrainRows,
        promotionMetric,
        promotionMargin,
        cardPrecisionK,
        evaluation,
        settings,
        historyDir,
        consumerGroup,
        device,
        signingKey,
        kafkaProperties);
  }

  public TrainerSettings withHistoryDir(Path dir) {
    return new TrainerSettings(
        bootstrapServers,
        topics,
        task,
        featureSchema,
        model,
        modelStore,
        retrainEveryExamples,
        retrainEvery,
        windowRows,
        evalFraction,
        minTrainRows,
        promotionMetric,
        promotionMargin,
        cardPrecisionK,
        evaluation,
        trainSettings,
        dir,
        consumerGroup,
        device,
        signingKey,
        kafkaProperties);
  }

  /** These settings with these Kafka client properties (e.g. a {@code --kafka-config} file). */
  public TrainerSettings withKafkaProperties(Map<String, String> properties) {
    return new TrainerSettings(
        bootstrapServers,
        topics,
        task,
        featureSchema,
        model,
        modelStore,
        retrainEveryExamples,
        retrainEvery,
        windowRows,
        evalFraction,
        minTrainRows,
        promotionMetric,
        promotionMargin,
        cardPrecisionK,
        evaluation,
        trainSettings,
        historyDir,
        consumerGroup,
        device,
        signingKey,
        properties);
  }

  /** These settings for models that are {@code m} (head, vocabularies, regression error). */
  public TrainerSettings withModel(TaskModel m) {
    return new TrainerSettings(
        bootstrapServers,
        topics,
        task,
        featureSchema,
        m,
        modelStore,
        retrainEveryExamples,
        retrainEvery,
        windowRows,
        evalFraction,
        minTrainRows,
        promotionMetric,
        promotionMargin,
        cardPrecisionK,
        evaluation,
        trainSettings,
        historyDir,
        consumerGroup,
        device,
        signingKey,
        kafkaProperties);
  }

  /**
   * The key of the metric the promotion gate compares: the regression error of a regression head
   * ({@code rmspe}, ...), else the ranking metric ({@code average_precision}, ...).
   */
  public String promotionKey() {
    return model.isRegression() ? model.regressionError().key() : promotionMetric.key();
  }

  public String taskName() {
    return TopicRegistry.taskName(task);
  }

  /** These settings signing promoted bundles with {@code key} (null: unsigned). */
  public TrainerSettings withSigningKey(ModelSigning.Signer key) {
    return new TrainerSettings(
        bootstrapServers,
        topics,
        task,
        featureSchema,
        model,
        modelStore,
        retrainEveryExamples,
        retrainEvery,
        windowRows,
        evalFraction,
        minTrainRows,
        promotionMetric,
        promotionMargin,
        cardPrecisionK,
        evaluation,
        trainSettings,
        historyDir,
        consumerGroup,
        device,
        key,
        kafkaProperties);
  }

  /** These settings training on {@code device}. */
  public TrainerSettings withDevice(DeviceChoice newDevice) {
    return new TrainerSettings(
        bootstrapServers,
        topics,
        task,
        featureSchema,
        model,
        modelStore,
        retrainEveryExamples,
        retrainEvery,
        windowRows,
        evalFraction,
        minTrainRows,
        promotionMetric,
        promotionMargin,
        cardPrecisionK,
        evaluation,
        trainSettings,
        historyDir,
        consumerGroup,
        newDevice,
        signingKey,
        kafkaProperties);
  }
}
