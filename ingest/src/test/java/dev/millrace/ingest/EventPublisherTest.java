package dev.millrace.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.churn.ChurnActivity;
import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.TestKafka;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaExtension.class)
class EventPublisherTest {

  private static ChurnActivity line(int i) {
    return ChurnActivity.newBuilder()
        .setCustomerId("c" + (i % 7))
        .setInvoiceId("inv" + i)
        .setItemId("item")
        .setQuantity(1 + i % 3)
        .setUnitPrice(2.5)
        .setCountry("UK")
        .setEventTime(Instant.parse("2011-01-01T00:00:00Z").plusSeconds(60L * i))
        .build();
  }

  @Test
  void everyRecordOnceInOrderPerKeyAndTheProgressCountReachesTheTotal(TestKafka kafka) {
    kafka.createTopics(Task.CHURN);
    List<ChurnActivity> lines = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      lines.add(line(i));
    }
    List<Long> progress = new CopyOnWriteArrayList<>();
    Topic<String, ? extends SpecificRecord> topic = kafka.topics().events(Task.CHURN);
    EventPublisher.Counts c =
        EventPublisher.publishAll(
            kafka.bootstrapServers(),
            Map.of(),
            topic.name(),
            ChurnActivity.class,
            lines,
            ChurnActivity::getCustomerId,
            progress::add);

    assertThat(c.sent()).isEqualTo(2_000);
    assertThat(c.failed()).isZero();
    assertThat(progress).hasSize(2_000);
    assertThat(progress.get(progress.size() - 1)).isEqualTo(2_000L);
    assertThat(progress).isSorted();

    List<? extends ConsumerRecord<String, ? extends SpecificRecord>> read =
        kafka.readCommitted(topic, 2_000, Duration.ofSeconds(60), Duration.ofSeconds(1));
    assertThat(read).hasSize(2_000);
    // In list order per customer: the invoice numbers of each key ascend.
    Map<String, List<Integer>> invoicesByKey =
        read.stream()
            .collect(
                Collectors.groupingBy(
                    ConsumerRecord::key,
                    Collectors.mapping(
                        r ->
                            Integer.parseInt(
                                ((ChurnActivity) r.value()).getInvoiceId().toString().substring(3)),
                        Collectors.toList())));
    assertThat(invoicesByKey).hasSize(7);
    invoicesByKey.values().forEach(v -> assertThat(v).isSorted());
  }
}
