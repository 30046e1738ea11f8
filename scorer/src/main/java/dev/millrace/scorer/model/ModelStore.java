package dev.millrace.scorer.model;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.FileSystem.WriteMode;
import org.apache.flink.core.fs.Path;

/**
 * Model bundles addressed by URI through Flink's filesystem layer: {@code file:} works everywhere,
 * {@code s3:}, {@code hdfs:} etc. wherever the matching Flink filesystem plugin is installed. A
 * bundle lives at {@code <root>/<task>/<version>.zip}.
 */
public final class ModelStore implements Serializable {

  private static final long serialVersionUID = 1L;

  private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,199}");

  /** A signature file is about 90 bytes; anything past this is not read. */
  private static final int MAX_SIGNATURE_FILE_BYTES = 4096;

  private final URI root;

  /**
   * @param root the store's root directory, e.g. {@code file:///var/millrace/models} or {@code
   *     s3://bucket/models}; a URI without a scheme is a local path
   */
  public ModelStore(URI root) {
    this.root = root;
  }

  public URI root() {
    return root;
  }

  /** Where {@code put} writes the bundle of this task and version. */
  public URI locationOf(String task, String version) {
    checkName("task", task);
    checkName("version", version);
    return new Path(new Path(new Path(root), task), version + ".zip").toUri();
  }

  /**
   * Writes the bundle to {@code <root>/<task>/<version>.zip} atomically: first to a temporary file
   * next to it, then renamed into place, so a reader never sees half a bundle.
   *
   * @return the bundle's URI (to be announced)
   */
  public URI put(ModelBundle bundle) throws IOException {
    return put(bundle, null);
  }

  /**
   * As {@link #put(ModelBundle)}, and with a {@code signer} also signs the bundle's bytes: the
   * signature goes to {@code <bundle>.sig} ({@link ModelSigning#SUFFIX}, Base64) before the bundle
   * itself is renamed into place, so by the time the bundle can be announced its signature is
   * there. A null {@code signer} writes no signature.
   *
   * @return the bundle's URI (to be announced)
   */
  public URI put(ModelBundle bundle, ModelSigning.Signer signer) throws IOException {
    ModelManifest m = bundle.manifest();
    Path target = new Path(locationOf(m.task(), m.version()));
    byte[] bytes = bundle.toBytes();
    if (signer != null) {
      byte[] signature = signer.sign(bytes);
      writeAtomically(
          new Path(ModelSigning.signatureOf(target.toUri())),
          ModelSigning.signatureText(signature).getBytes(StandardCharsets.US_ASCII));
    }
    writeAtomically(target, bytes);
    return target.toUri();
  }

  private static void writeAtomically(Path target, byte[] bytes) throws IOException {
    FileSystem fs = target.getFileSystem();
    fs.mkdirs(target.getParent());
    Path tmp =
        new Path(target.getParent(), "." + target.getName() + "." + UUID.randomUUID() + ".tmp");
    try (OutputStream out = fs.create(tmp, WriteMode.NO_OVERWRITE)) {
      out.write(bytes);
    }
    try {
      if (!fs.rename(tmp, target)) {
        throw new IOException("could not rename " + tmp + " to " + target);
      }
    } catch (IOException e) {
      fs.delete(tmp, false);
      throw e;
    }
  }

  /**
   * The signature beside the bundle at {@code bundle} ({@code <bundle>.sig}), as raw bytes.
   *
   * @throws FileNotFoundException when the bundle has no signature file
   * @throws IOException when it cannot be read or is larger than 4 KiB
   * @throws IllegalArgumentException when it is not Base64
   */
  public static byte[] readSignature(URI bundle) throws IOException {
    URI sig = ModelSigning.signatureOf(bundle);
    Path path = new Path(sig);
    FileSystem fs = path.getFileSystem();
    if (!fs.exists(path)) {
      throw new FileNotFoundException("no signature at " + sig);
    }
    byte[] text;
    try (InputStream in = fs.open(path)) {
      text = in.readNBytes(MAX_SIGNATURE_FILE_BYTES + 1);
    }
    if (text.length > MAX_SIGNATURE_FILE_BYTES) {
      throw new IOException(sig + " is larger than " + MAX_SIGNATURE_FILE_BYTES + " bytes");
    }
    return ModelSigning.parseSignature(new String(text, StandardCharsets.US_ASCII));
  }

  /**
   * Opens a bundle by URI (any URI Flink's filesystems understand, not only this store's).
   *
   * @throws FileNotFoundException when there is nothing at {@code uri}
   */
  public InputStream open(URI uri) throws IOException {
    return openUri(uri);
  }

  /** Reads and parses the bundle at {@code uri}. */
  public ModelBundle read(URI uri) throws IOException {
    try (InputStream in = openUri(uri)) {
      return ModelBundle.read(in);
    }
  }

  /** Lower-case hex SHA-256 over the bytes of the file at {@code uri}. */
  public String sha256(URI uri) throws IOException {
    MessageDigest sha = ModelBundle.digest();
    try (InputStream in = openUri(uri)) {
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = in.read(buf)) >= 0) {
        sha.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /** Whether a file exists at {@code uri}. */
  public boolean exists(URI uri) throws IOException {
    Path path = new Path(uri);
    return path.getFileSystem().exists(path);
  }

  /** The size in bytes of the file at {@code uri}. */
  static long sizeOf(URI uri) throws IOException {
    Path path = new Path(uri);
    FileSystem fs = path.getFileSystem();
    if (!fs.exists(path)) {
      throw new FileNotFoundException("no model bundle at " + uri);
    }
    return fs.getFileStatus(path).getLen();
  }

  static InputStream openUri(URI uri) throws IOException {
    Path path = new Path(uri);
    FileSystem fs = path.getFileSystem();
    if (!fs.exists(path)) {
      throw new FileNotFoundException("no model bundle at " + uri);
    }
    return fs.open(path);
  }

  private static void checkName(String what, String value) {
    if (value == null || !SAFE_NAME.matcher(value).matches()) {
      throw new IllegalArgumentException(
          what + " '" + value + "' must match " + SAFE_NAME.pattern() + " to be used in a path");
    }
  }

  @Override
  public String toString() {
    return "ModelStore[" + root + "]";
  }
}
