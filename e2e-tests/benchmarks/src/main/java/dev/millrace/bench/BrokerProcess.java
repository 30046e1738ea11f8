package dev.millrace.bench;

import dev.millrace.kafka.BrokerSettings;
import dev.millrace.kafka.EmbeddedKafkaBroker;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark's Kafka broker in a JVM of its own, so that its CPU time can be read apart from the
 * job's. {@link #main} runs in the child: it starts the embedded KRaft broker, prints {@code
 * BOOTSTRAP host:port} and stops when its standard input closes.
 */
final class BrokerProcess implements AutoCloseable {

  private static final String READY = "BOOTSTRAP ";

  private final Process process;
  private final String bootstrapServers;

  private BrokerProcess(Process process, String bootstrapServers) {
    this.process = process;
    this.bootstrapServers = bootstrapServers;
  }

  /** Child entry point: {@code BrokerProcess <data dir> <port>}. */
  public static void main(String[] args) throws IOException {
    BrokerSettings settings =
        new BrokerSettings(
            BrokerSettings.DEFAULT_HOST, Integer.parseInt(args[1]), 0, Path.of(args[0]), Map.of());
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(settings)) {
      System.out.println(READY + broker.bootstrapServers());
      System.out.flush();
      while (System.in.read() >= 0) {
        // wait for the parent to close our stdin (or die)
      }
    }
    System.exit(0);
  }

  /** Starts a broker JVM on {@code port} (0: a free one) with its data in {@code dataDir}. */
  static BrokerProcess start(Path dataDir, int port, String heap, Path log) throws IOException {
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    cmd.add("-Xms" + heap);
    cmd.add("-Xmx" + heap);
    cmd.add("-cp");
    cmd.add(classPath());
    cmd.add(BrokerProcess.class.getName());
    cmd.add(dataDir.toString());
    cmd.add(Integer.toString(port));
    Process p =
        new ProcessBuilder(cmd)
            .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null) {
      if (line.startsWith(READY)) {
        String bootstrap = line.substring(READY.length()).trim();
        Thread drain =
            new Thread(
                () -> {
                  try {
                    while (out.readLine() != null) {
                      // discard
                    }
                  } catch (IOException ignored) {
                    // the broker is gone
                  }
                },
                "broker-stdout");
        drain.setDaemon(true);
        drain.start();
        return new BrokerProcess(p, bootstrap);
      }
    }
    p.destroyForcibly();
    throw new IOException("the broker JVM exited before it was ready; see " + log);
  }

  String bootstrapServers() {
    return bootstrapServers;
  }

  long pid() {
    return process.pid();
  }

  /** CPU seconds the broker JVM has used so far. */
  double cpuSeconds() {
    return ProcCpu.seconds(process.pid());
  }

  @Override
  public void close() {
    try {
      process.getOutputStream().close();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
    } catch (IOException | InterruptedException e) {
      process.destroyForcibly();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * This program's class path: exec:java runs it in a class loader of its own (the JVM's {@code
   * java.class.path} is then Maven's), java -cp in the application class loader.
   */
  static String classPath() {
    List<String> entries = new ArrayList<>();
    for (ClassLoader cl = BrokerProcess.class.getClassLoader(); cl != null; cl = cl.getParent()) {
      if (cl instanceof URLClassLoader u) {
        for (URL url : u.getURLs()) {
          try {
            entries.add(Paths.get(url.toURI()).toString());
          } catch (URISyntaxException | RuntimeException e) {
            // not a file
          }
        }
        if (!entries.isEmpty()) {
          return String.join(File.pathSeparator, entries);
        }
      }
    }
    return System.getProperty("java.class.path");
  }
}
