package dev.millrace.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** A one-line description of the machine a benchmark ran on. */
public final class Machine {

  private Machine() {}

  /** CPUs, CPU model, memory, OS and Java, e.g. for a benchmark report. */
  public static String describe() {
    return String.format(
        Locale.ROOT,
        "%d CPUs (%s), %s RAM, %s %s, Java %s (%s)",
        Runtime.getRuntime().availableProcessors(),
        cpuModel(),
        memory(),
        System.getProperty("os.name"),
        System.getProperty("os.arch"),
        Runtime.version(),
        System.getProperty("java.vm.name"));
  }

  static String cpuModel() {
    for (String line : lines("/proc/cpuinfo")) {
      if (line.startsWith("model name")) {
        return line.substring(line.indexOf(':') + 1).trim();
      }
    }
    return "CPU model unknown";
  }

  static String memory() {
    for (String line : lines("/proc/meminfo")) {
      if (line.startsWith("MemTotal:")) {
        String[] parts = line.trim().split("\\s+");
        try {
          return String.format(Locale.ROOT, "%.1f GiB", Long.parseLong(parts[1]) / 1048576.0);
        } catch (NumberFormatException e) {
          break;
        }
      }
    }
    return "unknown";
  }

  private static List<String> lines(String file) {
    try {
      return Files.readAllLines(Path.of(file));
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }
}
