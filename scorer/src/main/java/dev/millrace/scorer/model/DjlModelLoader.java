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
 *
 * <p>An artifact larger than {@link #maxArtifactBytes} (default {@value
 * #DEFAULT_MAX_ARTIFACT_BYTES} bytes, 512 MiB) is refused ({@link Reason#TOO_LARGE}) before it is
 * read: its size is checked first, and the read stops one byte past the cap whatever the size said,
 * so an announcement that points at a huge file never becomes an {@code OutOfMemoryError}.
 *
 * <p>With a {@link ModelSigning.Verifier} (the scorer's own public key, never one from the
 * announcement) every artifact must also carry a valid Ed25519 signature over its bytes in {@code
 * <artifact>.sig}: without one it is refused ({@link Reason#UNSIGNED}), with one that the key does
 * not verify ({@link Reason#BAD_SIGNATURE}). Without a verifier signatures are not looked at.
 */
public final class DjlModelLoader implements ModelLoader {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(DjlModelLoader.class);

  /** The default cap on an artifact's size: 512 MiB. */
  public static final long DEFAULT_MAX_ARTIFACT_BYTES = 512L * 1024 * 1024;

  private final DeviceChoice device;
  private final long maxArtifactBytes;
  private final ModelSigning.Verifier verifier;

  /** Models on a GPU when PyTorch sees one, else on the CPU; artifacts up to 512 MiB. */
  public DjlModelLoader() {
    this(DeviceChoice.AUTO, DEFAULT_MAX_ARTIFACT_BYTES);
  }

  /** Models on {@code device}; {@code gpu} without a GPU fails {@link #checkReady()}. */
  public DjlModelLoader(DeviceChoice device) {
    this(device, DEFAULT_MAX_ARTIFACT_BYTES);
  }

  /** A loader that refuses artifacts larger than {@code maxArtifactBytes} (at most 2 GiB - 1). */
  public DjlModelLoader(long maxArtifactBytes) {
    this(DeviceChoice.AUTO, maxArtifactBytes);
  }

  /** Models on {@code device}, artifacts up to {@code maxArtifactBytes}. */
  public DjlModelLoader(DeviceChoice device, long maxArtifactBytes) {
    this(device, maxArtifactBytes, null);
  }

  /**
   * Models on {@code device}, artifacts up to {@code maxArtifactBytes}, each signed under {@code
   * verifier}'s key; a null {@code verifier} checks no signatures.
   */
  public DjlModelLoader(
      DeviceChoice device, long maxArtifactBytes, ModelSigning.Verifier verifier) {
    this.verifier = verifier;
    this.device = java.util.Objects.requireNonNull(device, "device");
    if (maxArtifactBytes <= 0 || maxArtifactBytes >= Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "maxArtifactBytes must be in [1, 2^31 - 2], got " + maxArtifactBytes);
    }
    this.maxArtifactBytes = maxArtifactBytes;
  }

  public DeviceChoice device() {
    return device;
  }

  /** The largest artifact this loader reads, in bytes. */
  public long maxArtifactBytes() {
    return maxArtifactBytes;
  }

  /** The key signatures are verified with; null when they are not checked. */
  public ModelSigning.Verifier verifier() {
    return verifier;
  }

  /** This loader, verifying signatures with {@code newVerifier} (null: none). */
  public DjlModelLoader withVerifier(ModelSigning.Verifier newVerifier) {
    return new DjlModelLoader(device, maxArtifactBytes, newVerifier);
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
    try {
      long size = ModelStore.sizeOf(uri);
      if (size > maxArtifactBytes) {
        throw tooLarge(version, uri, size + " bytes");
      }
    } catch (FileNotFoundException | NoSuchFileException e) {
      throw new ModelRefusedException(
          Reason.ARTIFACT_MISSING, "model " + version + ": no artifact at " + uri, e);
    } catch (IOException | RuntimeException e) {
      throw new ModelRefusedException(
          Reason.UNREADABLE,
          "model " + version + ": cannot read " + uri + ": " + e.getMessage(),
          e);
    }
    try (InputStream in = ModelStore.openUri(uri)) {
      bytes = in.readNBytes((int) maxArtifactBytes + 1);
      if (bytes.length > maxArtifactBytes) {
        throw tooLarge(version, uri, "more than " + maxArtifactBytes + " bytes");
      }
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

    if (verifier != null) {
      verifySignature(version, uri, bytes);
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
          "Loaded model {} of task {} ({} features) on {}{}",
          version,
          manifest.task(),
          manifest.featureNames().size(),
          model.device(),
          verifier == null ? "" : ", signature verified");
      return model;
    } catch (IOException | RuntimeException e) {
      throw new ModelRefusedException(
          Reason.UNREADABLE, "model " + version + ": cannot build the net: " + e.getMessage(), e);
    }
  }

  private void verifySignature(String version, URI uri, byte[] bytes) throws ModelRefusedException {
    byte[] signature;
    try {
      signature = ModelStore.readSignature(uri);
    } catch (FileNotFoundException | NoSuchFileException e) {
      throw new ModelRefusedException(
          Reason.UNSIGNED,
          "model "
              + version
              + ": no signature at "
              + ModelSigning.signatureOf(uri)
              + " and this scorer only applies signed models",
          e);
    } catch (IllegalArgumentException e) {
      throw new ModelRefusedException(
          Reason.BAD_SIGNATURE,
          "model " + version + ": the signature of " + uri + " is not Base64",
          e);
    } catch (IOException | RuntimeException e) {
      throw new ModelRefusedException(
          Reason.UNREADABLE,
          "model " + version + ": cannot read the signature of " + uri + ": " + e.getMessage(),
          e);
    }
    if (!verifier.verify(bytes, signature)) {
      throw new ModelRefusedException(
          Reason.BAD_SIGNATURE,
          "model "
              + version
              + ": the signature of "
              + uri
              + " does not verify with the scorer's public key (signed by another key, or"
              + " changed after signing)");
    }
  }

  private ModelRefusedException tooLarge(String version, URI uri, String size) {
    return new ModelRefusedException(
        Reason.TOO_LARGE,
        "model "
            + version
            + ": artifact "
            + uri
            + " has "
            + size
            + ", larger than the cap of "
            + maxArtifactBytes
            + " bytes; not read");
  }
}
