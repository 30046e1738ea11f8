package dev.millrace.ops;

import dev.millrace.schemas.Task;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code millrace demo}: the whole local stack on one machine. Today it starts the embedded broker
 * and creates every topic; the fraud pipeline, trainer and generator join it as they land.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run Millrace locally: a real Kafka broker with all topics.",
      "Stops cleanly on Ctrl-C."
    })
public final class DemoCommand implements Callable<Integer> {

  @Mixin BrokerOptions broker;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try (BrokerCommand.LocalKafka kafka = BrokerCommand.LocalKafka.start(broker.settings(), out)) {
      kafka.createTopics(List.of(Task.values()));
      out.println();
      out.println("Millrace is up. Kafka: " + kafka.bootstrapServers());
      out.println("Press Ctrl-C to stop.");
      out.flush();
      kafka.awaitShutdown();
    }
    return 0;
  }
}
