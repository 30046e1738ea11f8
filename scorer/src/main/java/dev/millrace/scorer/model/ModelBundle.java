package dev.millrace.scorer.model;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A model artifact: ONE zip file holding {@code manifest.json} ({@link ModelManifest}) and {@code
 * parameters.djl} (the DJL block parameters). Writing is deterministic (fixed entry order and
 * timestamps), so the same model always gives the same bytes and the same {@link #sha256()}, which
 * is computed over exactly the bytes {@link #write} produces.
 */
public final class ModelBundle {

  public static final String MANIFEST_ENTRY = "manifest.json";
  public static final String PARAMETERS_ENTRY = "parameters.djl";

  /** Upper bound for one entry, so a corrupt or hostile file cannot exhaust memory. */
  private static final long MAX_ENTRY_BYTES = 512L * 1024 * 1024;

  private static final LocalDateTime ENTRY_TIME = LocalDateTime.of(2020, 1, 1, 0, 0);

  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  private final ModelManifest manifest;
  private final byte[] parameters;

  public ModelBundle(ModelManifest manifest, byte[] parameters) {
    if (manifest == null || parameters == null || parameters.length == 0) {
      throw new IllegalArgumentException("a bundle needs a manifest and parameters");
    }
    this.manifest = manifest;
    this.parameters = parameters.clone();
  }

  /** The JSON mapper used for manifests (Java time as ISO-8601 strings, sorted map keys). */
  public static ObjectMapper json() {
    return JSON;
  }

  public ModelManifest manifest() {
    return manifest;
  }

  /** A copy of the DJL parameter bytes. */
  public byte[] parameters() {
    return parameters.clone();
  }

  /** Writes the zip file; does not close {@code out}. */
  public void write(OutputStream out) throws IOException {
    ZipOutputStream zip = new ZipOutputStream(out);
    zip.setLevel(9);
    putEntry(zip, MANIFEST_ENTRY, JSON.writeValueAsBytes(manifest));
    putEntry(zip, PARAMETERS_ENTRY, parameters);
    zip.finish();
    zip.flush();
  }

  private static void putEntry(ZipOutputStream zip, String name, byte[] data) throws IOException {
    ZipEntry entry = new ZipEntry(name);
    entry.setTimeLocal(ENTRY_TIME);
    zip.putNextEntry(entry);
    zip.write(data);
    zip.closeEntry();
  }

  /** The exact bytes of the bundle file. */
  public byte[] toBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Lower-case hex SHA-256 of {@link #toBytes()}. */
  public String sha256() {
    return sha256(toBytes());
  }

  /** Lower-case hex SHA-256 of {@code bytes}. */
  public static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(digest().digest(bytes));
  }

  static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /**
   * Reads a bundle file; does not close {@code in}.
   *
   * @throws IOException when it is not a zip, an entry is missing, the manifest does not parse or
   *     has a format version this code does not know
   */
  public static ModelBundle read(InputStream in) throws IOException {
    byte[] manifestBytes = null;
    byte[] parameterBytes = null;
    ZipInputStream zip = new ZipInputStream(in);
    ZipEntry entry;
    while ((entry = zip.getNextEntry()) != null) {
      switch (entry.getName()) {
        case MANIFEST_ENTRY -> manifestBytes = readEntry(zip, entry.getName());
        case PARAMETERS_ENTRY -> parameterBytes = readEntry(zip, entry.getName());
        default -> {
          // tolerate extra entries written by later versions
        }
      }
    }
    if (manifestBytes == null || parameterBytes == null) {
      throw new IOException(
          "not a model bundle: "
              + (manifestBytes == null ? MANIFEST_ENTRY : PARAMETERS_ENTRY)
              + " is missing");
    }
    ModelManifest manifest;
    try {
      manifest = JSON.readValue(manifestBytes, ModelManifest.class);
    } catch (IOException | RuntimeException e) {
      throw new IOException("unreadable manifest: " + e.getMessage(), e);
    }
    if (manifest.formatVersion() != ModelManifest.FORMAT_VERSION) {
      throw new IOException(
          "bundle format version "
              + manifest.formatVersion()
              + " is not supported (this code reads "
              + ModelManifest.FORMAT_VERSION
              + ")");
    }
    return new ModelBundle(manifest, parameterBytes);
  }

  /** Reads a bundle from its bytes. */
  public static ModelBundle fromBytes(byte[] bytes) throws IOException {
    return read(new ByteArrayInputStream(bytes));
  }

  private static byte[] readEntry(ZipInputStream zip, String name) throws IOException {
    byte[] data = zip.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, MAX_ENTRY_BYTES + 1));
    if (data.length > MAX_ENTRY_BYTES) {
      throw new IOException(name + " is larger than " + MAX_ENTRY_BYTES + " bytes");
    }
    return data;
  }

  /** Builds the net and loads the parameters on the engine's default device. */
  public TabularModel load() throws IOException {
    return TabularModel.fromParameters(manifest, parameters);
  }

  /** Builds the net and loads the parameters on {@code device}. */
  public TabularModel load(ai.djl.Device device) throws IOException {
    return TabularModel.fromParameters(manifest, parameters, device);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelBundle b
        && manifest.equals(b.manifest)
        && Arrays.equals(parameters, b.parameters);
  }

  @Override
  public int hashCode() {
    return 31 * manifest.hashCode() + Arrays.hashCode(parameters);
  }
}
