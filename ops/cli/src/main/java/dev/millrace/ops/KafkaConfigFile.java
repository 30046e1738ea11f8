package dev.millrace.ops;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * A {@code --kafka-config} file: Kafka client properties ({@code security.protocol}, {@code
 * sasl.*}, {@code ssl.*}) that every Kafka client of a command gets, below its own settings.
 */
final class KafkaConfigFile {

  private KafkaConfigFile() {}

  /** The file's properties; empty for a null or blank name. */
  static Map<String, String> load(String file) {
    if (file == null || file.isBlank()) {
      return Map.of();
    }
    Path path = Path.of(file.trim());
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(path)) {
      p.load(in);
    } catch (IOException e) {
      throw new UserError(
          "--kafka-config: cannot read "
              + path
              + " ("
              + e.getClass().getSimpleName()
              + "): name a Kafka client properties file");
    }
    Map<String, String> m = new TreeMap<>();
    p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
    return Map.copyOf(m);
  }
}
