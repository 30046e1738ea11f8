package dev.millrace.ops;

import dev.millrace.kafka.TopicAdmin;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.TopicRegistry;
import java.io.PrintWriter;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code millrace topics}: create or list the topics of the registry on a Kafka cluster. */
@Command(
    name = "topics",
    mixinStandardHelpOptions = true,
    description = "Create or list Millrace's topics on a Kafka cluster.",
    subcommands = {TopicsCommand.Create.class, TopicsCommand.ListTopics.class})
public final class TopicsCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Options for reaching a cluster. */
  static final class ClusterOptions {
    @Option(
        names = {"-b", "--bootstrap-servers"},
        defaultValue = "${env:MILLRACE_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
        description =
            "Kafka bootstrap servers (env MILLRACE_BOOTSTRAP_SERVERS; default ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(
        names = "--namespace",
        defaultValue = "${env:MILLRACE_NAMESPACE:-}",
        description = "Prefix for every topic name, e.g. 'staging' (env MILLRACE_NAMESPACE).")
    String namespace;

    @Option(
        names = "--kafka-config",
        paramLabel = "FILE",
        defaultValue = "${env:MILLRACE_KAFKA_CONFIG:-}",
        description =
            "Kafka client properties merged into every Kafka client of the command, e.g. the"
                + " SASL_SSL settings of a user that 'millrace broker --secure' wrote"
                + " (security.protocol, sasl.mechanism, sasl.jaas.config, ssl.truststore.*;"
                + " env MILLRACE_KAFKA_CONFIG).")
    String kafkaConfig;

    TopicRegistry registry() {
      return TopicRegistry.namespaced(namespace);
    }

    /** The {@code --kafka-config} file's properties; empty without one. */
    java.util.Map<String, String> kafkaProperties() {
      return KafkaConfigFile.load(kafkaConfig);
    }
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Create the topics of a task (idempotent: existing topics are left alone).")
  static final class Create implements Callable<Integer> {
    @CommandLine.Mixin ClusterOptions cluster;

    @Option(
        names = {"-t", "--task"},
        required = true,
        paramLabel = "TASK",
        description = "fraud, churn, demand or all.")
    String task;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      List<Task> tasks = TopicRegistry.tasks(task);
      List<Topic<?, ?>> wanted = cluster.registry().all(tasks);
      PrintWriter out = spec.commandLine().getOut();
      try (TopicAdmin admin = new TopicAdmin(cluster.bootstrapServers, cluster.kafkaProperties())) {
        Set<String> created = Set.copyOf(admin.ensure(wanted));
        for (Topic<?, ?> topic : wanted) {
          out.printf(
              "%-32s %-8s partitions=%d cleanup=%s%n",
              topic.name(),
              created.contains(topic.name()) ? "created" : "exists",
              topic.partitions(),
              topic.cleanupPolicy());
        }
      } catch (IllegalStateException e) {
        throw new UserError(
            "cannot reach Kafka at "
                + cluster.bootstrapServers
                + " ("
                + e.getMessage()
                + "): is a broker running? Start one with 'millrace broker'");
      }
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List topics.")
  static final class ListTopics implements Callable<Integer> {
    @CommandLine.Mixin ClusterOptions cluster;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      try (TopicAdmin admin = new TopicAdmin(cluster.bootstrapServers, cluster.kafkaProperties())) {
        admin.names().stream().sorted().forEach(spec.commandLine().getOut()::println);
      } catch (IllegalStateException e) {
        throw new UserError(
            "cannot reach Kafka at " + cluster.bootstrapServers + ": is a broker running?");
      }
      return 0;
    }
  }
}
