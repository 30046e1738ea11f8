package dev.millrace.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TopicRegistryTest {

  @Test
  void namesFollowTheDesign() {
    TopicRegistry topics = TopicRegistry.standard();

    assertThat(topics.forTask(Task.FRAUD))
        .extracting(Topic::name)
        .containsExactly(
            "fraud.raw",
            "fraud.events",
            "fraud.labels",
            "fraud.scores",
            "fraud.training",
            "fraud.dlq",
            "fraud.quality");
    assertThat(topics.models().name()).isEqualTo("millrace.models");
    assertThat(topics.models().cleanupPolicy()).isEqualTo("compact");
    assertThat(topics.control().name()).isEqualTo("millrace.control");
    assertThat(topics.events(Task.CHURN).cleanupPolicy()).isEqualTo("delete");
    assertThat(topics.all(List.of(Task.values()))).hasSize(3 * 7 + 2);
  }

  @Test
  void namespacesPrefixEveryName() {
    TopicRegistry topics = TopicRegistry.namespaced("staging");

    assertThat(topics.scores(Task.DEMAND).name()).isEqualTo("staging.demand.scores");
    assertThat(topics.models().name()).isEqualTo("staging.millrace.models");
  }

  @Test
  void unknownTaskAndBadNamespaceSayWhatIsExpected() {
    assertThatThrownBy(() -> TopicRegistry.task("frod"))
        .hasMessage("unknown task 'frod': expected one of fraud, churn, demand");
    assertThatThrownBy(() -> TopicRegistry.namespaced("a b"))
        .hasMessageContaining("may only hold letters");
    assertThat(TopicRegistry.tasks("ALL")).containsExactly(Task.values());
    assertThat(TopicRegistry.tasks("Churn")).containsExactly(Task.CHURN);
  }
}
