package dev.millrace.scorer.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.millrace.scorer.FeatureSchema;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything needed to rebuild, verify and explain a model: the self-describing half of a {@link
 * ModelBundle}, stored as {@code manifest.json}. Serialised with Jackson ({@link
 * ModelBundle#json()}).
 *
 * @param formatVersion bundle format; readers refuse versions they do not know
 * @param task the task (fraud, churn, demand)
 * @param version the model version named in announcements and score records
 * @param objective {@link #BINARY_CLASSIFICATION} (output = sigmoid(logit)) or {@link #REGRESSION}
 * @param featureNames input features, in the order of the rows given to predict
 * @param featureSchemaFingerprint {@link FeatureSchema#fingerprint()} of {@code featureNames}
 * @param normalisation per-feature transform and standardisation statistics, one per feature
 * @param categoricalVocabularies feature name to its vocabulary; the row value of such a feature is
 *     the index into the vocabulary (anything else maps to the extra out-of-vocabulary slot)
 * @param architecture the network's shape
 * @param training how it was trained
 * @param trainingWindowStart event time of the earliest training example (may be null)
 * @param trainingWindowEnd event time of the latest training example (may be null)
 * @param holdoutMetrics metrics on a later evaluation slice
 * @param libraryVersions DJL, PyTorch engine, Java versions used
 * @param device the device the model was trained on (e.g. cpu(), gpu(0))
 * @param createdAt when the bundle was made
 * @param driftReference reference distributions of the features and the score for drift
 *     measurement; null in bundles made before it existed
 * @param target for {@link #REGRESSION}: how the net's output maps back to the original scale of
 *     the target ({@link Target}); null for {@link #BINARY_CLASSIFICATION} and in bundles made
 *     before regression existed (absent from their JSON, so they read and re-serialise unchanged)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelManifest(
    int formatVersion,
    String task,
    String version,
    String objective,
    List<String> featureNames,
    String featureSchemaFingerprint,
    List<FeatureStats> normalisation,
    Map<String, List<String>> categoricalVocabularies,
    Architecture architecture,
    Training training,
    Instant trainingWindowStart,
    Instant trainingWindowEnd,
    Map<String, Double> holdoutMetrics,
    Map<String, String> libraryVersions,
    String device,
    Instant createdAt,
    @JsonInclude(JsonInclude.Include.NON_NULL) DriftReference driftReference,
    @JsonInclude(JsonInclude.Include.NON_NULL) Target target) {

  /** The bundle format this code writes and reads. */
  public static final int FORMAT_VERSION = 1;

  public static final String BINARY_CLASSIFICATION = "binary-classification";
  public static final String REGRESSION = "regression";

  public ModelManifest {
    featureNames = List.copyOf(featureNames);
    normalisation = List.copyOf(normalisation);
    categoricalVocabularies =
        categoricalVocabularies == null ? Map.of() : Map.copyOf(categoricalVocabularies);
    holdoutMetrics = holdoutMetrics == null ? Map.of() : Map.copyOf(holdoutMetrics);
    libraryVersions = libraryVersions == null ? Map.of() : Map.copyOf(libraryVersions);
    if (normalisation.size() != featureNames.size()) {
      throw new IllegalArgumentException(
          "normalisation has "
              + normalisation.size()
              + " entries for "
              + featureNames.size()
              + " features");
    }
    for (int i = 0; i < featureNames.size(); i++) {
      if (!featureNames.get(i).equals(normalisation.get(i).name())) {
        throw new IllegalArgumentException(
            "normalisation entry "
                + i
                + " is for "
                + normalisation.get(i).name()
                + ", expected "
                + featureNames.get(i));
      }
    }
    if (driftReference != null && !driftReference.features().keySet().containsAll(featureNames)) {
      throw new IllegalArgumentException("the drift reference lacks features of " + featureNames);
    }
    for (String f : categoricalVocabularies.keySet()) {
      if (!featureNames.contains(f)) {
        throw new IllegalArgumentException("vocabulary for unknown feature " + f);
      }
    }
    if (objective != null
        && !BINARY_CLASSIFICATION.equals(objective)
        && !REGRESSION.equals(objective)) {
      throw new IllegalArgumentException(
          "unknown objective "
              + objective
              + ": expected "
              + BINARY_CLASSIFICATION
              + " or "
              + REGRESSION);
    }
    if (target != null && !REGRESSION.equals(objective)) {
      throw new IllegalArgumentException(
          "a target transform is for regression only, not " + objective);
    }
  }

  /** A manifest without a regression target (a binary classifier unless {@code objective} says). */
  public ModelManifest(
      int formatVersion,
      String task,
      String version,
      String objective,
      List<String> featureNames,
      String featureSchemaFingerprint,
      List<FeatureStats> normalisation,
      Map<String, List<String>> categoricalVocabularies,
      Architecture architecture,
      Training training,
      Instant trainingWindowStart,
      Instant trainingWindowEnd,
      Map<String, Double> holdoutMetrics,
      Map<String, String> libraryVersions,
      String device,
      Instant createdAt,
      DriftReference driftReference) {
    this(
        formatVersion,
        task,
        version,
        objective,
        featureNames,
        featureSchemaFingerprint,
        normalisation,
        categoricalVocabularies,
        architecture,
        training,
        trainingWindowStart,
        trainingWindowEnd,
        holdoutMetrics,
        libraryVersions,
        device,
        createdAt,
        driftReference,
        null);
  }

  /**
   * Whether the net's output is a regression prediction (else a logit for a probability); a
   * manifest without an objective is a binary classifier, as every bundle before regression was.
   */
  @JsonIgnore
  public boolean isRegression() {
    return REGRESSION.equals(objective);
  }

  /** The regression target's mapping, the identity when the manifest has none. */
  public Target targetOrIdentity() {
    return target != null ? target : Target.IDENTITY;
  }

  /** A manifest without a drift reference. */
  public ModelManifest(
      int formatVersion,
      String task,
      String version,
      String objective,
      List<String> featureNames,
      String featureSchemaFingerprint,
      List<FeatureStats> normalisation,
      Map<String, List<String>> categoricalVocabularies,
      Architecture architecture,
      Training training,
      Instant trainingWindowStart,
      Instant trainingWindowEnd,
      Map<String, Double> holdoutMetrics,
      Map<String, String> libraryVersions,
      String device,
      Instant createdAt) {
    this(
        formatVersion,
        task,
        version,
        objective,
        featureNames,
        featureSchemaFingerprint,
        normalisation,
        categoricalVocabularies,
        architecture,
        training,
        trainingWindowStart,
        trainingWindowEnd,
        holdoutMetrics,
        libraryVersions,
        device,
        createdAt,
        null);
  }

  /** A copy with the given drift reference. */
  public ModelManifest withDriftReference(DriftReference reference) {
    return new ModelManifest(
        formatVersion,
        task,
        version,
        objective,
        featureNames,
        featureSchemaFingerprint,
        normalisation,
        categoricalVocabularies,
        architecture,
        training,
        trainingWindowStart,
        trainingWindowEnd,
        holdoutMetrics,
        libraryVersions,
        device,
        createdAt,
        reference,
        target);
  }

  /** The feature schema these feature names make. */
  public FeatureSchema featureSchema() {
    return new FeatureSchema(featureNames);
  }

  /** A copy with other holdout metrics, training window and creation time. */
  public ModelManifest withProvenance(
      Map<String, Double> metrics, Instant windowStart, Instant windowEnd, Instant created) {
    return new ModelManifest(
        formatVersion,
        task,
        version,
        objective,
        featureNames,
        featureSchemaFingerprint,
        normalisation,
        categoricalVocabularies,
        architecture,
        training,
        windowStart,
        windowEnd,
        metrics,
        libraryVersions,
        device,
        created,
        driftReference,
        target);
  }

  /**
   * How one feature is turned into a network input: {@code (transform(x) - mean) / std}, clipped to
   * [-{@link FeatureNormaliser#CLIP}, {@link FeatureNormaliser#CLIP}].
   *
   * @param name the feature
   * @param transform {@link #IDENTITY}, {@link #LOG1P} (for non-negative heavy-tailed features;
   *     negative inputs count as 0) or {@link #CATEGORY} (the value is a vocabulary index, not
   *     standardised)
   * @param mean mean of the transformed training values
   * @param std standard deviation of the transformed training values (1 when constant)
   */
  public record FeatureStats(String name, String transform, double mean, double std) {
    public static final String IDENTITY = "identity";
    public static final String LOG1P = "log1p";
    public static final String CATEGORY = "category";

    public FeatureStats {
      if (!IDENTITY.equals(transform) && !LOG1P.equals(transform) && !CATEGORY.equals(transform)) {
        throw new IllegalArgumentException("unknown transform " + transform + " for " + name);
      }
      if (!(std > 0) || !Double.isFinite(mean)) {
        throw new IllegalArgumentException("bad statistics for " + name + ": " + mean + "/" + std);
      }
    }
  }

  /**
   * The network: optional entity embeddings, then [Linear, BatchNorm, ReLU, Dropout] per hidden
   * layer, then Linear(1).
   *
   * @param hiddenSizes units per hidden layer
   * @param dropout dropout probability after each hidden layer (0 = none)
   * @param batchNorm whether each hidden layer has batch normalisation
   * @param embeddingDims embedding width per categorical feature
   */
  public record Architecture(
      List<Integer> hiddenSizes,
      double dropout,
      boolean batchNorm,
      Map<String, Integer> embeddingDims) {
    public Architecture {
      hiddenSizes = List.copyOf(hiddenSizes);
      embeddingDims = embeddingDims == null ? Map.of() : Map.copyOf(embeddingDims);
      if (dropout < 0 || dropout >= 1) {
        throw new IllegalArgumentException("dropout must be in [0, 1): " + dropout);
      }
    }
  }

  /**
   * Training settings and facts.
   *
   * @param epochs maximum epochs
   * @param epochsRun epochs actually run (early stopping)
   * @param bestEpoch the epoch (1-based) whose parameters were kept
   * @param batchSize mini-batch size
   * @param maxLearningRate peak learning rate of the schedule
   * @param weightDecay weight decay
   * @param schedule learning-rate schedule, "one-cycle"
   * @param optimizer optimizer name
   * @param seed random seed
   * @param balanceClasses whether the positive class was up-weighted
   * @param positiveClassWeight weight of positive examples in the loss (1 = none)
   * @param trainingRows rows used for training
   * @param positiveRows positive rows among them
   * @param validationRows rows used for early stopping (0 = none)
   */
  public record Training(
      int epochs,
      int epochsRun,
      int bestEpoch,
      int batchSize,
      double maxLearningRate,
      double weightDecay,
      String schedule,
      String optimizer,
      long seed,
      boolean balanceClasses,
      double positiveClassWeight,
      long trainingRows,
      long positiveRows,
      long validationRows) {}

  /**
   * How a regression net's output {@code z} maps back to the target's original scale: {@code
   * inverse(z * std + mean)}, where {@code inverse} undoes {@code transform}. The trainer fits the
   * net on {@code (transform(y) - mean) / std}, so the output layer starts near the right scale.
   *
   * @param transform {@link FeatureStats#IDENTITY} or {@link FeatureStats#LOG1P} (for sales and
   *     counts: the net learns log1p(y), predictions are expm1 of its output, never below 0)
   * @param mean mean of the transformed training targets
   * @param std standard deviation of the transformed training targets (1 when constant)
   */
  public record Target(String transform, double mean, double std) {

    /** No transform, no scaling. */
    public static final Target IDENTITY = new Target(FeatureStats.IDENTITY, 0, 1);

    public Target {
      if (!FeatureStats.IDENTITY.equals(transform) && !FeatureStats.LOG1P.equals(transform)) {
        throw new IllegalArgumentException(
            "unknown target transform " + transform + ": expected identity or log1p");
      }
      if (!(std > 0) || !Double.isFinite(std) || !Double.isFinite(mean)) {
        throw new IllegalArgumentException("bad target statistics: " + mean + "/" + std);
      }
    }

    /** The transformed value of a target on the original scale (log1p of at least 0). */
    public double forward(double y) {
      return FeatureStats.LOG1P.equals(transform) ? Math.log1p(Math.max(0, y)) : y;
    }

    /** The original-scale value of a transformed one. */
    public double inverse(double t) {
      return FeatureStats.LOG1P.equals(transform) ? Math.max(0, Math.expm1(t)) : t;
    }

    /** The original-scale prediction of a net output (standardised, transformed scale). */
    public float fromOutput(float z) {
      return (float) inverse(z * std + mean);
    }
  }
}
