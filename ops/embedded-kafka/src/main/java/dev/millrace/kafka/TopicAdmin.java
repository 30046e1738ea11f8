package dev.millrace.kafka;

import dev.millrace.schemas.Topic;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;

/** Creates the registry's topics on a Kafka cluster; creating an existing topic is a no-op. */
public final class TopicAdmin implements AutoCloseable {

  private final Admin admin;

  public TopicAdmin(String bootstrapServers) {
    this(bootstrapServers, Map.of());
  }

  /**
   * An admin client with extra client properties, e.g. a secured broker's {@link
   * EmbeddedKafkaBroker#adminClientProperties()} or a {@code --kafka-config} file.
   */
  public TopicAdmin(String bootstrapServers, Map<String, String> clientProperties) {
    Map<String, Object> conf = new java.util.HashMap<>(clientProperties);
    conf.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    conf.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
    this.admin = Admin.create(conf);
  }

  /** The admin client itself, e.g. for {@link MillraceAcls#apply}. */
  public Admin admin() {
    return admin;
  }

  /**
   * Creates every topic that does not exist yet, with {@link #defaultReplication()} replicas.
   *
   * @return the names of the topics that were created now (the others existed already)
   */
  public List<String> ensure(Collection<? extends Topic<?, ?>> topics) {
    return ensure(topics, defaultReplication());
  }

  /** One replica per broker, at most 3: 1 on a single broker, 3 on a three-broker cluster. */
  public short defaultReplication() {
    try {
      int brokers = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size();
      return (short) Math.max(1, Math.min(3, brokers));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while describing the cluster", e);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("cannot describe the Kafka cluster: " + e.getMessage(), e);
    }
  }

  /**
   * Creates every topic that does not exist yet with {@code replication} replicas per partition (3
   * on a three-broker cluster; the brokers' {@code min.insync.replicas} applies).
   *
   * @return the names of the topics that were created now (the others existed already)
   */
  public List<String> ensure(Collection<? extends Topic<?, ?>> topics, short replication) {
    try {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (Topic<?, ?> topic : topics) {
        if (!existing.contains(topic.name())) {
          missing.add(
              new NewTopic(topic.name(), topic.partitions(), replication).configs(topic.configs()));
        }
      }
      List<String> created = new ArrayList<>();
      admin
          .createTopics(missing)
          .values()
          .forEach(
              (name, future) -> {
                try {
                  future.get(30, TimeUnit.SECONDS);
                  created.add(name);
                } catch (ExecutionException e) {
                  if (!(e.getCause()
                      instanceof org.apache.kafka.common.errors.TopicExistsException)) {
                    throw new IllegalStateException(
                        "cannot create topic " + name + ": " + e.getCause().getMessage(), e);
                  }
                } catch (Exception e) {
                  throw new IllegalStateException("cannot create topic " + name, e);
                }
              });
      awaitLeaders(created);
      return created;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("cannot list topics: " + e.getMessage(), e);
    }
  }

  /**
   * Waits until every partition of the new topics has a leader, so that a producer writing right
   * after creation does not meet NOT_LEADER_OR_FOLLOWER while metadata propagates.
   */
  private void awaitLeaders(List<String> topics) throws InterruptedException {
    if (topics.isEmpty()) {
      return;
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        Map<String, TopicDescription> described =
            admin.describeTopics(topics).allTopicNames().get(10, TimeUnit.SECONDS);
        boolean ready =
            described.values().stream()
                .allMatch(
                    d ->
                        d.partitions().stream()
                            .allMatch(p -> p.leader() != null && !p.leader().isEmpty()));
        if (ready) {
          return;
        }
      } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
        // not visible yet: retry until the deadline
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("topics " + topics + " have no leader after 30 s");
      }
      Thread.sleep(50);
    }
  }

  /** Names of all topics on the cluster. */
  public Set<String> names() {
    try {
      return admin.listTopics().names().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while listing topics", e);
    } catch (Exception e) {
      throw new IllegalStateException("cannot list topics: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    admin.close();
  }
}
