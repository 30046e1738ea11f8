package dev.millrace.ingest.fraud;

import dev.millrace.ingest.ValidationRules;
import dev.millrace.schemas.TopicRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link FraudValidatorTopology} as a Kafka Streams application with {@code
 * processing.guarantee=exactly_once_v2}: a raw record yields exactly one event or one dead letter.
 */
public final class FraudValidatorApp implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(FraudValidatorApp.class);

  /**
   * Validator settings.
   *
   * @param bootstrapServers Kafka bootstrap servers
   * @param applicationId Kafka Streams application id (consumer group, transactional id prefix)
   * @param stateDir Kafka Streams state directory
   * @param rules validation time bounds
   */
  public record Settings(
      String bootstrapServers, String applicationId, Path stateDir, ValidationRules rules) {
    public Settings {
      if (bootstrapServers == null || bootstrapServers.isBlank()) {
        throw new IllegalArgumentException("bootstrap servers are required");
      }
      if (applicationId == null || applicationId.isBlank()) {
        throw new IllegalArgumentException("application id is required");
      }
      Objects.requireNonNull(stateDir, "stateDir");
      Objects.requireNonNull(rules, "rules");
    }

    /** Application id {@code millrace-fraud-validator}, state under the temp dir, default rules. */
    public static Settings defaults(String bootstrapServers) {
      return new Settings(
          bootstrapServers,
          "millrace-fraud-validator",
          Path.of(System.getProperty("java.io.tmpdir"), "millrace-streams"),
          ValidationRules.defaults());
    }

    public Settings withApplicationId(String id) {
      return new Settings(bootstrapServers, id, stateDir, rules);
    }

    public Settings withStateDir(Path dir) {
      return new Settings(bootstrapServers, applicationId, dir, rules);
    }
  }

  private final KafkaStreams streams;

  public FraudValidatorApp(TopicRegistry topics, Settings settings) {
    this(topics, settings, new Properties());
  }

  /**
   * With Kafka Streams properties that override {@link #properties} (e.g. a producer's {@code
   * max.request.size}).
   */
  public FraudValidatorApp(TopicRegistry topics, Settings settings, Properties overrides) {
    Properties p = properties(topics, settings);
    p.putAll(overrides);
    this.streams = new KafkaStreams(FraudValidatorTopology.build(topics, settings.rules()), p);
  }

  /**
   * The Kafka Streams configuration used: exactly-once, and {@link
   * DeadLetterProductionExceptionHandler} turning a too-large output into a dead letter on the
   * task's DLQ topic instead of stopping the stream thread.
   */
  public static Properties properties(TopicRegistry topics, Settings settings) {
    Properties p = properties(settings);
    p.put(
        StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
        DeadLetterProductionExceptionHandler.class.getName());
    p.put(
        DeadLetterProductionExceptionHandler.DLQ_TOPIC_CONFIG,
        topics.dlq(dev.millrace.schemas.Task.FRAUD).name());
    return p;
  }

  /** The Kafka Streams configuration without the topic-dependent parts. */
  public static Properties properties(Settings settings) {
    Properties p = new Properties();
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, settings.applicationId());
    p.put(StreamsConfig.STATE_DIR_CONFIG, settings.stateDir().toString());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
    return p;
  }

  /** Starts processing in the background. */
  public void start() {
    streams.setUncaughtExceptionHandler(
        e -> {
          LOG.error("fraud validator stream thread failed; replacing it", e);
          return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler
              .StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    streams.start();
  }

  public KafkaStreams.State state() {
    return streams.state();
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
  }
}
