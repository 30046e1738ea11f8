package dev.millrace.ops;

import dev.millrace.kafka.EmbeddedKafkaBroker;
import dev.millrace.kafka.TopicAdmin;
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
    try (LocalKafka kafka = LocalKafka.start(settings, out)) {
      if (!tasks.isEmpty()) {
        kafka.createTopics(tasks);
      }
      out.println("Press Ctrl-C to stop.");
      out.flush();
      kafka.awaitShutdown();
    }
    return 0;
  }

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
          "Kafka broker listening on %s (started in %.1f s)%n",
          broker.bootstrapServers(), (System.nanoTime() - t0) / 1e9);
      out.flush();
      return new LocalKafka(broker, out);
    }

    String bootstrapServers() {
      return broker.bootstrapServers();
    }

    void createTopics(List<Task> tasks) {
      TopicRegistry registry = TopicRegistry.standard();
      try (TopicAdmin admin = new TopicAdmin(broker.bootstrapServers())) {
        List<String> created = admin.ensure(registry.all(tasks));
        int total = registry.all(tasks).size();
        out.printf(
            "Topics ready: %d created, %d already there (%s)%n",
            created.size(), total - created.size(), describe(tasks));
        out.flush();
      }
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
