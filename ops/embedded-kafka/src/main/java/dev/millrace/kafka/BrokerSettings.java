package dev.millrace.kafka;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of an embedded single-node KRaft broker, parsed once from flags, environment or a file.
 *
 * @param host the address to listen on and advertise (loopback by default)
 * @param port the client port; 0 picks a free one
 * @param controllerPort the KRaft controller port; 0 picks a free one
 * @param dataDir where logs and metadata live; reused across restarts
 * @param overrides extra broker properties, applied last
 */
public record BrokerSettings(
    String host, int port, int controllerPort, Path dataDir, Map<String, String> overrides) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 9092;

  public BrokerSettings {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(dataDir, "dataDir");
    checkPort("port", port);
    checkPort("controller port", controllerPort);
    overrides = Map.copyOf(overrides);
  }

  /** A broker on free loopback ports, for tests. */
  public static BrokerSettings ephemeral(Path dataDir) {
    return new BrokerSettings(DEFAULT_HOST, 0, 0, dataDir, Map.of());
  }

  private static void checkPort(String what, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(what + " must be between 0 and 65535, got " + port);
    }
  }
}
