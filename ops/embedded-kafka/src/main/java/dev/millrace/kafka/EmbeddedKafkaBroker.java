package dev.millrace.kafka;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.FeatureUpdate;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UpdateFeaturesOptions;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.apache.kafka.server.common.TransactionVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker in KRaft mode (combined broker and controller), started from the
 * Kafka jars on the classpath: no Docker, no ZooKeeper. Its data directory is formatted on first
 * start and reused afterwards, so topics and records survive a restart.
 *
 * <p>The broker runs in the current JVM. It must be the same Kafka version as the clients on the
 * classpath (the parent POM pins one).
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

  /**
   * The {@code transaction.version} feature level Millrace's brokers finalize: 1, the transactions
   * protocol before KIP-890 (V2). Flink's Kafka sink re-commits a checkpoint's transactions after a
   * failover by resuming them with their stored producer id and epoch; with V2 every transaction
   * bumps the epoch, so that re-commit is fenced (FLINK-40689, FLINK-40626). V1 keeps it working.
   */
  public static final short TRANSACTION_VERSION = TransactionVersion.TV_1.featureLevel();

  private final BrokerSettings settings;
  private final int port;
  private final KafkaRaftServer server;
  private final BrokerSecurity.Material security; // null: PLAINTEXT
  private volatile boolean stopped;

  private EmbeddedKafkaBroker(
      BrokerSettings settings, int port, KafkaRaftServer server, BrokerSecurity.Material security) {
    this.settings = settings;
    this.port = port;
    this.server = server;
    this.security = security;
  }

  /**
   * Formats the data directory if needed, starts the broker and waits until it answers.
   *
   * @throws BrokerStartException when a port is busy or the data directory is unusable
   */
  public static EmbeddedKafkaBroker start(BrokerSettings settings) {
    Path dataDir = settings.dataDir().toAbsolutePath();
    prepareDataDir(dataDir);
    int port = settings.port() == 0 ? freePort(settings.host()) : settings.port();
    int controllerPort =
        settings.controllerPort() == 0 ? freePort(settings.host()) : settings.controllerPort();
    requireFree(settings.host(), port, "--port");
    requireFree(settings.host(), controllerPort, "--controller-port");

    BrokerSecurity.Material security =
        settings.security() == null ? null : settings.security().prepare(settings.host());
    Properties props = brokerProperties(settings, dataDir, port, controllerPort, security);
    KafkaConfig config = KafkaConfig.fromProps(props, false);
    format(dataDir, settings);
    KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
    try {
      server.startup();
    } catch (RuntimeException e) {
      server.shutdown();
      throw new BrokerStartException("Kafka broker failed to start: " + e.getMessage(), e);
    }
    EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(settings, port, server, security);
    // A node of a quorum is ready once a majority of its voters runs: allow for their start too.
    broker.awaitReady(Duration.ofSeconds(settings.quorum() == null ? 60 : 300));
    if (security != null) {
      broker.upsertScramUsers();
    }
    LOG.info("Kafka broker listening on {} (data in {})", broker.bootstrapServers(), dataDir);
    return broker;
  }

  /** {@code host:port} for clients' {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return settings.host() + ":" + port;
  }

  /** Whether the client listener is SASL_SSL with ACLs (else PLAINTEXT, open to everyone). */
  public boolean secured() {
    return security != null;
  }

  /**
   * Client properties of the broker's own super user ({@value BrokerSecurity#BROKER_USER}): what
   * admin clients (topic creation, ACLs) need on a secured broker; empty on a PLAINTEXT one.
   */
  public Map<String, String> adminClientProperties() {
    return security == null ? Map.of() : security.brokerClientProperties();
  }

  /**
   * Client properties of one of the {@link BrokerSecurity#users()}: SASL_SSL, SCRAM-SHA-512, the
   * truststore (the content of {@link BrokerSecurity#clientConfig(String)}).
   *
   * @throws IllegalStateException on a PLAINTEXT broker
   */
  public Map<String, String> clientProperties(String user) {
    if (security == null) {
      throw new IllegalStateException("the broker has no secured listener");
    }
    return security.clientProperties(user);
  }

  public Path dataDir() {
    return settings.dataDir().toAbsolutePath();
  }

  /** Blocks until the broker has shut down (e.g. from a shutdown hook). */
  public void awaitShutdown() {
    server.awaitShutdown();
  }

  @Override
  public synchronized void close() {
    if (stopped) {
      return;
    }
    stopped = true;
    server.shutdown();
    server.awaitShutdown();
    LOG.info("Kafka broker on {} stopped", bootstrapServers());
  }

  static Properties brokerProperties(
      BrokerSettings settings, Path dataDir, int port, int controllerPort) {
    return brokerProperties(settings, dataDir, port, controllerPort, null);
  }

  static Properties brokerProperties(
      BrokerSettings settings,
      Path dataDir,
      int port,
      int controllerPort,
      BrokerSecurity.Material security) {
    String host = settings.host();
    int nodeId = settings.nodeId();
    // One replica per node; a write needs all but one of them (2 of 3), so one node may be down.
    String replicas = String.valueOf(settings.replication());
    String minIsr = String.valueOf(Math.max(1, settings.replication() - 1));
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", String.valueOf(nodeId));
    p.put(
        "controller.quorum.voters",
        settings.quorum() == null
            ? nodeId + "@" + host + ":" + controllerPort
            : settings.quorum().voters());
    // Secured: one SASL_SSL listener for clients and the broker itself, and the controller
    // listener on SASL_SSL too, so that no port of the node accepts an unauthenticated client.
    String listener = security == null ? "PLAINTEXT" : "SASL_SSL";
    String controllerProtocol = security == null ? "PLAINTEXT" : "SASL_SSL";
    p.put(
        "listeners",
        listener + "://" + host + ":" + port + ",CONTROLLER://" + host + ":" + controllerPort);
    p.put("advertised.listeners", listener + "://" + host + ":" + port);
    p.put(
        "listener.security.protocol.map",
        listener + ":" + listener + ",CONTROLLER:" + controllerProtocol);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", listener);
    if (security != null) {
      p.putAll(security.brokerProperties());
    }
    p.put("log.dirs", dataDir.toString());
    p.put("metadata.log.dir", dataDir.toString());
    p.put("num.partitions", "1");
    p.put("default.replication.factor", replicas);
    p.put("min.insync.replicas", minIsr);
    p.put("offsets.topic.replication.factor", replicas);
    p.put("offsets.topic.num.partitions", "5");
    p.put("transaction.state.log.replication.factor", replicas);
    p.put("transaction.state.log.min.isr", minIsr);
    p.put("transaction.state.log.num.partitions", "5");
    p.put("share.coordinator.state.topic.replication.factor", replicas);
    p.put("share.coordinator.state.topic.min.isr", minIsr);
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("auto.create.topics.enable", "false");
    // Exactly-once sinks use transactions up to this long (Flink's checkpoint + restart time).
    p.put("transaction.max.timeout.ms", String.valueOf(TimeUnit.MINUTES.toMillis(15)));
    // A laptop-friendly footprint.
    p.put("log.segment.bytes", String.valueOf(64 * 1024 * 1024));
    p.put("log.cleaner.dedupe.buffer.size", String.valueOf(8 * 1024 * 1024));
    p.put("num.network.threads", "2");
    p.put("num.io.threads", "4");
    p.putAll(settings.overrides());
    return p;
  }

  private static void prepareDataDir(Path dataDir) {
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new BrokerStartException(
          "cannot create data directory "
              + dataDir
              + " ("
              + e.getClass().getSimpleName()
              + "): choose a writable --data-dir");
    }
    if (!Files.isDirectory(dataDir) || !Files.isWritable(dataDir)) {
      throw new BrokerStartException(
          "data directory " + dataDir + " is not writable: choose a writable --data-dir");
    }
  }

  private static void format(Path dataDir, BrokerSettings settings) {
    format(
        dataDir,
        settings.nodeId(),
        settings.quorum() == null ? Uuid.randomUuid().toString() : settings.quorum().clusterId(),
        TRANSACTION_VERSION);
  }

  /**
   * Formats an empty single-node data folder with this {@code transaction.version} (tests use 2).
   */
  static void format(Path dataDir, short transactionVersion) {
    format(dataDir, 1, Uuid.randomUuid().toString(), transactionVersion);
  }

  private static void format(Path dataDir, int nodeId, String clusterId, short transactionVersion) {
    if (Files.exists(dataDir.resolve("meta.properties"))) {
      return;
    }
    try {
      new Formatter()
          .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
          .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
          .setNodeId(nodeId)
          .setClusterId(clusterId)
          .setDirectories(List.of(dataDir.toString()))
          .setMetadataLogDirectory(dataDir.toString())
          .setControllerListenerName("CONTROLLER")
          .setReleaseVersion(MetadataVersion.latestProduction())
          .setFeatureLevel(TransactionVersion.FEATURE_NAME, transactionVersion)
          .setIgnoreFormatted(true)
          .run();
    } catch (Exception e) {
      throw new BrokerStartException(
          "cannot format Kafka data directory " + dataDir + ": " + e.getMessage(), e);
    }
  }

  private Map<String, Object> adminConfig() {
    Map<String, Object> conf = new java.util.HashMap<>(adminClientProperties());
    conf.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    conf.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
    conf.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000);
    return conf;
  }

  /**
   * Creates or updates the SCRAM-SHA-512 credential of every user (KRaft keeps them in the metadata
   * log; an upsert on each start also covers users added after the first one).
   */
  private void upsertScramUsers() {
    List<UserScramCredentialAlteration> upserts = new java.util.ArrayList<>();
    security
        .passwords()
        .forEach(
            (user, password) ->
                upserts.add(
                    new UserScramCredentialUpsertion(
                        user,
                        new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192),
                        password)));
    if (upserts.isEmpty()) {
      return;
    }
    try (Admin admin = Admin.create(adminConfig())) {
      admin.alterUserScramCredentials(upserts).all().get(30, TimeUnit.SECONDS);
      // The credentials take effect once the broker has applied the metadata record; wait until
      // describe shows each one, so that a client right after start() can log in.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!scramUsersVisible(admin, upserts.size())) {
        if (System.nanoTime() > deadline) {
          throw new BrokerStartException("SCRAM users did not appear within 30 s");
        }
        sleep(50);
      }
    } catch (BrokerStartException e) {
      close();
      throw e;
    } catch (Exception e) {
      close();
      throw new BrokerStartException("cannot create the SCRAM users: " + e.getMessage(), e);
    }
  }

  private boolean scramUsersVisible(Admin admin, int users) throws Exception {
    try {
      return admin
              .describeUserScramCredentials(List.copyOf(security.passwords().keySet()))
              .all()
              .get(10, TimeUnit.SECONDS)
              .size()
          >= users;
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof org.apache.kafka.common.errors.ResourceNotFoundException) {
        return false; // not applied yet
      }
      throw e;
    }
  }

  private void awaitReady(Duration timeout) {
    Map<String, Object> conf = adminConfig();
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin = Admin.create(conf)) {
      while (true) {
        try {
          admin.describeCluster().nodes().get(10, TimeUnit.SECONDS);
          pinTransactionVersion(admin);
          return;
        } catch (Exception e) {
          if (System.nanoTime() > deadline) {
            close();
            throw new BrokerStartException(
                "Kafka broker did not become ready within " + timeout.toSeconds() + " s", e);
          }
          sleep(100);
        }
      }
    }
  }

  /**
   * A data folder formatted before Millrace pinned {@link #TRANSACTION_VERSION} may have finalized
   * a higher level; downgrade it (the feature allows that at run time).
   */
  private void pinTransactionVersion(Admin admin) throws Exception {
    FinalizedVersionRange finalized =
        admin
            .describeFeatures()
            .featureMetadata()
            .get(10, TimeUnit.SECONDS)
            .finalizedFeatures()
            .get(TransactionVersion.FEATURE_NAME);
    if (finalized != null && finalized.maxVersionLevel() > TRANSACTION_VERSION) {
      LOG.info(
          "Lowering {} from {} to {} (Flink's exactly-once recovery needs it)",
          TransactionVersion.FEATURE_NAME,
          finalized.maxVersionLevel(),
          TRANSACTION_VERSION);
      admin
          .updateFeatures(
              Map.of(
                  TransactionVersion.FEATURE_NAME,
                  new FeatureUpdate(TRANSACTION_VERSION, FeatureUpdate.UpgradeType.SAFE_DOWNGRADE)),
              new UpdateFeaturesOptions())
          .all()
          .get(10, TimeUnit.SECONDS);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerStartException("interrupted while waiting for the broker", e);
    }
  }

  private static int freePort(String host) {
    try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getByName(host))) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new BrokerStartException("cannot find a free port on " + host + ": " + e.getMessage());
    }
  }

  private static void requireFree(String host, int port, String flag) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
    } catch (IOException e) {
      throw new BrokerStartException(
          "port "
              + port
              + " on "
              + host
              + " is already in use: stop whatever listens there or pass another "
              + flag);
    }
  }
}
