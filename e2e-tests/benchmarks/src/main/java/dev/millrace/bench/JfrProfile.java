package dev.millrace.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * A Java Flight Recorder profile of this JVM over one benchmark phase, summarised: CPU samples
 * ({@code jdk.ExecutionSample}, threads running Java code) by thread (Flink names a task thread
 * after its chained operators), by top frame (self time) and by Millrace method on the stack
 * (inclusive), plus native samples inside DJL/PyTorch ({@code jdk.NativeMethodSample}).
 */
final class JfrProfile implements AutoCloseable {

  private final Recording recording;
  private final Path file;

  private JfrProfile(Recording recording, Path file) {
    this.recording = recording;
    this.file = file;
  }

  /** Starts a recording with the JDK's {@code profile} settings (10 ms Java samples). */
  static JfrProfile start(Path file) throws IOException {
    Configuration profile;
    try {
      profile = Configuration.getConfiguration("profile");
    } catch (ParseException e) {
      throw new IOException(e);
    }
    Recording r = new Recording(profile);
    r.setToDisk(true);
    r.setDestination(file);
    r.start();
    return new JfrProfile(r, file);
  }

  /** Stops the recording and summarises it. */
  Summary stop() throws IOException {
    recording.stop();
    recording.close();
    return summarise(file);
  }

  @Override
  public void close() {
    recording.close();
  }

  /** Counts of samples. */
  record Summary(
      Path file,
      long javaSamples,
      long nativeDjlSamples,
      Map<String, Long> byThread,
      Map<String, Long> selfTop,
      Map<String, Long> millraceInclusive,
      Map<String, Long> byComponent) {}

  static Summary summarise(Path file) throws IOException {
    Map<String, Long> threads = new HashMap<>();
    Map<String, Long> self = new HashMap<>();
    Map<String, Long> inclusive = new HashMap<>();
    Map<String, Long> components = new HashMap<>();
    long javaSamples = 0;
    long nativeDjl = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      String type = e.getEventType().getName();
      RecordedStackTrace st = e.getStackTrace();
      if (st == null || st.getFrames().isEmpty()) {
        continue;
      }
      List<RecordedFrame> frames = st.getFrames();
      if (type.equals("jdk.NativeMethodSample")) {
        if (frameName(frames.get(0)).startsWith("ai.djl.")) {
          nativeDjl++;
          threads.merge(threadName(e) + " [native DJL]", 1L, Long::sum);
        }
        continue;
      }
      if (!type.equals("jdk.ExecutionSample")) {
        continue;
      }
      javaSamples++;
      threads.merge(threadName(e), 1L, Long::sum);
      self.merge(frameName(frames.get(0)), 1L, Long::sum);
      components.merge(component(frames), 1L, Long::sum);
      Set<String> seen = new HashSet<>();
      for (RecordedFrame f : frames) {
        String name = frameName(f);
        if (name.startsWith("dev.millrace.") && seen.add(name)) {
          inclusive.merge(name, 1L, Long::sum);
        }
      }
    }
    return new Summary(
        file,
        javaSamples,
        nativeDjl,
        top(threads, 12),
        top(self, 20),
        top(inclusive, 20),
        top(components, 20));
  }

  /** What the sample is doing, by the first frame that names a known area. */
  static String component(List<RecordedFrame> frames) {
    for (RecordedFrame f : frames) {
      String n = frameName(f);
      if (n.startsWith("dev.millrace.pipeline.fraud.CustomerHistory")
          || n.startsWith("dev.millrace.pipeline.fraud.TerminalHistory")) {
        return "feature windows (Customer/TerminalHistory)";
      }
      if (n.startsWith("dev.millrace.pipeline.monitoring.Drift")) {
        return "drift monitor";
      }
      if (n.startsWith("org.apache.avro.") || n.startsWith("org.apache.flink.formats.avro.")) {
        return "Avro (de)serialisation";
      }
      if (n.startsWith("org.apache.flink.api.common.typeutils.")
          || n.startsWith("org.apache.flink.api.java.typeutils.runtime.")
          || n.startsWith("org.apache.flink.core.memory.")) {
        return "Flink type serializers";
      }
      if (n.startsWith("org.apache.kafka.")) {
        return "Kafka clients";
      }
      if (n.startsWith("ai.djl.")) {
        return "DJL (Java side)";
      }
      if (n.startsWith("org.apache.flink.runtime.io.network.")
          || n.startsWith("org.apache.flink.runtime.io.")) {
        return "Flink network stack";
      }
      if (n.startsWith("org.apache.flink.runtime.state.")
          || n.startsWith("org.apache.flink.runtime.checkpoint.")
          || n.startsWith("org.apache.flink.streaming.api.operators.InternalTimer")) {
        return "Flink state, timers, checkpoints";
      }
    }
    String top = frameName(frames.get(0));
    if (top.startsWith("dev.millrace.")) {
      return "Millrace operators (other)";
    }
    if (top.startsWith("org.apache.flink.")) {
      return "Flink runtime (other)";
    }
    if (top.startsWith("java.") || top.startsWith("jdk.") || top.startsWith("sun.")) {
      return "JDK (other: collections, strings, time, I/O)";
    }
    return "other";
  }

  private static String threadName(RecordedEvent e) {
    var t = e.getThread("sampledThread");
    if (t == null) {
      return "?";
    }
    String name = t.getJavaName() == null ? t.getOSName() : t.getJavaName();
    // "Score records -> ... (1/1)#0": drop attempt and subtask numbers to merge restarts
    return name.replaceAll(" \\(\\d+/\\d+\\)#\\d+$", "").replaceAll("-\\d+$", "-N");
  }

  private static String frameName(RecordedFrame f) {
    if (f.getMethod() == null) {
      return "?";
    }
    return f.getMethod().getType().getName() + "." + f.getMethod().getName();
  }

  private static Map<String, Long> top(Map<String, Long> counts, int n) {
    List<Map.Entry<String, Long>> entries = new ArrayList<>(counts.entrySet());
    entries.sort(Map.Entry.<String, Long>comparingByValue().reversed());
    return entries.stream()
        .limit(n)
        .collect(
            Collectors.toMap(
                Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new));
  }
}
