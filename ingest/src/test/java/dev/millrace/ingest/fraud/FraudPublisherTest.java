package dev.millrace.ingest.fraud;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.ingest.Pacing;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.fraud.FraudLabel;
import dev.millrace.schemas.fraud.FraudTransaction;
import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.TestKafka;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaExtension.class)
class FraudPublisherTest {

  static final Instant START = Instant.parse("2024-01-01T00:00:00Z");
  static final FraudGenerator.Settings GEN = new FraudGenerator.Settings(3, 60, 120, START, null);
  static final Duration WAIT = Duration.ofSeconds(60);

  private static List<LabeledTransaction> generate(int days) {
    List<LabeledTransaction> out = new ArrayList<>();
    new FraudGenerator(GEN).until(START.plus(Duration.ofDays(days))).forEachRemaining(out::add);
    return out;
  }

  private static long seq(ConsumerRecord<?, ?> record) {
    return ByteBuffer.wrap(record.headers().lastHeader(FraudPublisher.SEQUENCE_HEADER).value())
        .getLong();
  }

  @Test
  void everyTransactionOnceAndEachLabelAfterTheTransactionsBeforeItsLabelTime(TestKafka kafka) {
    kafka.createTopics(Task.FRAUD);
    List<LabeledTransaction> input = generate(45);
    Instant last = input.get(input.size() - 1).eventTime();
    Duration delay = Duration.ofDays(7);
    List<LabeledTransaction> expectedLabelled =
        input.stream()
            .filter(LabeledTransaction::fraud)
            .filter(t -> !t.eventTime().plus(delay).isAfter(last))
            .toList();
    assertThat(expectedLabelled).isNotEmpty();

    FraudPublisher.Counts counts;
    try (FraudPublisher publisher =
        new FraudPublisher(
            kafka.topics(),
            FraudPublisher.Settings.defaults(kafka.bootstrapServers()).withLabelDelay(delay))) {
      counts = publisher.publish(input.iterator(), FraudPublisher.Listener.NONE);
    }
    assertThat(counts.events()).isEqualTo(input.size());
    assertThat(counts.labels()).isEqualTo(expectedLabelled.size());
    assertThat(counts.poison()).isZero();
    assertThat(counts.pendingLabels())
        .isEqualTo(input.stream().filter(LabeledTransaction::fraud).count() - counts.labels());

    List<ConsumerRecord<String, FraudTransaction>> events =
        kafka.readCommitted(
            kafka.topics().fraudEvents(), input.size(), WAIT, Duration.ofSeconds(1));
    List<ConsumerRecord<String, FraudLabel>> labels =
        kafka.readCommitted(
            kafka.topics().fraudLabels(), expectedLabelled.size(), WAIT, Duration.ofSeconds(1));

    // every transaction exactly once, keyed by customer, as sent
    assertThat(events).hasSize(input.size());
    Map<Long, ConsumerRecord<String, FraudTransaction>> byId =
        events.stream()
            .collect(Collectors.toMap(r -> r.value().getTransactionId(), Function.identity()));
    for (LabeledTransaction t : input) {
      ConsumerRecord<String, FraudTransaction> r = byId.get(t.tx().getTransactionId());
      assertThat(r).isNotNull();
      assertThat(r.value()).isEqualTo(t.tx());
      assertThat(r.key()).isEqualTo(t.customerId());
    }

    // labels: exactly the matured frauds, each sent after every transaction before its label time
    assertThat(labels)
        .extracting(r -> r.value().getTransactionId())
        .containsExactlyInAnyOrderElementsOf(
            expectedLabelled.stream().map(t -> t.tx().getTransactionId()).toList());
    for (ConsumerRecord<String, FraudLabel> label : labels) {
      FraudLabel l = label.value();
      assertThat(l.getFraud()).isTrue();
      assertThat(l.getLabelTime()).isEqualTo(l.getTransactionTime().plus(delay));
      assertThat(label.key()).isEqualTo(l.getCustomerId());
      long labelSeq = seq(label);
      for (ConsumerRecord<String, FraudTransaction> e : events) {
        if (e.value().getEventTime().isBefore(l.getLabelTime())) {
          assertThat(seq(e)).isLessThan(labelSeq);
        } else {
          assertThat(seq(e)).isGreaterThan(labelSeq);
        }
      }
    }
  }

  @Test
  void flushesPendingLabelsAndMixesInPoisonWhenAsked(TestKafka kafka) {
    kafka.createTopics(Task.FRAUD);
    List<LabeledTransaction> input = generate(20);
    long frauds = input.stream().filter(LabeledTransaction::fraud).count();
    FraudPublisher.Counts counts;
    try (FraudPublisher publisher =
        new FraudPublisher(
            kafka.topics(),
            FraudPublisher.Settings.defaults(kafka.bootstrapServers())
                .withPoison(0.05, 11)
                .withFlushPendingLabels(true))) {
      counts = publisher.publish(input.iterator(), FraudPublisher.Listener.NONE);
    }
    assertThat(counts.labels()).isEqualTo(frauds);
    assertThat(counts.pendingLabels()).isZero();
    assertThat(counts.poison()).isBetween(1L, (long) (input.size() * 0.1));

    Topic<byte[], byte[]> rawEvents =
        new Topic<>(
            kafka.topics().fraudEvents().name(),
            Serdes.ByteArray(),
            Serdes.ByteArray(),
            3,
            Map.of());
    var all =
        kafka.readCommitted(
            rawEvents, (int) (input.size() + counts.poison()), WAIT, Duration.ofSeconds(1));
    assertThat(all).hasSize((int) (input.size() + counts.poison()));
    var serde = kafka.topics().fraudEvents().valueSerde();
    long undecodableOrInvalid =
        all.stream()
            .filter(
                r -> {
                  try {
                    FraudTransaction tx = serde.deserializer().deserialize("x", r.value());
                    return tx == null
                        || FraudValidation.check(
                                tx, dev.millrace.ingest.ValidationRules.defaults(), Instant.now())
                            .isPresent();
                  } catch (RuntimeException e) {
                    return true;
                  }
                })
            .count();
    assertThat(undecodableOrInvalid).isEqualTo(counts.poison());
  }

  @Test
  void stopsFromAnotherThreadWhilePacedOnAnEndlessSource(TestKafka kafka) throws Exception {
    kafka.createTopics(Task.FRAUD);
    CountDownLatch progressed = new CountDownLatch(1);
    try (FraudPublisher publisher =
        new FraudPublisher(
            kafka.topics(),
            FraudPublisher.Settings.defaults(kafka.bootstrapServers())
                .withPacing(Pacing.rate(2_000)))) {
      FraudPublisher.Listener listener =
          new FraudPublisher.Listener() {
            @Override
            public void onProgress(FraudPublisher.Counts counts, Instant eventTime) {
              progressed.countDown();
            }
          };
      CompletableFuture<FraudPublisher.Counts> run =
          CompletableFuture.supplyAsync(() -> publisher.publish(new FraudGenerator(GEN), listener));
      assertThat(progressed.await(60, TimeUnit.SECONDS)).isTrue();
      publisher.stop();
      FraudPublisher.Counts counts = run.get(30, TimeUnit.SECONDS);
      assertThat(counts.events()).isPositive();
      var events =
          kafka.readCommitted(
              kafka.topics().fraudEvents(), (int) counts.events(), WAIT, Duration.ofMillis(500));
      assertThat(events).hasSize((int) counts.events());
    }
  }
}
