package dev.millrace.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BrokerSettingsQuorumTest {

  private static final String VOTERS = BrokerSettings.Quorum.voters("127.0.0.1", 3, 19192);

  @Test
  void votersNameEachNodeWithItsControllerPort() {
    assertThat(VOTERS).isEqualTo("1@127.0.0.1:19192,2@127.0.0.1:19193,3@127.0.0.1:19194");
    BrokerSettings.Quorum q = new BrokerSettings.Quorum(2, VOTERS, "cid");
    assertThat(q.size()).isEqualTo(3);
    assertThat(q.controllerPort()).isEqualTo(19193);
  }

  @Test
  void aNodeOfThreeReplicatesThreeTimesAndNeedsTwoInSync() {
    BrokerSettings s =
        new BrokerSettings(
            "127.0.0.1",
            19093,
            19193,
            Path.of("d"),
            Map.of(),
            new BrokerSettings.Quorum(2, VOTERS, "cid"));
    var p = EmbeddedKafkaBroker.brokerProperties(s, Path.of("/d"), 19093, 19193);
    assertThat(p)
        .containsEntry("node.id", "2")
        .containsEntry("controller.quorum.voters", VOTERS)
        .containsEntry("default.replication.factor", "3")
        .containsEntry("min.insync.replicas", "2")
        .containsEntry("transaction.state.log.replication.factor", "3")
        .containsEntry("transaction.state.log.min.isr", "2")
        .containsEntry("offsets.topic.replication.factor", "3");
    var single =
        EmbeddedKafkaBroker.brokerProperties(
            BrokerSettings.ephemeral(Path.of("d")), Path.of("/d"), 1, 2);
    assertThat(single)
        .containsEntry("min.insync.replicas", "1")
        .containsEntry("controller.quorum.voters", "1@127.0.0.1:2");
  }

  @Test
  void aNodeOutsideTheQuorumOrOnAnotherControllerPortIsRefused() {
    assertThatThrownBy(() -> new BrokerSettings.Quorum(4, VOTERS, "cid"))
        .hasMessageContaining("not one of the quorum voters");
    assertThatThrownBy(
            () ->
                new BrokerSettings(
                    "127.0.0.1",
                    1,
                    2,
                    Path.of("d"),
                    Map.of(),
                    new BrokerSettings.Quorum(1, VOTERS, "c")))
        .hasMessageContaining("differs from node 1's entry");
    assertThatThrownBy(() -> new BrokerSettings.Quorum(1, "1@nohost", "c"))
        .hasMessageContaining("is not id@host:port");
  }
}
