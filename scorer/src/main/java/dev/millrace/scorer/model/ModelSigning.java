package dev.millrace.scorer.model;

import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ed25519 signatures over model bundles (JDK's own {@code Ed25519}, no extra library).
 *
 * <p>The trainer signs the bytes of each bundle with a private key only it holds and writes the
 * signature next to the bundle ({@code <bundle>.sig}, Base64). The scoring operator verifies it
 * with a public key from its own configuration, never from the announcement, so that whoever can
 * write {@code millrace.models} cannot get a model of their own served: the SHA-256 in an
 * announcement only proves the file was not damaged, the signature proves who made it. Keys are
 * stored as PEM (PKCS#8 private, X.509 public), the format of {@code openssl genpkey -algorithm
 * ed25519}.
 */
public final class ModelSigning {

  /** The signature algorithm. */
  public static final String ALGORITHM = "Ed25519";

  /** Suffix of the signature file written beside a bundle. */
  public static final String SUFFIX = ".sig";

  private static final Pattern PEM =
      Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

  private ModelSigning() {}

  /** A fresh Ed25519 key pair. */
  public static KeyPair generate() {
    try {
      return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM has no " + ALGORITHM, e);
    }
  }

  /** The URI of the signature of the bundle at {@code bundle}. */
  public static URI signatureOf(URI bundle) {
    return URI.create(bundle.toString() + SUFFIX);
  }

  /** Signs {@code bytes}. */
  public static byte[] sign(PrivateKey key, byte[] bytes) {
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initSign(key);
      s.update(bytes);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot sign with this key: " + e.getMessage(), e);
    }
  }

  /** Whether {@code signature} is the signature of {@code bytes} under {@code key}. */
  public static boolean verify(PublicKey key, byte[] bytes, byte[] signature) {
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initVerify(key);
      s.update(bytes);
      return s.verify(signature);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  /** PEM text of a key: {@code PRIVATE KEY} (PKCS#8) or {@code PUBLIC KEY} (X.509). */
  public static String pem(java.security.Key key) {
    String type = key instanceof PrivateKey ? "PRIVATE KEY" : "PUBLIC KEY";
    String body =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(key.getEncoded());
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }

  /**
   * Writes a key pair as {@code <name>.key} (readable by the owner only) and {@code <name>.pub} in
   * {@code dir}, replacing files of those names.
   */
  public static void write(KeyPair pair, Path dir, String name) throws IOException {
    Files.createDirectories(dir);
    Path priv = dir.resolve(name + ".key");
    // Created owner-only before the key is written, so it is never readable by others.
    Files.deleteIfExists(priv);
    try {
      Files.createFile(
          priv, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(priv); // not a POSIX filesystem: nothing to restrict
    }
    Files.writeString(priv, pem(pair.getPrivate()), StandardCharsets.US_ASCII);
    Files.writeString(dir.resolve(name + ".pub"), pem(pair.getPublic()), StandardCharsets.US_ASCII);
  }

  /** Reads a PKCS#8 PEM private key file. */
  public static PrivateKey readPrivateKey(Path file) throws IOException {
    byte[] der = der(Files.readString(file, StandardCharsets.US_ASCII), "PRIVATE KEY", file);
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new IOException(
          file + " is not an " + ALGORITHM + " private key: " + e.getMessage(), e);
    }
  }

  /** Reads an X.509 PEM public key file. */
  public static PublicKey readPublicKey(Path file) throws IOException {
    return publicKey(Files.readString(file, StandardCharsets.US_ASCII), file.toString());
  }

  /** Parses the PEM text of a public key; {@code source} names it in errors. */
  public static PublicKey publicKey(String pemText, String source) throws IOException {
    byte[] der = der(pemText, "PUBLIC KEY", source);
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new IOException(
          source + " is not an " + ALGORITHM + " public key: " + e.getMessage(), e);
    }
  }

  private static byte[] der(String text, String type, Object source) throws IOException {
    Matcher m = PEM.matcher(text);
    if (!m.find() || !m.group(1).equals(type)) {
      throw new IOException(source + " holds no PEM '" + type + "' block");
    }
    try {
      return Base64.getMimeDecoder().decode(m.group(2));
    } catch (IllegalArgumentException e) {
      throw new IOException(source + ": the PEM block is not Base64", e);
    }
  }

  /** The text of a signature file: the signature in Base64 and a newline. */
  public static String signatureText(byte[] signature) {
    return Base64.getEncoder().encodeToString(signature) + "\n";
  }

  /**
   * The signature in the text of a signature file.
   *
   * @throws IllegalArgumentException when the text is not Base64
   */
  public static byte[] parseSignature(String text) {
    return Base64.getDecoder().decode(text.strip());
  }

  /**
   * The trainer's private key: signs bundles. Its {@link #toString()} names the algorithm only, so
   * settings that hold it can be logged.
   */
  public static final class Signer {
    private final PrivateKey key;

    public Signer(PrivateKey key) {
      this.key = Objects.requireNonNull(key, "key");
      ModelSigning.sign(key, new byte[0]); // an unusable key fails here, not at the first promotion
    }

    /** Reads a PKCS#8 PEM private key file ({@code openssl genpkey -algorithm ed25519}). */
    public static Signer read(Path file) throws IOException {
      return new Signer(readPrivateKey(file));
    }

    /** The signature of {@code bytes}. */
    public byte[] sign(byte[] bytes) {
      return ModelSigning.sign(key, bytes);
    }

    @Override
    public String toString() {
      return "Signer[" + ALGORITHM + "]";
    }
  }

  /**
   * A public key carried in a job's configuration: serialisable (PEM text), parsed once per
   * operator.
   */
  public static final class Verifier implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String pem;
    private transient PublicKey key;

    public Verifier(String pem) throws IOException {
      this.pem = Objects.requireNonNull(pem, "pem");
      this.key = publicKey(pem, "the model public key");
    }

    /** Reads an X.509 PEM public key file. */
    public static Verifier read(Path file) throws IOException {
      return new Verifier(pem(readPublicKey(file)));
    }

    /**
     * A verifier from the Base64 of the key's X.509 encoding: the one line between the {@code
     * BEGIN} and {@code END} lines of a PEM public key file (how a job's arguments carry it).
     */
    public static Verifier fromBase64(String base64) throws IOException {
      String body = Objects.requireNonNull(base64, "base64").strip();
      return new Verifier("-----BEGIN PUBLIC KEY-----\n" + body + "\n-----END PUBLIC KEY-----\n");
    }

    /** The Base64 of the key's X.509 encoding, one line; {@link #fromBase64} reads it back. */
    public String base64() {
      return Base64.getEncoder().encodeToString(key().getEncoded());
    }

    private PublicKey key() {
      if (key == null) {
        try {
          key = publicKey(pem, "the model public key");
        } catch (IOException e) {
          throw new IllegalStateException(e.getMessage(), e);
        }
      }
      return key;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Verifier v
          && java.util.Arrays.equals(key().getEncoded(), v.key().getEncoded());
    }

    @Override
    public int hashCode() {
      return java.util.Arrays.hashCode(key().getEncoded());
    }

    @Override
    public String toString() {
      return "Verifier[" + ALGORITHM + " " + base64() + "]";
    }

    /** Whether {@code signature} (the raw bytes) signs {@code bundle}. */
    public boolean verify(byte[] bundle, byte[] signature) {
      if (key == null) {
        try {
          key = publicKey(pem, "the model public key");
        } catch (IOException e) {
          return false;
        }
      }
      return ModelSigning.verify(key, bundle, signature);
    }
  }
}
