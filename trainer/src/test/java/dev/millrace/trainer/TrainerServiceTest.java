package dev.millrace.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.DeadLetterHeaders;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.RetrainRequest;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.scorer.FeatureSchema;
import dev.millrace.scorer.model.ModelStore;
import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.TestKafka;
import dev.millrace.trainer.Synthetic.Labels;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The service on a real Kafka broker, with real DJL training and a real model store. */
@ExtendWith(KafkaExtension.class)
class TrainerServiceTest {

  private static final Duration WAIT = Duration.ofMinutes(3);

  @TempDir Path dir;

  private TrainerSettings settings(TestKafka kafka, int retrainEvery) {
    return TrainerSettings.defaults(
            kafka.bootstrapServers(),
            kafka.topics(),
            Task.FRAUD,
            Synthetic.SCHEMA,
            dir.resolve("models").toUri())
        .withRetrain(retrainEvery, Duration.ofHours(1))
        .withWindow(10_000, 0.2, 100)
        .withTrainSettings(RetrainRunTest.FAST);
  }

  private static void send(TestKafka kafka, List<TrainingExample> examples) {
    Topic<String, TrainingExample> topic = kafka.topics().training(Task.FRAUD);
    List<ProducerRecord<String, TrainingExample>> records = new ArrayList<>();
    for (TrainingExample e : examples) {
      records.add(new ProducerRecord<>(topic.name(), e.getEntityId(), e));
    }
    kafka.send(topic, records);
  }

  @Test
  void aRetrainRequestOnTheControlTopicStartsAnEarlyRun(TestKafka kafka) throws Exception {
    kafka.createTopics(Task.FRAUD);
    send(kafka, Synthetic.examples(1_000, Labels.INFORMATIVE, 12));
    // never due by count or time: only the control record can start a run
    TrainerSettings settings =
        TrainerSettings.defaults(
                kafka.bootstrapServers(),
                kafka.topics(),
                Task.FRAUD,
                Synthetic.SCHEMA,
                dir.resolve("models").toUri())
            .withRetrain(1_000_000, Duration.ofDays(365))
            .withWindow(10_000, 0.2, 100)
            .withTrainSettings(RetrainRunTest.FAST);
    try (TrainerService service = new TrainerService(settings).startThread()) {
      assertThat(service.awaitStarted(WAIT)).isTrue();
      assertThat(service.status().runsStarted()).isZero();
      Topic<String, RetrainRequest> control = kafka.topics().control();
      String reason = "drift: psi(TX_AMOUNT)=0.412 >= 0.200 over the last 1d of event time";
      kafka.send(
          control,
          List.of(
              new ProducerRecord<>(control.name(), "fraud", request(Task.FRAUD, reason)),
              // another task's request is not this trainer's
              new ProducerRecord<>(
                  control.name(), "churn", request(Task.CHURN, "drift: psi(score)=9"))));
      assertThat(service.awaitCompletedRuns(1, WAIT)).isTrue();
      TrainingRecord run = service.history().read().get(0);
      assertThat(run.trigger()).isEqualTo("early: " + reason);
    }
  }

  private static RetrainRequest request(Task task, String reason) {
    return RetrainRequest.newBuilder()
        .setTask(task)
        .setReason(reason)
        .setPsi(0.412)
        .setFeature("TX_AMOUNT")
        .setModelVersion("fraud-1")
        .setRequestedAt(Instant.now())
        .build();
  }

  @Test
  void trainsStoresAndAnnouncesAChampion(TestKafka kafka) throws Exception {
    kafka.createTopics(Task.FRAUD);
    send(kafka, Synthetic.examples(2_000, Labels.INFORMATIVE, 11));

    String championVersion;
    try (TrainerService service = new TrainerService(settings(kafka, 2_000)).startThread()) {
      List<ConsumerRecord<String, ModelAnnouncement>> announced =
          kafka.readCommitted(kafka.topics().models(), 1, WAIT, Duration.ZERO);
      assertThat(announced).hasSize(1);
      ConsumerRecord<String, ModelAnnouncement> record = announced.get(0);
      ModelAnnouncement a = record.value();
      assertThat(record.key()).isEqualTo("fraud");
      assertThat(a.getStatus()).isEqualTo(ModelStatus.CHAMPION);
      assertThat(a.getVersion()).matches("fraud-\\d{8}-\\d{6}-1");
      assertThat(a.getFeatureSchemaFingerprint()).isEqualTo(Synthetic.SCHEMA.fingerprint());
      assertThat(a.getMetrics())
          .containsKeys("average_precision", "roc_auc", "card_precision_at_k");

      URI artifact = URI.create(a.getArtifactUri());
      assertThat(RetrainRunTest.sha256(artifact)).isEqualTo(a.getSha256());
      assertThat(new ModelStore(dir.resolve("models").toUri()).sha256(artifact))
          .isEqualTo(a.getSha256());

      assertThat(service.awaitCompletedRuns(1, WAIT)).isTrue();
      TrainerStatus status = service.status();
      assertThat(status.state()).isEqualTo(TrainerStatus.State.RUNNING);
      assertThat(status.examplesConsumed()).isEqualTo(2_000);
      assertThat(status.windowRows()).isEqualTo(2_000);
      assertThat(status.championVersion()).isEqualTo(a.getVersion());
      assertThat(status.lastRun().decision()).isEqualTo(RunDecision.PROMOTED);
      assertThat(status.line(Instant.now()))
          .contains("trainer fraud", "champion " + a.getVersion(), "PROMOTED");

      List<TrainingRecord> history = service.history().read();
      assertThat(history).hasSize(1);
      assertThat(history.get(0).version()).isEqualTo(a.getVersion());
      assertThat(history.get(0).sha256()).isEqualTo(a.getSha256());
      championVersion = a.getVersion();
    }

    // A restarted service finds the champion on the compacted topic before it consumes.
    try (TrainerService again = new TrainerService(settings(kafka, 1_000_000)).startThread()) {
      assertThat(again.awaitStarted(WAIT)).isTrue();
      assertThat(again.status().championVersion()).isEqualTo(championVersion);
    }
  }

