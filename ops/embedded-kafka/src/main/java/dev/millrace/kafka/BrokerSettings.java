package dev.millrace.kafka;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of an embedded KRaft broker (combined broker and controller), parsed once from flags,
 * environment or a file. Alone by default; with a {@link Quorum} one node of a multi-node cluster.
 *
 * @param host the address to listen on and advertise (loopback by default)
 * @param port the client port; 0 picks a free one
 * @param controllerPort the KRaft controller port; 0 picks a free one
 * @param dataDir where logs and metadata live; reused across restarts
 * @param overrides extra broker properties, applied last
 * @param quorum this node's place in a multi-node cluster; null for a single node
 * @param security the secured listener (SASL_SSL, SCRAM users, ACLs); null for a PLAINTEXT one
 */
public record BrokerSettings(
    String host,
    int port,
    int controllerPort,
    Path dataDir,
    Map<String, String> overrides,
    Quorum quorum,
    BrokerSecurity security) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 9092;

  public BrokerSettings {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(dataDir, "dataDir");
    checkPort("port", port);
    checkPort("controller port", controllerPort);
    overrides = Map.copyOf(overrides);
    if (quorum != null && controllerPort != quorum.controllerPort()) {
      throw new IllegalArgumentException(
          "controller port "
              + controllerPort
              + " differs from node "
              + quorum.nodeId()
              + "'s entry in the quorum "
              + quorum.voters());
    }
    if (quorum != null && security != null) {
      throw new IllegalArgumentException(
          "a secured listener is only supported on a single node, not with a quorum");
    }
  }

  /** A node of a quorum (or a single node when {@code quorum} is null) on a PLAINTEXT listener. */
  public BrokerSettings(
      String host,
      int port,
      int controllerPort,
      Path dataDir,
      Map<String, String> overrides,
      Quorum quorum) {
    this(host, port, controllerPort, dataDir, overrides, quorum, null);
  }

  /** A single-node broker. */
  public BrokerSettings(
      String host, int port, int controllerPort, Path dataDir, Map<String, String> overrides) {
    this(host, port, controllerPort, dataDir, overrides, null, null);
  }

  /** The same broker with a secured listener ({@link BrokerSecurity}). */
  public BrokerSettings withSecurity(BrokerSecurity newSecurity) {
    return new BrokerSettings(host, port, controllerPort, dataDir, overrides, quorum, newSecurity);
  }

  /** The KRaft node id: the quorum's, else 1. */
  public int nodeId() {
    return quorum == null ? 1 : quorum.nodeId();
  }

  /** How many replicas internal and default topics get: one per quorum node (1 alone). */
  public int replication() {
    return quorum == null ? 1 : quorum.size();
  }

  /**
   * One node of a static KRaft quorum of combined broker+controller nodes.
   *
   * @param nodeId this node's id, one of the voters
   * @param voters {@code controller.quorum.voters}: {@code id@host:port,...}
   * @param clusterId the cluster id every node is formatted with (a base64 UUID)
   */
  public record Quorum(int nodeId, String voters, String clusterId) {
    public Quorum {
      Objects.requireNonNull(voters, "voters");
      Objects.requireNonNull(clusterId, "clusterId");
      Map<Integer, Integer> ports = ports(voters);
      if (!ports.containsKey(nodeId)) {
        throw new IllegalArgumentException(
            "node " + nodeId + " is not one of the quorum voters " + voters);
      }
    }

    /** Number of voters. */
    public int size() {
      return ports(voters).size();
    }

    /** This node's controller port, as the voters list says. */
    public int controllerPort() {
      return ports(voters).get(nodeId);
    }

    /**
     * {@code id@host:port,...} for nodes 1..n on {@code host}, controller ports from {@code base}.
     */
    public static String voters(String host, int nodes, int basePort) {
      StringBuilder b = new StringBuilder();
      for (int id = 1; id <= nodes; id++) {
        b.append(id == 1 ? "" : ",").append(id).append('@').append(host).append(':');
        b.append(basePort + id - 1);
      }
      return b.toString();
    }

    private static Map<Integer, Integer> ports(String voters) {
      Map<Integer, Integer> ports = new java.util.LinkedHashMap<>();
      for (String voter : voters.split(",")) {
        String v = voter.trim();
        int at = v.indexOf('@');
        int colon = v.lastIndexOf(':');
        if (at <= 0 || colon < at) {
          throw new IllegalArgumentException(
              "quorum voter '" + v + "' is not id@host:port (in " + voters + ")");
        }
        try {
          ports.put(Integer.parseInt(v.substring(0, at)), Integer.parseInt(v.substring(colon + 1)));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              "quorum voter '" + v + "' is not id@host:port (in " + voters + ")");
        }
      }
      return ports;
    }
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
