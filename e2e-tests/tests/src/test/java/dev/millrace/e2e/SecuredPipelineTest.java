package dev.millrace.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.e2e.FraudE2e.Limited;
import dev.millrace.ingest.fraud.FraudGenerator;
import dev.millrace.ingest.fraud.FraudPublisher;
import dev.millrace.kafka.BrokerSecurity;
import dev.millrace.kafka.BrokerSettings;
import dev.millrace.kafka.EmbeddedKafkaBroker;
import dev.millrace.kafka.MillraceAcls;
import dev.millrace.kafka.TopicAdmin;
import dev.millrace.pipeline.fraud.FraudFeatures;
import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.pipeline.fraud.KafkaFraudJob;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.scorer.model.ModelStore;
import dev.millrace.testkit.FlinkTestCluster;
import dev.millrace.trainer.ModelAnnouncements;
import dev.millrace.trainer.TrainerService;
import dev.millrace.trainer.TrainerSettings;
import dev.millrace.trainer.TrainerStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path on a secured broker (SASL_SSL, SCRAM-SHA-512, {@link MillraceAcls}): transactions
 * published as {@code User:cli}, the model announced as {@code User:trainer}, the fraud job on a
 * MiniCluster as {@code User:job}: every transaction gets exactly one score from the announced
 * model. Each client gets its principal's properties only through the settings' {@code
 * kafkaProperties}, so a client that missed them could not connect at all.
 */
class SecuredPipelineTest {

  @RegisterExtension static final MiniClusterExtension FLINK = FlinkTestCluster.extension();

  private static final int TRANSACTIONS = 2_000;
  private static final Duration WAIT = Duration.ofSeconds(120);

  @TempDir Path dir;

