package dev.millrace.trainer;

import dev.millrace.schemas.Task;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.scorer.FeatureSchema;
import dev.millrace.trainer.eval.Slice;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Synthetic fraud-like examples: four standard-normal features, a label drawn with probability
 * {@code sigmoid(3 f0 - 2 f1 - 3)} (about 12 % positives), one example a minute, each label known
 * an hour after its example ({@link #LABEL_LAG}), cards drawn from {@value #CARDS} (so that, as in
 * card data, few evaluation rows belong to a card already known positive).
 */
final class Synthetic {

  static final FeatureSchema SCHEMA = new FeatureSchema(List.of("f0", "f1", "f2", "f3"));
  static final long START = Instant.parse("2025-01-01T00:00:00Z").toEpochMilli();
  static final long MINUTE = 60_000L;
  static final long LABEL_LAG = 3_600_000L;
  static final int CARDS = 20_000;

  private Synthetic() {}

  /** Label modes: learnable from the features, independent noise, or always negative. */
  enum Labels {
    INFORMATIVE,
    NOISE,
    NONE
  }

  static float[] features(Random random) {
    float[] f = new float[SCHEMA.size()];
    for (int j = 0; j < f.length; j++) {
      f[j] = (float) random.nextGaussian();
    }
    return f;
  }

  static float label(float[] f, Labels mode, Random random) {
    return switch (mode) {
      case NONE -> 0f;
      case NOISE -> random.nextDouble() < 0.12 ? 1f : 0f;
      case INFORMATIVE -> {
        double p = 1 / (1 + Math.exp(-(3 * f[0] - 2 * f[1] - 3)));
        yield random.nextDouble() < p ? 1f : 0f;
      }
    };
  }

  /** A window whose first {@code trainRows} follow {@code trainMode}, the rest {@code evalMode}. */
  static Slice window(int rows, int trainRows, Labels trainMode, Labels evalMode, long seed) {
    Random random = new Random(seed);
    float[][] features = new float[rows][];
    float[] labels = new float[rows];
    long[] times = new long[rows];
    String[] ids = new String[rows];
    long[] labelTimes = new long[rows];
    for (int i = 0; i < rows; i++) {
      features[i] = features(random);
      labels[i] = label(features[i], i < trainRows ? trainMode : evalMode, random);
      times[i] = START + i * MINUTE;
      ids[i] = "card-" + random.nextInt(CARDS);
      labelTimes[i] = times[i] + LABEL_LAG;
    }
    return new Slice(features, labels, times, ids, labelTimes);
  }

  static List<TrainingExample> examples(int rows, Labels mode, long seed) {
    Random random = new Random(seed);
    List<TrainingExample> out = new ArrayList<>(rows);
    for (int i = 0; i < rows; i++) {
      float[] f = features(random);
      List<Float> values = new ArrayList<>(f.length);
      for (float v : f) {
        values.add(v);
      }
      out.add(
          TrainingExample.newBuilder()
              .setTask(Task.FRAUD)
              .setEventId("tx-" + i)
              .setEntityId("card-" + random.nextInt(CARDS))
              .setFeatureSchemaFingerprint(SCHEMA.fingerprint())
              .setFeatures(values)
              .setLabel(label(f, mode, random))
              .setEventTime(Instant.ofEpochMilli(START + i * MINUTE))
              .setLabelTime(Instant.ofEpochMilli(START + i * MINUTE + LABEL_LAG))
              .setModelVersion("none")
              .setScore(0.0)
              .build());
    }
    return out;
  }
}
