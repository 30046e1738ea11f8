package dev.millrace.scorer.flink;

import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.scorer.BatchModel;
import dev.millrace.scorer.FeatureSchema;
import dev.millrace.scorer.ModelLoader;
import dev.millrace.scorer.ModelRefusedException;
import dev.millrace.scorer.ModelRefusedException.Reason;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Loads a {@link LinearModel} from a small properties file, verifying like the real loader does:
 * the artifact exists, its SHA-256 matches the announcement, and its feature names match both the
 * announcement's fingerprint and the job's schema.
 */
final class LinearModelLoader implements ModelLoader {

  private static final long serialVersionUID = 1L;

  /** Every model loaded in this JVM, in order (tests in one class run one after another). */
  static final Queue<LinearModel> LOADED = new ConcurrentLinkedQueue<>();

  @Override
  public BatchModel load(ModelAnnouncement announcement, FeatureSchema expected)
      throws ModelRefusedException {
    Path path = Path.of(URI.create(announcement.getArtifactUri()));
    if (!Files.isRegularFile(path)) {
      throw new ModelRefusedException(Reason.ARTIFACT_MISSING, "no artifact at " + path);
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
    } catch (IOException e) {
      throw new ModelRefusedException(Reason.UNREADABLE, "cannot read " + path, e);
    }
    String sha = sha256(bytes);
    if (!sha.equalsIgnoreCase(announcement.getSha256())) {
      throw new ModelRefusedException(
          Reason.CHECKSUM_MISMATCH,
          "artifact sha256 " + sha + " != announced " + announcement.getSha256());
    }
    Properties p = new Properties();
    try {
      p.load(new StringReader(new String(bytes, java.nio.charset.StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new ModelRefusedException(Reason.UNREADABLE, "bad artifact " + path, e);
    }
    FeatureSchema own = new FeatureSchema(List.of(p.getProperty("features").split(",")));
    if (!own.fingerprint().equals(expected.fingerprint())
        || !own.fingerprint().equals(announcement.getFeatureSchemaFingerprint())) {
      throw new ModelRefusedException(
          Reason.FEATURE_SCHEMA_MISMATCH, "model features " + own.names() + " differ");
    }
    String[] w = p.getProperty("weights").split(",");
    float[] weights = new float[w.length];
    for (int i = 0; i < w.length; i++) {
      weights[i] = Float.parseFloat(w[i]);
    }
    LinearModel model =
        new LinearModel(
            p.getProperty("version"), own, Float.parseFloat(p.getProperty("bias")), weights);
    LOADED.add(model);
    return model;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The bytes of an artifact file for a linear model. */
  static byte[] artifact(String version, List<String> features, float bias, float[] weights) {
    StringBuilder w = new StringBuilder();
    for (int i = 0; i < weights.length; i++) {
      w.append(i == 0 ? "" : ",").append(weights[i]);
    }
    String text =
        "version="
            + version
            + "\nfeatures="
            + String.join(",", features)
            + "\nbias="
            + bias
            + "\nweights="
            + w
            + "\n";
    return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }
}
