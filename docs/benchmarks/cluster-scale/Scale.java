import java.nio.file.*;
import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Tails fraud.scores (read_committed) from its end until n new scores, with the CPU time of the
 * given pids (JobManager, TaskManagers, brokers) from the start to the last score; see scale.sh.
 */
public class Scale {
  static double cpu(List<Long> pids) throws Exception {
    double s = 0;
    for (long pid : pids) {
      String st = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
      s += (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime (fields 14, 15)
    }
    return s;
  }
  public static void main(String[] a) throws Exception {
    String bootstrap = a[0]; long n = Long.parseLong(a[1]); Path ready = Path.of(a[2]);
    List<Long> pids = new ArrayList<>();
    for (int i = 3; i < a.length; i++) pids.add(Long.parseLong(a[i]));
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("isolation.level", "read_committed");
    p.put("enable.auto.commit", "false");
    var topic = dev.millrace.schemas.TopicRegistry.standard().scores(dev.millrace.schemas.Task.FRAUD);
    try (KafkaConsumer<String, dev.millrace.schemas.ScoreRecord> c = new KafkaConsumer<>(p, topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      c.partitionsFor("fraud.scores").forEach(i -> parts.add(new TopicPartition(i.topic(), i.partition())));
      c.assign(parts);
      c.seekToEnd(parts);
      parts.forEach(c::position);
      double cpu0 = cpu(pids);
      Files.writeString(ready, "ready");
      long count = 0, lastProgress = System.nanoTime(), t0 = System.nanoTime();
      List<Long> times = new ArrayList<>();
      int fallback = 0;
      while (count < n && System.nanoTime() - lastProgress < 120_000_000_000L) {
        for (var r : c.poll(Duration.ofMillis(200))) {
          count++;
          lastProgress = System.nanoTime();
          times.add(r.value().getScoringTime().toEpochMilli());
          if (r.value().getFallbackReason() != null) fallback++;
        }
      }
      double cpus = cpu(pids) - cpu0, wall = (System.nanoTime() - t0) / 1e9;
      Collections.sort(times);
      // From the 10 % mark (job start, model load and JIT warm-up before it) to the last score, by
      // the scoring times the records carry, so that exactly-once commit batching does not count.
      int from = times.size() / 10;
      double secs = (times.get(times.size() - 1) - times.get(from)) / 1000.0;
      int timed = times.size() - 1 - from;
      System.out.printf(Locale.ROOT,
          "scores %d of %d (%d by the fallback); %d scores in %.1f s of scoring time = %.0f events/s;"
              + " from submit to the last score %.1f s, CPU %.1f s (JobManager, TaskManagers, brokers)"
              + " = %.0f events per core-second%n",
          count, n, fallback, timed, secs, timed / secs, wall, cpus, count / cpus);
    }
  }
}
