package dev.millrace.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The secured listener of an {@link EmbeddedKafkaBroker}: SASL_SSL with a self-signed certificate
 * and SCRAM-SHA-512 users, plus the KRaft {@code StandardAuthorizer} (no ACL, no access).
 *
 * <p>Everything lives in {@link #dir()} and is made once, on the first start, then reused so that
 * clients' truststores and passwords stay valid across restarts:
 *
 * <ul>
 *   <li>{@code broker.p12}: the broker's key and self-signed certificate (JDK {@code keytool}; SAN
 *       {@code localhost}, {@code 127.0.0.1} and the listen host), {@code truststore.p12} its
 *       certificate for clients;
 *   <li>{@code credentials.properties} (owner-only): the store password, the broker's own password
 *       and one random password per user;
 *   <li>{@code <user>.properties}: a ready Kafka client configuration per user ({@code
 *       security.protocol=SASL_SSL}, {@code sasl.mechanism=SCRAM-SHA-512}, the JAAS line and the
 *       truststore), what {@code --kafka-config} takes.
 * </ul>
 *
 * <p>The broker authenticates to itself (inter-broker and controller listener) as {@value
 * #BROKER_USER} with SASL PLAIN, whose one user is declared in the broker's JAAS configuration: it
 * must work before the metadata log holds any SCRAM credential. {@value #BROKER_USER} is the only
 * super user. The client users are SCRAM-SHA-512 credentials, which KRaft keeps in its metadata
 * log; the broker upserts them with {@code Admin.alterUserScramCredentials} each time it starts, so
 * a user added later (or a data folder formatted before) gets its credential too.
 *
 * @param dir where the key material, passwords and client configurations live
 * @param users the SCRAM users to create (principal names, e.g. {@code job}, {@code trainer})
 */
public record BrokerSecurity(Path dir, List<String> users) {

  /** The broker's own principal (PLAIN, super user). */
  public static final String BROKER_USER = "broker";

  /** The SASL mechanism of client users. */
  public static final String CLIENT_MECHANISM = "SCRAM-SHA-512";

  private static final Pattern USER = Pattern.compile("[A-Za-z0-9_-]+");
  private static final String STORE_PASSWORD = "store.password";

  public BrokerSecurity {
    Objects.requireNonNull(dir, "dir");
    users = List.copyOf(users);
    for (String user : users) {
      if (!USER.matcher(user).matches() || user.equals(BROKER_USER)) {
        throw new IllegalArgumentException(
            "user name '" + user + "' must be letters, digits, '_' or '-' and not " + BROKER_USER);
      }
    }
  }

  /**
   * The users of {@link MillraceAcls}: {@code job}, {@code trainer}, {@code cli}, {@code
   * validator}.
   */
  public static BrokerSecurity millrace(Path dir) {
    return new BrokerSecurity(dir, MillraceAcls.USERS);
  }

  /** The client configuration file of a user ({@code <dir>/<user>.properties}). */
  public Path clientConfig(String user) {
    return dir.toAbsolutePath().resolve(user + ".properties");
  }

  /**
   * Key material and passwords, made when missing; the client configuration files are (re)written.
   */
  Material prepare(String host) {
    Path d = dir.toAbsolutePath();
    try {
      Files.createDirectories(d);
      Path credentialsFile = d.resolve("credentials.properties");
      Properties credentials = new Properties();
      if (Files.exists(credentialsFile)) {
        try (InputStream in = Files.newInputStream(credentialsFile)) {
          credentials.load(in);
        }
      }
      boolean changed = false;
      for (String name : withBroker()) {
        if (credentials.getProperty(name) == null) {
          credentials.setProperty(name, randomPassword());
          changed = true;
        }
      }
      if (credentials.getProperty(STORE_PASSWORD) == null) {
        credentials.setProperty(STORE_PASSWORD, randomPassword());
        changed = true;
      }
      if (changed) {
        writeOwnerOnly(credentialsFile, credentials, "Millrace broker credentials: keep private");
      }
      String storePassword = credentials.getProperty(STORE_PASSWORD);
      Path keystore = d.resolve("broker.p12");
      Path truststore = d.resolve("truststore.p12");
      if (!Files.exists(keystore) || !Files.exists(truststore)) {
        Files.deleteIfExists(keystore);
        Files.deleteIfExists(truststore);
        makeCertificate(d, host, keystore, truststore, storePassword);
      }
      Map<String, String> passwords = new LinkedHashMap<>();
      for (String user : users) {
        passwords.put(user, credentials.getProperty(user));
      }
      Material m =
          new Material(
              keystore, truststore, storePassword, credentials.getProperty(BROKER_USER), passwords);
      for (String user : users) {
        Properties client = new Properties();
        client.putAll(m.clientProperties(user));
        writeOwnerOnly(
            clientConfig(user),
            client,
            "Kafka client configuration of the Millrace user '"
                + user
                + "' (--kafka-config "
                + clientConfig(user).getFileName()
                + ")");
      }
      return m;
    } catch (IOException e) {
      throw new BrokerStartException(
          "cannot prepare the broker's key material in " + d + ": " + e.getMessage(), e);
    }
  }

  private List<String> withBroker() {
    List<String> all = new ArrayList<>(users);
    all.add(BROKER_USER);
    return all;
  }

  /** A self-signed RSA certificate for the broker and a truststore with it, by JDK keytool. */
  private static void makeCertificate(
      Path d, String host, Path keystore, Path truststore, String password) throws IOException {
    StringBuilder san = new StringBuilder("SAN=dns:localhost,ip:127.0.0.1");
    if (!host.equals("localhost") && !host.equals("127.0.0.1")) {
      san.append(isIpAddress(host) ? ",ip:" : ",dns:").append(host);
    }
    Path cert = d.resolve("broker.crt");
    keytool(
        "-genkeypair",
        "-alias",
        "broker",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-validity",
        "3650",
        "-dname",
        "CN=millrace-broker",
        "-ext",
        san.toString(),
        "-storetype",
        "PKCS12",
        "-keystore",
        keystore.toString(),
        "-storepass",
        password,
        "-keypass",
        password);
    keytool(
        "-exportcert",
        "-rfc",
        "-alias",
        "broker",
        "-keystore",
        keystore.toString(),
        "-storepass",
        password,
        "-file",
        cert.toString());
    keytool(
        "-importcert",
        "-noprompt",
        "-alias",
        "millrace-broker",
        "-file",
        cert.toString(),
        "-storetype",
        "PKCS12",
        "-keystore",
        truststore.toString(),
        "-storepass",
        password);
  }

  private static boolean isIpAddress(String host) {
    if (!host.matches("[0-9.]+|.*:.*")) {
      return false;
    }
    try {
      InetAddress.getByName(host);
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static void keytool(String... args) throws IOException {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    List<String> command = new ArrayList<>();
    command.add(Files.isExecutable(keytool) ? keytool.toString() : "keytool");
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output;
    try (InputStream in = process.getInputStream()) {
      output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException("keytool " + args[0] + " did not finish within 60 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running keytool", e);
    }
    if (process.exitValue() != 0) {
      throw new IOException("keytool " + args[0] + " failed: " + output.strip());
    }
  }

  private static String randomPassword() {
    byte[] bytes = new byte[18];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static void writeOwnerOnly(Path file, Properties properties, String comment)
      throws IOException {
    Files.deleteIfExists(file);
    try {
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException notPosix) {
      Files.createFile(file);
    }
    try (OutputStream out = Files.newOutputStream(file)) {
      properties.store(out, comment);
    }
  }

  /** The prepared key material and passwords. */
  record Material(
      Path keystore,
      Path truststore,
      String storePassword,
      String brokerPassword,
      Map<String, String> passwords) {

    /** Client properties of a SCRAM user: SASL_SSL, SCRAM-SHA-512, the truststore. */
    Map<String, String> clientProperties(String user) {
      String password = passwords.get(user);
      if (password == null) {
        throw new IllegalArgumentException(
            "no user '" + user + "' on this broker (users: " + passwords.keySet() + ")");
      }
      Map<String, String> p = new TreeMap<>(tls());
      p.put("sasl.mechanism", CLIENT_MECHANISM);
      p.put("sasl.jaas.config", jaas("scram.ScramLoginModule", user, password));
      return p;
    }

    /** Client properties of the broker's own super user (PLAIN), for its admin calls. */
    Map<String, String> brokerClientProperties() {
      Map<String, String> p = new TreeMap<>(tls());
      p.put("sasl.mechanism", "PLAIN");
      p.put("sasl.jaas.config", jaas("plain.PlainLoginModule", BROKER_USER, brokerPassword));
      return p;
    }

    private Map<String, String> tls() {
      Map<String, String> p = new TreeMap<>();
      p.put("security.protocol", "SASL_SSL");
      p.put("ssl.truststore.location", truststore.toString());
      p.put("ssl.truststore.type", "PKCS12");
      p.put("ssl.truststore.password", storePassword);
      return p;
    }

    /** The broker's listener, authorizer and SSL properties. */
    Map<String, String> brokerProperties() {
      Map<String, String> p = new LinkedHashMap<>();
      String plainServer =
          "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
              + BROKER_USER
              + "\" password=\""
              + brokerPassword
              + "\" user_"
              + BROKER_USER
              + "=\""
              + brokerPassword
              + "\";";
      p.put("listener.name.sasl_ssl.sasl.enabled.mechanisms", "PLAIN," + CLIENT_MECHANISM);
      p.put("listener.name.sasl_ssl.plain.sasl.jaas.config", plainServer);
      p.put(
          "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
          "org.apache.kafka.common.security.scram.ScramLoginModule required;");
      p.put("listener.name.controller.sasl.enabled.mechanisms", "PLAIN");
      p.put("listener.name.controller.plain.sasl.jaas.config", plainServer);
      p.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
      p.put("sasl.mechanism.controller.protocol", "PLAIN");
      p.put("ssl.keystore.location", keystore.toString());
      p.put("ssl.keystore.type", "PKCS12");
      p.put("ssl.keystore.password", storePassword);
      p.put("ssl.key.password", storePassword);
      p.put("ssl.truststore.location", truststore.toString());
      p.put("ssl.truststore.type", "PKCS12");
      p.put("ssl.truststore.password", storePassword);
      p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
      p.put("allow.everyone.if.no.acl.found", "false");
      p.put("super.users", "User:" + BROKER_USER);
      return p;
    }

    private static String jaas(String module, String user, String password) {
      return "org.apache.kafka.common.security."
          + module
          + " required username=\""
          + user
          + "\" password=\""
          + password
          + "\";";
    }
  }
}