  @Test
  void theJobScoresOnASecuredBrokerWithEachPrincipalsOwnRights() throws Exception {
    TopicRegistry topics = TopicRegistry.standard();
    FraudPipelineSettings defaults = FraudPipelineSettings.builder("unused").build();
    try (EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.start(
            BrokerSettings.ephemeral(dir.resolve("kafka"))
                .withSecurity(BrokerSecurity.millrace(dir.resolve("security"))))) {
      String bootstrap = broker.bootstrapServers();
      try (TopicAdmin admin = new TopicAdmin(bootstrap, broker.adminClientProperties())) {
        admin.ensure(topics.all(List.of(Task.FRAUD)));
        MillraceAcls.apply(
            admin.admin(),
            MillraceAcls.bindings(
                topics,
                List.of(Task.FRAUD),
                new MillraceAcls.Prefixes(
                    defaults.consumerGroupId(),
                    defaults.transactionalIdPrefix(),
                    "millrace-trainer-",
                    "millrace-fraud-validator")));
      }
      Map<String, String> job = broker.clientProperties(MillraceAcls.JOB);
      Map<String, String> trainer = broker.clientProperties(MillraceAcls.TRAINER);
      Map<String, String> cli = broker.clientProperties(MillraceAcls.CLI);

      ModelStore store = new ModelStore(dir.resolve("models").toUri());
      ModelAnnouncement model =
          TestModels.store(store, TestModels.train("fraud-secured-1", 3_000, 21));

      // The command line's principal may not announce a model: only the trainer's may.
      try (ModelAnnouncements forged = new ModelAnnouncements(bootstrap, cli, topics)) {
        assertThatThrownBy(() -> forged.announce(model, Duration.ofSeconds(20)))
            .hasRootCauseInstanceOf(TopicAuthorizationException.class);
      }
      try (ModelAnnouncements announcements = new ModelAnnouncements(bootstrap, trainer, topics)) {
        announcements.announce(model, WAIT);
      }

      FraudPipelineSettings settings =
          FraudPipelineSettings.builder(bootstrap)
              .topics(topics)
              .kafkaProperties(job)
              .checkpointInterval(Duration.ofSeconds(1))
              .transactionTimeout(Duration.ofMinutes(2))
              .build();
      JobClient running =
          KafkaFraudJob.start(
              StreamExecutionEnvironment.getExecutionEnvironment(FlinkTestCluster.configuration()),
              settings);
      try {
        try (FraudPublisher publisher =
            new FraudPublisher(topics, FraudPublisher.Settings.defaults(bootstrap), cli)) {
          publisher.publish(
              new Limited(
                  new FraudGenerator(FraudGenerator.Settings.defaults().withSize(500, 1000)),
                  TRANSACTIONS),
              FraudPublisher.Listener.NONE);
        }
        // The job read the model as User:job: the scores name it (the broadcast model may reach
        // the scorer after the first transactions, which the fallback scores).
        List<ConsumerRecord<String, ScoreRecord>> scores =
            readCommitted(bootstrap, cli, topics.scores(Task.FRAUD), TRANSACTIONS);
        FraudE2e.assertExactlyOneScorePerTransaction(scores, TRANSACTIONS);
        assertThat(FraudE2e.scoresPerVersion(scores)).containsKey("fraud-secured-1");
      } finally {
        running.cancel().get();
      }

      // The trainer service as User:trainer: it creates/reads its topics, finds the champion on
      // millrace.models and consumes fraud.training in its own group.
      TrainerSettings trainerSettings =
          TrainerSettings.defaults(
                  bootstrap, topics, Task.FRAUD, FraudFeatures.SCHEMA, store.root())
              .withTrainSettings(TestModels.FAST)
              .withHistoryDir(dir.resolve("history"));
      try (TrainerService service =
          new TrainerService(trainerSettings.withKafkaProperties(trainer)).startThread()) {
        assertThat(service.awaitStarted(WAIT)).isTrue();
        assertThat(service.status().state()).isEqualTo(TrainerStatus.State.RUNNING);
        assertThat(service.champion())
            .map(ModelAnnouncement::getVersion)
            .contains("fraud-secured-1");
        // Its training consumer logged in and joined its group (seen by the broker's super user).
        try (TopicAdmin admin = new TopicAdmin(bootstrap, broker.adminClientProperties())) {
          String group = trainerSettings.consumerGroup();
          assertThat(
                  FraudE2e.await(
                      () -> {
                        try {
                          return admin
                                  .admin()
                                  .describeConsumerGroups(List.of(group))
                                  .all()
                                  .get()
                                  .get(group)
                                  .members()
                                  .size()
                              == 1;
                        } catch (Exception e) {
                          return false;
                        }
                      },
                      WAIT))
              .as("the trainer's consumer is a member of %s", group)
              .isTrue();
        }
        assertThat(service.status().state()).isEqualTo(TrainerStatus.State.RUNNING);
      }
      // The same service with the command line's file is refused (no group, no CREATE right).
      try (TrainerService service =
          new TrainerService(trainerSettings.withKafkaProperties(cli)).startThread()) {
        assertThat(
                FraudE2e.await(() -> service.status().state() == TrainerStatus.State.FAILED, WAIT))
            .as("trainer as User:cli fails: %s", service.status())
            .isTrue();
        assertThat(service.status().lastError()).contains("Authorization");
      }
    }
  }

  /** Reads {@code n} committed records (or what is there after {@link #WAIT}). */
  private static List<ConsumerRecord<String, ScoreRecord>> readCommitted(
      String bootstrap, Map<String, String> security, Topic<String, ScoreRecord> topic, int n) {
    Map<String, Object> p = new HashMap<>(security);
    p.put("bootstrap.servers", bootstrap);
    p.put("isolation.level", "read_committed");
    List<ConsumerRecord<String, ScoreRecord>> out = new ArrayList<>();
    try (KafkaConsumer<String, ScoreRecord> consumer =
        new KafkaConsumer<>(
            p, topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic.name()).stream()
              .map(i -> new TopicPartition(i.topic(), i.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (out.size() < n && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(500)).forEach(out::add);
      }
      // A little longer, so that a duplicate after the n-th record would be seen.
      consumer.poll(Duration.ofSeconds(2)).forEach(out::add);
    }
    return out;
  }
}
