package dev.millrace.trainer;

import dev.millrace.schemas.Topic;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates one registry topic when it does not exist yet, so the trainer's topics (models, control)
 * are never auto-created with the wrong cleanup policy. Kept here rather than using ops' TopicAdmin
 * so that the trainer does not depend on the embedded broker's jars.
 */
final class TopicCreation {

  private static final Logger LOG = LoggerFactory.getLogger(TopicCreation.class);

  private TopicCreation() {}

  static void ensure(String bootstrapServers, Topic<?, ?> topic, Duration timeout) {
    ensure(bootstrapServers, Map.of(), topic, timeout);
  }

  static void ensure(
      String bootstrapServers,
      Map<String, String> kafkaProperties,
      Topic<?, ?> topic,
      Duration timeout) {
    Properties p = new Properties();
    p.putAll(kafkaProperties);
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    try (Admin admin = Admin.create(p)) {
      NewTopic t =
          new NewTopic(topic.name(), topic.partitions(), (short) -1).configs(topic.configs());
      admin.createTopics(List.of(t)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      LOG.info("created topic {}", topic.name());
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException(
            "cannot create " + topic.name() + ": " + e.getCause().getMessage(), e.getCause());
      }
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "Kafka at " + bootstrapServers + " did not answer within " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating " + topic.name(), e);
    }
  }
}
