package dev.millrace.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.kafka.BrokerSecurity;
import dev.millrace.kafka.BrokerSettings;
import dev.millrace.kafka.MillraceAcls;
import dev.millrace.schemas.Task;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The commands against a broker started as {@code millrace broker --secure --create-topics fraud}
 * starts it ({@link BrokerCommand.LocalKafka} with {@link BrokerSecurity#millrace}, topics, ACLs):
 * with the {@code --kafka-config} file the broker wrote they work, without it they are refused.
 */
class SecureCommandsTest {

  @TempDir static Path dir;

  private static BrokerCommand.LocalKafka kafka;
  private static BrokerSecurity security;
  private static final StringWriter CONSOLE = new StringWriter();

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeAll
  static void startSecuredBroker() {
    security = BrokerSecurity.millrace(dir.resolve("kafka-security"));
    PrintWriter console = new PrintWriter(CONSOLE, true);
    kafka =
        BrokerCommand.LocalKafka.start(
            BrokerSettings.ephemeral(dir.resolve("kafka")).withSecurity(security), console);
    kafka.createTopics(List.of(Task.FRAUD));
    kafka.grantAcls(List.of(Task.values()));
  }

  @AfterAll
  static void stop() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @BeforeEach
  void clear() {
    out.getBuffer().setLength(0);
    err.getBuffer().setLength(0);
  }

  private int run(String... args) {
    CommandLine cli = Millrace.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  private static String config(String user) {
    return security.clientConfig(user).toString();
  }

  @Test
  void theBrokerSaysWhereTheClientFilesAreAndHowManyAclsItMade() {
    assertThat(CONSOLE.toString())
        .contains("(SASL_SSL, SCRAM-SHA-512, ACLs)")
        .contains("Client configuration of User:cli: --kafka-config " + config("cli"))
        .contains("Client configuration of User:trainer: --kafka-config " + config("trainer"))
        .contains("ACLs ready: 90 bindings for User:job, User:trainer, User:cli, User:validator");
  }

  @Test
  void topicsListNeedsTheClientFile() {
    assertThat(
            run("topics", "list", "-b", kafka.bootstrapServers(), "--kafka-config", config("cli")))
        .as(err.toString())
        .isZero();
    assertThat(out.toString().lines()).contains("fraud.events", "fraud.scores", "millrace.models");

    out.getBuffer().setLength(0);
    assertThat(run("topics", "list", "-b", kafka.bootstrapServers())).isEqualTo(1);
    assertThat(err.toString()).startsWith("millrace: cannot reach Kafka at").hasLineCount(1);
  }

  @Test
  void generatePublishesAsTheCliUser() {
    assertThat(
            run(
                "generate",
                "fraud",
                "--count",
                "50",
                "--rate",
                "max",
                "--no-progress",
                "-b",
                kafka.bootstrapServers(),
                "--kafka-config",
                config(MillraceAcls.CLI)))
        .as(err.toString())
        .isZero();
    assertThat(out.toString()).contains("Generated 50 events to fraud.events");
  }

  @Test
  void theTrainersFileMayNotPublishTransactions() {
    // User:trainer may not even see fraud.events: the command's topic check is refused.
    assertThat(
            run(
                "generate",
                "fraud",
                "--count",
                "5",
                "--rate",
                "max",
                "--no-progress",
                "-b",
                kafka.bootstrapServers(),
                "--kafka-config",
                config(MillraceAcls.TRAINER)))
        .isEqualTo(1);
    assertThat(err.toString())
        .startsWith("millrace: Kafka at " + kafka.bootstrapServers() + " refused to create")
        .hasLineCount(1);
  }

  @Test
  void anUnreadableKafkaConfigIsOneLine() {
    assertThat(run("topics", "list", "--kafka-config", dir.resolve("nope.properties").toString()))
        .isEqualTo(1);
    assertThat(err.toString())
        .startsWith("millrace: --kafka-config: cannot read")
        .contains("nope.properties")
        .hasLineCount(1);
  }

  @Test
  void aSecurityDirNeedsSecure() {
    assertThat(run("broker", "--security-dir", dir.toString())).isEqualTo(1);
    assertThat(err.toString()).isEqualTo("millrace: --security-dir needs --secure\n");
  }

  @Test
  void theAclPrefixesAreTheJobsAndTrainersDefaults() {
    MillraceAcls.Prefixes p = BrokerCommand.aclPrefixes();
    assertThat(p.jobGroups()).isEqualTo("millrace-fraud-pipeline");
    assertThat(p.jobTransactionalIds()).isEqualTo("millrace-fraud");
    assertThat(p.validatorApplicationId()).isEqualTo("millrace-fraud-validator");
    assertThat(
            dev.millrace.trainer.TrainerSettings.defaults(
                    "x",
                    dev.millrace.schemas.TopicRegistry.standard(),
                    Task.FRAUD,
                    dev.millrace.pipeline.fraud.FraudFeatures.SCHEMA,
                    java.net.URI.create("file:///tmp/models"))
                .consumerGroup())
        .startsWith(p.trainerGroups());
  }
}
