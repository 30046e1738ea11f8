package dev.millrace.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.schemas.AvroSerde;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.fraud.FraudTransaction;
import dev.millrace.testkit.FlinkTestCluster;
import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.TestKafka;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.stream.IntStream;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A Flink job on the MiniCluster reads Avro from the real broker, keeps keyed state and writes
 * through an exactly-once (transactional) Kafka sink; a read_committed consumer sees every record
 * exactly once.
 */
@ExtendWith(KafkaExtension.class)
class ExactlyOnceKafkaJobTest {

  @RegisterExtension static final MiniClusterExtension FLINK = FlinkTestCluster.extension();

  private static final int EVENTS = 2_000;

  @Test
  void kafkaToKeyedStateToTransactionalKafka(TestKafka kafka) throws Exception {
    kafka.createTopics(Task.FRAUD);
    Topic<String, FraudTransaction> in = kafka.topics().fraudEvents();
    Topic<String, ScoreRecord> out = kafka.topics().scores(Task.FRAUD);
    kafka.send(
        in,
        IntStream.range(0, EVENTS)
            .mapToObj(ExactlyOnceKafkaJobTest::transaction)
            .map(tx -> new ProducerRecord<>(in.name(), tx.getCustomerId(), tx))
            .toList());

    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.getExecutionEnvironment(FlinkTestCluster.configuration());
    env.setParallelism(2);
    env.enableCheckpointing(500, CheckpointingMode.EXACTLY_ONCE);
    KafkaSource<FraudTransaction> source =
        KafkaSource.<FraudTransaction>builder()
            .setBootstrapServers(kafka.bootstrapServers())
            .setTopics(in.name())
            .setGroupId(kafka.namespace() + "-job")
            .setStartingOffsets(OffsetsInitializer.earliest())
            .setBounded(OffsetsInitializer.latest())
            .setValueOnlyDeserializer(new AvroValue<>(FraudTransaction.class))
            .build();
    Properties producerConfig = new Properties();
    producerConfig.put("transaction.timeout.ms", String.valueOf(Duration.ofMinutes(5).toMillis()));
    KafkaSink<ScoreRecord> sink =
        KafkaSink.<ScoreRecord>builder()
            .setBootstrapServers(kafka.bootstrapServers())
            .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
            .setTransactionalIdPrefix(kafka.namespace() + "-eos")
            .setKafkaProducerConfig(producerConfig)
            .setRecordSerializer(
                KafkaRecordSerializationSchema.<ScoreRecord>builder()
                    .setTopic(out.name())
                    .setKeySerializationSchema(new EntityKey())
                    .setValueSerializationSchema(new AvroBytes<>(ScoreRecord.class))
                    .build())
            .build();

    env.fromSource(source, WatermarkStrategy.noWatermarks(), "transactions")
        .keyBy(FraudTransaction::getCustomerId)
        .process(new RunningCount())
        .uid("running-count")
        .name("Running count per customer")
        .sinkTo(sink)
        .uid("scores-sink")
        .name("Scores (exactly-once)");
    env.execute("eos-smoke");

    List<ConsumerRecord<String, ScoreRecord>> scores =
        kafka.readCommitted(out, EVENTS, Duration.ofSeconds(60), Duration.ofSeconds(1));
    assertThat(scores).hasSize(EVENTS);
    assertThat(scores.stream().map(r -> r.value().getEventId()).distinct()).hasSize(EVENTS);
    // The keyed state counted each customer's transactions 1..n without gaps or repeats.
    assertThat(
            scores.stream()
                .filter(r -> r.key().equals("c3"))
                .map(r -> r.value().getPrediction())
                .sorted()
                .toList())
        .containsExactlyElementsOf(
            IntStream.rangeClosed(1, EVENTS / 10).mapToObj(i -> (double) i).toList());
  }

  private static FraudTransaction transaction(int i) {
    return FraudTransaction.newBuilder()
        .setTransactionId(i)
        .setEventTime(Instant.parse("2018-04-01T00:00:00Z").plusSeconds(i))
        .setCustomerId("c" + (i % 10))
        .setTerminalId("t" + (i % 13))
        .setAmount(i % 300)
        .build();
  }

  /** Emits, per transaction, the number of transactions its customer has made so far. */
  static final class RunningCount
      extends KeyedProcessFunction<String, FraudTransaction, ScoreRecord> {
    private transient ValueState<Long> count;

    @Override
    public void open(OpenContext context) {
      count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
    }

    @Override
    public void processElement(FraudTransaction tx, Context ctx, Collector<ScoreRecord> out)
        throws Exception {
      long n = count.value() == null ? 1 : count.value() + 1;
      count.update(n);
      out.collect(
          ScoreRecord.newBuilder()
              .setTask(Task.FRAUD)
              .setEventId(String.valueOf(tx.getTransactionId()))
              .setEntityId(tx.getCustomerId())
              .setPrediction(n)
              .setModelVersion("count")
              .setEventTime(tx.getEventTime())
              .setScoringTime(Instant.now())
              .build());
    }
  }

  /** Value-only Avro deserialization through the registry's serde (created on each subtask). */
  static final class AvroValue<T extends org.apache.avro.specific.SpecificRecordBase>
      implements DeserializationSchema<T> {
    private final Class<T> type;
    private transient AvroSerde<T> serde;

    AvroValue(Class<T> type) {
      this.type = type;
    }

    @Override
    public T deserialize(byte[] message) {
      if (serde == null) {
        serde = AvroSerde.of(type);
      }
      return serde.decode(message);
    }

    @Override
    public boolean isEndOfStream(T nextElement) {
      return false;
    }

    @Override
    public TypeInformation<T> getProducedType() {
      return new AvroTypeInfo<>(type);
    }
  }

  /** Avro single-object encoding of a record, as the registry's serde writes it. */
  static final class AvroBytes<T extends org.apache.avro.specific.SpecificRecord>
      implements SerializationSchema<T> {
    private final Class<T> type;
    private transient AvroSerde<T> serde;

    AvroBytes(Class<T> type) {
      this.type = type;
    }

    @Override
    public byte[] serialize(T element) {
      if (serde == null) {
        serde = AvroSerde.of(type);
      }
      return serde.encode(element);
    }
  }

  /** The score's entity id as a UTF-8 key. */
  static final class EntityKey implements SerializationSchema<ScoreRecord> {
    @Override
    public byte[] serialize(ScoreRecord element) {
      return element.getEntityId().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
  }
}
