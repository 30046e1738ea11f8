package dev.millrace.ops;

import dev.millrace.kafka.BrokerSecurity;
import dev.millrace.kafka.EmbeddedKafkaBroker;
import dev.millrace.kafka.MillraceAcls;
import dev.millrace.kafka.TopicAdmin;
import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code millrace broker}: a real single-node KRaft Kafka broker in the foreground. */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    description = {
      "Start a real single-node Kafka broker (KRaft, no ZooKeeper, no Docker) in this process.",
      "It keeps its data in --data-dir across restarts and stops cleanly on Ctrl-C."
    })
public final class BrokerCommand implements Callable<Integer> {

  @Mixin BrokerOptions broker;

  @Option(
      names = "--create-topics",
      paramLabel = "TASK",
      description = "Also create the topics of a task: fraud, churn, demand or all.")
  String createTopics;

  @Option(
      names = "--node-id",
      defaultValue = "1",
      description =
          "KRaft node id of this broker in a multi-node cluster (with --quorum; default"
              + " ${DEFAULT-VALUE}).")
  int nodeId;

  @Option(
      names = "--quorum",
      paramLabel = "VOTERS",
      description =
          "Join a multi-node cluster: its static controller quorum, id@host:port,... (KRaft's"
              + " controller.quorum.voters; this node's entry must name --controller-port)."
              + " Topics then get one replica per node, min.insync.replicas one less.")
  String quorum;

  @Option(
      names = "--cluster-id",
      paramLabel = "ID",
      description = "The cluster id every node of the --quorum is formatted with (base64 UUID).")
  String clusterId;

  @Option(
      names = "--secure",
      description =
          "Serve clients on SASL_SSL only (self-signed TLS certificate, SCRAM-SHA-512 users job,"
              + " trainer, cli and validator), with the KRaft StandardAuthorizer and Millrace's"
              + " ACLs: no ACL, no access; only the trainer may write millrace.models. Writes one"
              + " Kafka client file per user for --kafka-config.")
  boolean secure;

