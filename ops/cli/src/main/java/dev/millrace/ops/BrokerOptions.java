package dev.millrace.ops;

import dev.millrace.kafka.BrokerSettings;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** Flags of the embedded broker, shared by {@code broker} and {@code demo}. */
public final class BrokerOptions {

  @Option(
      names = "--port",
      defaultValue = "${env:MILLRACE_KAFKA_PORT:-9092}",
      description =
          "Client port of the broker (env MILLRACE_KAFKA_PORT; default ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--controller-port",
      defaultValue = "${env:MILLRACE_KAFKA_CONTROLLER_PORT:-0}",
      description = "KRaft controller port; 0 picks a free one (default ${DEFAULT-VALUE}).")
  int controllerPort;

  @Option(
      names = "--host",
      defaultValue = "${env:MILLRACE_KAFKA_HOST:-127.0.0.1}",
      description = "Address to listen on and advertise (default ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--data-dir",
      defaultValue = "${env:MILLRACE_KAFKA_DATA_DIR:-.millrace/kafka}",
      description =
          "Broker data directory, kept across restarts (env MILLRACE_KAFKA_DATA_DIR; default"
              + " ${DEFAULT-VALUE}).")
  Path dataDir;

  BrokerSettings settings() {
    return new BrokerSettings(host, port, controllerPort, dataDir, Map.of());
  }
}