  @Test
  void aWindowWithoutPositivesAnnouncesNothingAndBadRecordsGoToTheDlq(TestKafka kafka)
      throws Exception {
    kafka.createTopics(Task.FRAUD);
    send(kafka, Synthetic.examples(500, Labels.NONE, 12));
    // Three bad records: bytes that are no Avro, an example of another feature schema, and one with
    // an infinite feature.
    Topic<String, TrainingExample> training = kafka.topics().training(Task.FRAUD);
    try (KafkaProducer<byte[], byte[]> raw = kafka.rawProducer()) {
      raw.send(
              new ProducerRecord<>(
                  training.name(), "k".getBytes(), "not avro".getBytes(StandardCharsets.UTF_8)))
          .get();
    }
    TrainingExample other = Synthetic.examples(1, Labels.NONE, 13).get(0);
    other.setFeatureSchemaFingerprint(new FeatureSchema(List.of("x")).fingerprint());
    // A missing value (NaN, which the model's normaliser imputes) is fine; an infinity is not.
    TrainingExample missing = Synthetic.examples(1, Labels.NONE, 14).get(0);
    List<Float> withNaN = new java.util.ArrayList<>(missing.getFeatures());
    withNaN.set(0, Float.NaN);
    missing.setFeatures(withNaN);
    TrainingExample broken = Synthetic.examples(1, Labels.NONE, 15).get(0);
    List<Float> withInf = new java.util.ArrayList<>(broken.getFeatures());
    withInf.set(0, Float.POSITIVE_INFINITY);
    broken.setFeatures(withInf);
    send(kafka, List.of(other, missing, broken));

    try (TrainerService service = new TrainerService(settings(kafka, 500)).startThread()) {
      // The three refusals are on the dead-letter topic (so the service has read them)...
      List<ConsumerRecord<byte[], DeadLetter>> dead =
          kafka.readCommitted(kafka.topics().dlq(Task.FRAUD), 3, WAIT, Duration.ofSeconds(1));
      assertThat(dead)
          .extracting(r -> r.value().getReasonCode())
          .containsExactlyInAnyOrder("UNREADABLE", "FEATURE_SCHEMA_MISMATCH", "NON_FINITE_FEATURE");
      assertThat(dead)
          .allSatisfy(
              r -> {
                assertThat(r.value().getStage()).isEqualTo("trainer");
                assertThat(r.value().getSourceTopic()).isEqualTo(training.name());
                assertThat(new String(r.headers().lastHeader(DeadLetterHeaders.STAGE).value()))
                    .isEqualTo("trainer");
              });
      // ...and the run over the 500 negatives trained nothing.
      assertThat(service.awaitCompletedRuns(1, WAIT)).isTrue();
      TrainerStatus status = service.status();
      assertThat(status.lastRun().decision()).isEqualTo(RunDecision.SKIPPED_NO_POSITIVES);
      assertThat(status.championVersion()).isNull();
      assertThat(status.examplesConsumed())
          .as("500 and the one with a missing value")
          .isEqualTo(501);
      assertThat(status.examplesRejected()).isEqualTo(3);
      assertThat(service.history().read())
          .extracting(TrainingRecord::decision)
          .containsExactly(RunDecision.SKIPPED_NO_POSITIVES);

      assertThat(
              kafka.readCommitted(kafka.topics().models(), 0, Duration.ZERO, Duration.ofSeconds(2)))
          .isEmpty();
    }
  }
}