  @Option(
      names = "--security-dir",
      paramLabel = "DIR",
      description =
          "With --secure: where the key material, passwords and client files live, kept across"
              + " restarts (default: <data-dir>-security beside the data directory).")
  java.nio.file.Path securityDir;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    List<Task> tasks = createTopics == null ? List.of() : TopicRegistry.tasks(createTopics);
    PrintWriter out = spec.commandLine().getOut();
    dev.millrace.kafka.BrokerSettings settings = broker.settings();
    if (quorum != null) {
      if (clusterId == null || clusterId.isBlank()) {
        throw new UserError("--quorum needs --cluster-id (the same on every node)");
      }
      try {
        settings =
            new dev.millrace.kafka.BrokerSettings(
                settings.host(),
                settings.port(),
                settings.controllerPort(),
                settings.dataDir(),
                settings.overrides(),
                new dev.millrace.kafka.BrokerSettings.Quorum(nodeId, quorum, clusterId));
      } catch (IllegalArgumentException e) {
        throw new UserError(e.getMessage());
      }
    }
    if (secure) {
      try {
        settings = settings.withSecurity(BrokerSecurity.millrace(securityDir(settings)));
      } catch (IllegalArgumentException e) {
        throw new UserError(e.getMessage());
      }
    } else if (securityDir != null) {
      throw new UserError("--security-dir needs --secure");
    }
    try (LocalKafka kafka = LocalKafka.start(settings, out)) {
      if (!tasks.isEmpty()) {
        kafka.createTopics(tasks);
      }
      if (secure) {
        kafka.grantAcls(List.of(Task.values()));
      }
      out.println("Press Ctrl-C to stop.");
      out.flush();
      kafka.awaitShutdown();
    }
    return 0;
  }

  private java.nio.file.Path securityDir(dev.millrace.kafka.BrokerSettings settings) {
    if (securityDir != null) {
      return securityDir;
    }
    // Beside the data directory, not in it: Kafka takes every folder in its log dir for a
    // partition.
    java.nio.file.Path data = settings.dataDir().toAbsolutePath().normalize();
    return data.resolveSibling(data.getFileName() + "-security");
  }

  /** The prefixes of the job's and trainer's group and transactional ids, from their defaults. */
  static MillraceAcls.Prefixes aclPrefixes() {
    FraudPipelineSettings job = FraudPipelineSettings.builder("unused").build();
    return new MillraceAcls.Prefixes(
        job.consumerGroupId(),
        job.transactionalIdPrefix(),
        TRAINER_GROUP_PREFIX,
        dev.millrace.ingest.fraud.FraudValidatorApp.Settings.defaults("unused").applicationId());
  }

  /** {@code TrainerSettings.defaults}' group is this plus the task name. */
  static final String TRAINER_GROUP_PREFIX = "millrace-trainer-";

  /** A started broker that stops on Ctrl-C (shutdown hook) or on close. */
  static final class LocalKafka implements AutoCloseable {
    private final EmbeddedKafkaBroker broker;
    private final PrintWriter out;
    private final Thread hook;

    private LocalKafka(EmbeddedKafkaBroker broker, PrintWriter out) {
      this.broker = broker;
      this.out = out;
      this.hook = new Thread(this::stop, "millrace-broker-stop");
      Runtime.getRuntime().addShutdownHook(hook);
    }

    static LocalKafka start(dev.millrace.kafka.BrokerSettings settings, PrintWriter out) {
      out.println("Starting Kafka broker (KRaft) with data in " + settings.dataDir() + " ...");
      out.flush();
      long t0 = System.nanoTime();
      EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(settings);
      out.printf(
          "Kafka broker listening on %s%s (started in %.1f s)%n",
          broker.bootstrapServers(),
          broker.secured() ? " (SASL_SSL, SCRAM-SHA-512, ACLs)" : "",
          (System.nanoTime() - t0) / 1e9);
      if (broker.secured()) {
        BrokerSecurity security = settings.security();
        for (String user : security.users()) {
          out.printf(
              "Client configuration of User:%s: --kafka-config %s%n",
              user, security.clientConfig(user));
        }
      }
      out.flush();
      return new LocalKafka(broker, out);
    }

    String bootstrapServers() {
      return broker.bootstrapServers();
    }

    void createTopics(List<Task> tasks) {
      TopicRegistry registry = TopicRegistry.standard();
      try (TopicAdmin admin =
          new TopicAdmin(broker.bootstrapServers(), broker.adminClientProperties())) {
        List<String> created = admin.ensure(registry.all(tasks));
        int total = registry.all(tasks).size();
        out.printf(
            "Topics ready: %d created, %d already there (%s)%n",
            created.size(), total - created.size(), describe(tasks));
        out.flush();
      }
    }

    /** Creates {@link MillraceAcls} for these tasks' topics (as the broker's super user). */
    void grantAcls(List<Task> tasks) {
      try (TopicAdmin admin =
          new TopicAdmin(broker.bootstrapServers(), broker.adminClientProperties())) {
        List<org.apache.kafka.common.acl.AclBinding> acls =
            MillraceAcls.bindings(TopicRegistry.standard(), tasks, aclPrefixes());
        MillraceAcls.apply(admin.admin(), acls);
        out.printf(
            "ACLs ready: %d bindings for User:%s, User:%s, User:%s, User:%s (%s)%n",
            acls.size(),
            MillraceAcls.JOB,
            MillraceAcls.TRAINER,
            MillraceAcls.CLI,
            MillraceAcls.VALIDATOR,
            describe(tasks));
        out.flush();
      }
    }

    /** Client properties of the broker's super user (empty unless secured). */
    java.util.Map<String, String> adminClientProperties() {
      return broker.adminClientProperties();
    }

    private static String describe(List<Task> tasks) {
      return String.join(", ", tasks.stream().map(TopicRegistry::taskName).toList())
          + " + millrace.models, millrace.control";
    }

    void awaitShutdown() {
      broker.awaitShutdown();
    }

    private void stop() {
      out.println("Stopping Kafka broker ...");
      out.flush();
      broker.close();
      out.println("Kafka broker stopped.");
      out.flush();
    }

    @Override
    public void close() {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        return; // the hook is running or has run
      }
      stop();
    }
  }
}
