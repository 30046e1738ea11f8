package dev.millrace.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.schemas.RetrainRequest;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.testkit.KafkaExtension;
import dev.millrace.testkit.TestKafka;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The trainer's control topic on a real broker, started the way {@code millrace trainer} starts on
 * a bare broker beside a pipeline that creates the same topic at the same moment: it sees the
 * requests of its own task written after it started, and no other task's.
 */
@ExtendWith(KafkaExtension.class)
class ControlRequestsTest {

  private static RetrainRequest request(Task task, String reason) {
    return RetrainRequest.newBuilder()
        .setTask(task)
        .setReason(reason)
        .setPsi(0.3)
        .setFeature("score")
        .setModelVersion("v1")
        .setRequestedAt(Instant.now())
        .build();
  }

  @Test
  void startsWhileAnotherClientCreatesTheTopicAndSeesItsOwnTasksRequests(TestKafka kafka)
      throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    try (Admin admin = Admin.create(p)) {
      for (int i = 0; i < 8; i++) {
        Topic<String, RetrainRequest> control = TopicRegistry.namespaced("ctl" + i).control();
        // a pipeline creating the topic at the same moment (not waited for)
        admin.createTopics(List.of(new NewTopic(control.name(), 1, (short) 1)));
        try (ControlRequests requests =
            new ControlRequests(kafka.bootstrapServers(), Map.of(), control, Task.CHURN)) {
          requests.start(Duration.ofSeconds(30));
          kafka.send(
              control,
              List.of(
                  new ProducerRecord<>(control.name(), "fraud", request(Task.FRAUD, "fraud's")),
                  new ProducerRecord<>(control.name(), "churn", request(Task.CHURN, "churn's"))));
          List<RetrainRequest> seen = new ArrayList<>();
          long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
          while (seen.isEmpty() && System.nanoTime() < deadline) {
            seen.addAll(requests.poll(Duration.ofMillis(200)));
          }
          assertThat(seen)
              .as("round " + i)
              .extracting(r -> r.getReason())
              .containsExactly("churn's");
        }
      }
    }
  }
}
