package dev.millrace.scorer.model;

import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.scorer.BatchModel;
import dev.millrace.scorer.DeviceChoice;
import dev.millrace.scorer.FeatureSchema;
import dev.millrace.scorer.ModelLoader;
import dev.millrace.scorer.ModelRefusedException;
import dev.millrace.scorer.ModelRefusedException.Reason;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads announced {@link TabularModel}s with DJL's PyTorch engine. Holds no state: every {@link
 * #load} reads the artifact (through Flink's filesystem layer, see {@link ModelStore}), checks its
 * SHA-256 against the announcement, checks the manifest's feature fingerprint against the
 * announcement and the job's schema, then builds the net on the engine's default device (GPU when
 * DJL finds one, else CPU; or as {@link DeviceChoice} says). PyTorch runs with one intra-op and one
 * inter-op thread unless {@code ai.djl.pytorch.num_threads} / {@code
 * ai.djl.pytorch.num_interop_threads} say otherwise, so that scoring subtasks do not fight over
 * cores.
 */
public final class DjlModelLoader implements ModelLoader {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(DjlModelLoader.class);

  private final DeviceChoice device;

  /** Models on a GPU when PyTorch sees one, else on the CPU. */
  public DjlModelLoader() {
    this(DeviceChoice.AUTO);
  }

  /** Models on {@code device}; {@code gpu} without a GPU fails {@link #checkReady()}. */
  public DjlModelLoader(DeviceChoice device) {
    this.device = java.util.Objects.requireNonNull(device, "device");
  }

  public DeviceChoice device() {
    return device;
  }

  /** Starts PyTorch and resolves the device: {@code gpu} without a GPU fails here. */
  @Override
  public void checkReady() {
    PyTorchThreads.device(device);
  }

  @Override
  public BatchModel load(ModelAnnouncement announcement, FeatureSchema expected)
      throws ModelRefusedException {
    return loadModel(announcement, expected);
  }

  /** As {@link #load}, typed. */
  public TabularModel loadModel(ModelAnnouncement announcement, FeatureSchema expected)
      throws ModelRefusedException {
    String version = String.valueOf(announcement.getVersion());
    String uriText = String.valueOf(announcement.getArtifactUri());
    URI uri;
    try {
      uri = URI.create(uriText);
    } catch (IllegalArgumentException e) {
      throw new ModelRefusedException(
          Reason.UNREADABLE, "model " + version + ": artifact URI '" + uriText + "' is invalid", e);
    }

    byte[] bytes;
    try (InputStream in = ModelStore.openUri(uri)) {
      bytes = in.readAllBytes();
    } catch (FileNotFoundException | NoSuchFileException e) {
      throw new ModelRefusedException(
          Reason.ARTIFACT_MISSING, "model " + version + ": no artifact at " + uri, e);
    } catch (IOException | RuntimeException e) {
      throw new ModelRefusedException(
          Reason.UNREADABLE,
          "model " + version + ": cannot read " + uri + ": " + e.getMessage(),
          e);
    }

    String actualSha = ModelBundle.sha256(bytes);
    String announcedSha = String.valueOf(announcement.getSha256());
    if (!actualSha.equalsIgnoreCase(announcedSha.trim())) {
      throw new ModelRefusedException(
          Reason.CHECKSUM_MISMATCH,
          "model "
              + version
              + ": SHA-256 of "
              + uri
              + " is "
              + actualSha
              + ", announced "
              + announcedSha);
    }

    ModelBundle bundle;
    try {
      bundle = ModelBundle.fromBytes(bytes);
    } catch (IOException | RuntimeException e) {
      throw new ModelRefusedException(
          Reason.UNREADABLE, "model " + version + ": " + e.getMessage(), e);
    }
    ModelManifest manifest = bundle.manifest();

    String manifestPrint = manifest.featureSchemaFingerprint();
    String ownPrint = manifest.featureSchema().fingerprint();
    String announcedPrint = String.valueOf(announcement.getFeatureSchemaFingerprint());
    String expectedPrint = expected.fingerprint();
    if (!ownPrint.equals(manifestPrint)) {
      throw new ModelRefusedException(
          Reason.FEATURE_SCHEMA_MISMATCH,
          "model "
              + version
              + ": manifest fingerprint "
              + manifestPrint
              + " does not match its own feature names ("
              + ownPrint
              + ")");
    }
    if (!manifestPrint.equals(announcedPrint)) {
      throw new ModelRefusedException(
          Reason.FEATURE_SCHEMA_MISMATCH,
          "model "
              + version
              + ": manifest feature fingerprint "
              + manifestPrint
              + " differs from the announced "
              + announcedPrint);
    }
    if (!manifestPrint.equals(expectedPrint)) {
      throw new ModelRefusedException(
          Reason.FEATURE_SCHEMA_MISMATCH,
          "model "
              + version
              + " expects features "
              + manifest.featureNames()
              + " but the job produces "
              + expected.names());
    }
    if (!version.equals(manifest.version())) {
      throw new ModelRefusedException(
          Reason.UNREADABLE,
          "announced version " + version + " but the bundle holds version " + manifest.version());
    }

    ai.djl.Device on;
    try {
      on = PyTorchThreads.device(device);
    } catch (DeviceChoice.DeviceUnavailableException e) {
      throw new ModelRefusedException(
          Reason.UNREADABLE, "model " + version + ": " + e.getMessage(), e);
    }
    try {
      TabularModel model = bundle.load(on);
      LOG.info(
          "Loaded model {} of task {} ({} features) on {}",
          version,
          manifest.task(),
          manifest.featureNames().size(),
          model.device());
      return model;
    } catch (IOException | RuntimeException e) {
      throw new ModelRefusedException(
          Reason.UNREADABLE, "model " + version + ": cannot build the net: " + e.getMessage(), e);
    }
  }
}
