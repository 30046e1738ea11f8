package dev.millrace.pipeline.fraud;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.pipeline.AvroParser;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.DeadLetterHeaders;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.schemas.fraud.FraudLabel;
import dev.millrace.schemas.fraud.FraudTransaction;
import dev.millrace.scorer.model.DjlModelLoader;
import dev.millrace.testkit.FlinkTestCluster;
import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.TestKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link KafkaFraudJob} on a real broker: raw sources, exactly-once sinks, dead letters with their
 * headers; read back with read_committed.
 */
@ExtendWith(KafkaExtension.class)
class KafkaFraudJobTest {

  @RegisterExtension static final MiniClusterExtension FLINK = FlinkTestCluster.extension();

  @Test
  void runsTheFixtureThroughKafkaExactlyOnce(TestKafka kafka) throws Exception {
    kafka.createTopics(Task.FRAUD);
    Topic<String, FraudTransaction> events = kafka.topics().fraudEvents();
    Topic<String, FraudLabel> labels = kafka.topics().fraudLabels();
    kafka.send(
        events,
        FraudFixture.transactions().stream()
            .map(tx -> new ProducerRecord<>(events.name(), tx.getCustomerId(), tx))
            .toList());
    kafka.send(
        labels,
        FraudFixture.labels().stream()
            .map(l -> new ProducerRecord<>(labels.name(), l.getCustomerId(), l))
            .toList());
    byte[] poison = "{\"amount\": 12}".getBytes(StandardCharsets.UTF_8);
    try (KafkaProducer<byte[], byte[]> raw = kafka.rawProducer()) {
      raw.send(
              new ProducerRecord<>(events.name(), 0, "C7".getBytes(StandardCharsets.UTF_8), poison))
          .get();
    }
    // A record of 2 MB, gzip-compressed as a producer may send it: its dead letter must fit in one
    // producer request (1 MiB), so it carries the first 64 KiB and the size.
    byte[] huge = new byte[2 * 1024 * 1024];
    java.util.Arrays.fill(huge, (byte) 7);
    java.util.Properties big = new java.util.Properties();
    big.putAll(kafka.clientProperties());
    big.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "gzip");
    big.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 * 1024 * 1024);
    try (KafkaProducer<byte[], byte[]> raw =
        new KafkaProducer<>(big, new ByteArraySerializer(), new ByteArraySerializer())) {
      raw.send(new ProducerRecord<>(events.name(), 1, "C8".getBytes(StandardCharsets.UTF_8), huge))
          .get();
    }

    FraudPipelineSettings settings =
        FraudPipelineSettings.builder(kafka.bootstrapServers())
            .topics(kafka.topics())
            .consumerGroupId(kafka.namespace() + "-job")
            .transactionalIdPrefix(kafka.namespace())
            .parallelism(2)
            .checkpointInterval(Duration.ofMillis(500))
            .transactionTimeout(Duration.ofMinutes(2))
            .stopAtLatestOffsets(true)
            .maxAheadOfStream(FraudFixture.MAX_GAP)
            .build();
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.getExecutionEnvironment(FlinkTestCluster.configuration());
    KafkaFraudJob.attach(env, settings, new DjlModelLoader());
    env.execute(KafkaFraudJob.JOB_NAME);

    Topic<String, ScoreRecord> scoresTopic = kafka.topics().scores(Task.FRAUD);
    List<ConsumerRecord<String, ScoreRecord>> scores =
        kafka.readCommitted(scoresTopic, 13, Duration.ofSeconds(30), Duration.ofMillis(500));
    assertThat(scores).hasSize(13);
    assertThat(scores.stream().map(r -> r.value().getEventId()).distinct()).hasSize(13);
    assertThat(scores).allSatisfy(r -> assertThat(r.key()).isEqualTo(r.value().getEntityId()));

    List<ConsumerRecord<String, TrainingExample>> training =
        kafka.readCommitted(
            kafka.topics().training(Task.FRAUD),
            13,
            Duration.ofSeconds(30),
            Duration.ofMillis(500));
    assertThat(training).hasSize(13);
    assertThat(training.stream().filter(r -> r.value().getLabel() == 1.0))
        .extracting(r -> r.value().getEventId())
        .containsExactlyInAnyOrder("1", "8");

    List<ConsumerRecord<byte[], DeadLetter>> dlq =
        kafka.readCommitted(
            kafka.topics().dlq(Task.FRAUD), 4, Duration.ofSeconds(30), Duration.ofMillis(500));
    assertThat(dlq).hasSize(4);
    DeadLetter hugeLetter =
        dlq.stream()
            .map(ConsumerRecord::value)
            .filter(d -> Integer.valueOf(1).equals(d.getSourcePartition()))
            .filter(d -> d.getSourceTopic().equals(events.name()))
            .findFirst()
            .orElseThrow();
    assertThat(hugeLetter.getReasonCode()).isEqualTo(AvroParser.UNDECODABLE);
    assertThat(hugeLetter.getOriginalValue().remaining()).isEqualTo(64 * 1024);
    assertThat(hugeLetter.getOriginalValueSize()).isEqualTo(2 * 1024 * 1024);
    assertThat(hugeLetter.getReason()).contains("2097152 bytes truncated");
    // tx4's and tx6's labels are known only after their maturity: dead letters of the label join.
    assertThat(dlq)
        .filteredOn(r -> r.value().getSourceTopic().equals(labels.name()))
        .extracting(r -> header(r, DeadLetterHeaders.REASON))
        .containsExactly(LabelJoin.LABEL_AFTER_MATURITY, LabelJoin.LABEL_AFTER_MATURITY);
    ConsumerRecord<byte[], DeadLetter> letter =
        dlq.stream()
            .filter(r -> r.value().getSourceTopic().equals(events.name()))
            .filter(r -> r.value().getSourcePartition() == 0)
            .findFirst()
            .orElseThrow();
    assertThat(letter.key()).isEqualTo("C7".getBytes(StandardCharsets.UTF_8));
    assertThat(letter.value().getReasonCode()).isEqualTo(AvroParser.UNDECODABLE);
    assertThat(header(letter, DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo(events.name());
    assertThat(header(letter, DeadLetterHeaders.SOURCE_PARTITION)).isEqualTo("0");
    assertThat(header(letter, DeadLetterHeaders.SOURCE_OFFSET))
        .isEqualTo(String.valueOf(letter.value().getSourceOffset()));
    assertThat(header(letter, DeadLetterHeaders.REASON)).isEqualTo(AvroParser.UNDECODABLE);
    assertThat(header(letter, DeadLetterHeaders.STAGE)).isEqualTo(ParseTransactions.STAGE);
  }

  private static String header(ConsumerRecord<?, ?> record, String name) {
    Header h = record.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
