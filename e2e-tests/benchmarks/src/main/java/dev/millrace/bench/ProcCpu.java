package dev.millrace.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time (user + system) of a process, from {@code /proc/<pid>/stat}: all its threads, JIT and GC
 * included.
 */
final class ProcCpu {

  /** Linux reports these fields in clock ticks of 1/100 s (USER_HZ on every common kernel). */
  private static final double TICKS_PER_SECOND = 100.0;

  private ProcCpu() {}

  /** Seconds of CPU used so far by process {@code pid}; NaN where /proc cannot be read. */
  static double seconds(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // the command name (field 2) may hold spaces: fields are counted after its ')'
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
      long utime = Long.parseLong(f[11]);
      long stime = Long.parseLong(f[12]);
      return (utime + stime) / TICKS_PER_SECOND;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /** This JVM's CPU seconds. */
  static double self() {
    return seconds(ProcessHandle.current().pid());
  }
}
