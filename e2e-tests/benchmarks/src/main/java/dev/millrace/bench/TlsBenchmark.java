package dev.millrace.bench;

import dev.millrace.kafka.BrokerSecurity;
import dev.millrace.kafka.BrokerSettings;
import dev.millrace.kafka.EmbeddedKafkaBroker;
import dev.millrace.kafka.MillraceAcls;
import dev.millrace.kafka.TopicAdmin;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What TLS and SASL cost on the local broker: an idempotent {@code acks=all} producer and a plain
 * consumer move the same records through {@code fraud.raw} (3 partitions) of a PLAINTEXT broker and
 * of a {@code --secure} one (SASL_SSL, SCRAM-SHA-512 as {@code User:cli}, ACLs). Broker and clients
 * share this JVM and the machine's cores, as in {@code millrace demo}.
 */
@Command(
    name = "tls",
    mixinStandardHelpOptions = true,
    description = "Producer and consumer records/s on a PLAINTEXT and a SASL_SSL local broker.")
public final class TlsBenchmark implements Callable<Integer> {

  @Option(names = "--records", defaultValue = "500000", description = "Records per run.")
  int records;

  @Option(names = "--record-bytes", defaultValue = "200", description = "Value size in bytes.")
  int recordBytes;

  @Option(names = "--rounds", defaultValue = "3", description = "Runs per listener (median).")
  int rounds;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private record Result(double produced, double consumed) {}

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Path work = Files.createTempDirectory("millrace-tls-bench");
    Map<String, List<Result>> results = new java.util.LinkedHashMap<>();
    for (String mode : List.of("PLAINTEXT", "SASL_SSL")) {
      results.put(mode, new ArrayList<>());
      for (int round = 0; round < rounds + 1; round++) {
        Result r = run(work.resolve(mode + "-" + round), mode.equals("SASL_SSL"));
        if (round > 0) { // the first run of each warms up the JIT
          results.get(mode).add(r);
        }
        out.printf(
            "%s run %d%s: produce %.0f records/s, consume %.0f records/s%n",
            mode, round, round == 0 ? " (warm-up)" : "", r.produced(), r.consumed());
        out.flush();
      }
    }
    double basePlain = median(results.get("PLAINTEXT"), true);
    double baseConsume = median(results.get("PLAINTEXT"), false);
    out.println();
    out.printf(
        "Machine: %s; %,d records of %d bytes, median of %d runs after a warm-up run%n%n",
        Machine.describe(), records, recordBytes, rounds);
    out.println(
        "| listener | produce records/s | vs PLAINTEXT | consume records/s | vs PLAINTEXT |");
    out.println("|---|---:|---:|---:|---:|");
    for (Map.Entry<String, List<Result>> e : results.entrySet()) {
      double p = median(e.getValue(), true);
      double c = median(e.getValue(), false);
      out.printf(
          "| %s | %,.0f | %+.0f %% | %,.0f | %+.0f %% |%n",
          e.getKey().equals("SASL_SSL") ? "SASL_SSL (SCRAM-SHA-512, TLS, ACLs)" : e.getKey(),
          p,
          100 * (p / basePlain - 1),
          c,
          100 * (c / baseConsume - 1));
    }
    out.flush();
    return 0;
  }

  private Result run(Path dir, boolean secure) throws Exception {
    TopicRegistry topics = TopicRegistry.standard();
    BrokerSettings settings = BrokerSettings.ephemeral(dir.resolve("kafka"));
    if (secure) {
      settings = settings.withSecurity(BrokerSecurity.millrace(dir.resolve("security")));
    }
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(settings)) {
      try (TopicAdmin admin =
          new TopicAdmin(broker.bootstrapServers(), broker.adminClientProperties())) {
        admin.ensure(topics.all(List.of(Task.FRAUD)));
        if (secure) {
          MillraceAcls.apply(
              admin.admin(),
              MillraceAcls.bindings(
                  topics,
                  List.of(Task.FRAUD),
                  new MillraceAcls.Prefixes(
                      "bench-job", "bench-job", "bench-trainer", "bench-validator")));
        }
      }
      Map<String, Object> client =
          new HashMap<>(secure ? broker.clientProperties(MillraceAcls.CLI) : Map.of());
      client.put("bootstrap.servers", broker.bootstrapServers());
      String topic = topics.raw(Task.FRAUD).name();

      byte[][] values = new byte[1024][];
      SplittableRandom random = new SplittableRandom(7);
      for (int i = 0; i < values.length; i++) {
        values[i] = new byte[recordBytes];
        for (int j = 0; j < recordBytes; j++) {
          values[i][j] = (byte) ('a' + random.nextInt(26)); // text-like, as JSON events
        }
      }
      Map<String, Object> p = new HashMap<>(client);
      p.put("acks", "all");
      p.put("enable.idempotence", true);
      p.put("linger.ms", 20);
      p.put("batch.size", 128 * 1024);
      long t0 = System.nanoTime();
      try (KafkaProducer<byte[], byte[]> producer =
          new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
        for (int i = 0; i < records; i++) {
          byte[] key = Integer.toString(i % 5000).getBytes(java.nio.charset.StandardCharsets.UTF_8);
          producer.send(new ProducerRecord<>(topic, key, values[i % values.length]));
        }
        producer.flush();
      }
      double produced = records / ((System.nanoTime() - t0) / 1e9);

      Map<String, Object> c = new HashMap<>(client);
      c.put("max.poll.records", 5000);
      long read = 0;
      long t1 = System.nanoTime();
      try (KafkaConsumer<byte[], byte[]> consumer =
          new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        List<TopicPartition> partitions =
            consumer.partitionsFor(topic).stream()
                .map(i -> new TopicPartition(i.topic(), i.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (read < records && System.nanoTime() < deadline) {
          read += consumer.poll(Duration.ofMillis(200)).count();
        }
      }
      if (read < records) {
        throw new IllegalStateException("read " + read + " of " + records + " records");
      }
      double consumed = records / ((System.nanoTime() - t1) / 1e9);
      return new Result(produced, consumed);
    }
  }

  private static double median(List<Result> results, boolean produce) {
    double[] v =
        results.stream().mapToDouble(r -> produce ? r.produced() : r.consumed()).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
