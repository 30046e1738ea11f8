package dev.millrace.ops.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.pipeline.AvroParser;
import dev.millrace.pipeline.ParsedRecords;
import dev.millrace.pipeline.RawRecord;
import dev.millrace.pipeline.fraud.FraudFeatures;
import dev.millrace.pipeline.fraud.FraudPipeline;
import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.schemas.AvroSerde;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.fraud.FraudTransaction;
import dev.millrace.scorer.flink.Scoring;
import dev.millrace.scorer.flink.ScoringSettings;
import dev.millrace.scorer.model.DjlModelLoader;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.Test;

/**
 * Flink's Prometheus reporter as {@link LocalFlink} configures it: a MiniCluster job with the real
 * parse and scoring operators serves their metrics on the configured port.
 */
class LocalFlinkMetricsTest {

  /** Metrics that must show up with a value above zero. */
  private static final List<String> NON_ZERO =
      List.of(
          "flink_taskmanager_job_task_operator_deserializer_accepted",
          "flink_taskmanager_job_task_operator_deserializer_deadLetters",
          "flink_taskmanager_job_task_operator_deserializer_reason_deadLetters",
          "flink_taskmanager_job_task_operator_deserializer_ingestLagMs_count",
          "flink_taskmanager_job_task_operator_scored",
          "flink_taskmanager_job_task_operator_fallbackScored",
          "flink_taskmanager_job_task_operator_modelsRefused",
          "flink_taskmanager_job_task_operator_batchSize_count");

  @Test
  void theJobsOperatorMetricsAreScrapeable() throws Exception {
    int port = freePort();
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.createLocalEnvironment(1, LocalFlink.configuration(port));
    FraudPipelineSettings settings = FraudPipelineSettings.builder(null).parallelism(1).build();
    DataStream<FeatureVector> vectors =
        env.fromSource(
                new DataGeneratorSource<>(
                    new ParsedTransactions(FraudPipeline.eventParser(settings)),
                    Long.MAX_VALUE,
                    ParsedRecords.type(FraudTransaction.class)),
                WatermarkStrategy.noWatermarks(),
                "Decode + validate transactions")
            .uid(FraudPipeline.UID_EVENTS_SOURCE)
            .process(ParsedRecords.split(FraudTransaction.class, FraudPipeline.EVENT_DEAD_LETTERS))
            .uid(FraudPipeline.UID_PARSE_EVENTS)
            .name("Valid transactions")
            .map(new ToVector())
            .name("vectors");
    DataStream<ModelAnnouncement> models =
        env.fromData(List.of(missingModel()), new AvroTypeInfo<>(ModelAnnouncement.class));
    Scoring.score(
            vectors,
            models,
            ScoringSettings.defaults(Task.FRAUD),
            new DjlModelLoader(),
            FraudFeatures.SCHEMA)
        .sinkTo(new DiscardingSink<>())
        .name("discard");
    JobClient job = env.executeAsync("metrics-test");
    try {
      String body = scrapeUntil(port, Duration.ofSeconds(90));
      for (String name : NON_ZERO) {
        assertThat(maxValue(body, name)).as(name + " in\n" + excerpt(body)).isGreaterThan(0);
      }
      assertThat(body).contains("reason=\"" + AvroParser.UNDECODABLE + "\"");
      // No model loads here (its artifact is missing), so only the fallback scores: the model's
      // latency histogram and version gauge are present, with nothing measured yet.
      assertThat(maxValue(body, "flink_taskmanager_job_task_operator_scoringLatencyMs_count"))
          .isZero();
      assertThat(maxValue(body, "flink_taskmanager_job_task_operator_modelVersionNumber")).isZero();
    } finally {
      job.cancel().get();
    }
  }

  /** Scrapes until every expected metric is above zero, or the time is up (last body returned). */
  private static String scrapeUntil(int port, Duration timeout) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest get =
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics")).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    String body = "";
    while (System.nanoTime() < deadline) {
      try {
        body = http.send(get, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).body();
      } catch (IOException notYetListening) {
        body = "";
      }
      String b = body;
      if (NON_ZERO.stream().allMatch(n -> maxValue(b, n) > 0)) {
        return body;
      }
      Thread.sleep(200); // polling an HTTP endpoint: there is nothing to wait on
    }
    return body;
  }

  /** The largest sample value of a metric (any labels), or -1 when absent. */
  static double maxValue(String body, String name) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? (\\S+)$").matcher(body);
    double max = -1;
    while (m.find()) {
      try {
        max = Math.max(max, Double.parseDouble(m.group(2)));
      } catch (NumberFormatException nan) {
        // NaN
      }
    }
    return max;
  }

  private static String excerpt(String body) {
    List<String> lines = new ArrayList<>();
    for (String line : body.split("\n")) {
      if (line.startsWith("flink_taskmanager_job_task_operator") && lines.size() < 60) {
        lines.add(line);
      }
    }
    return String.join("\n", lines);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static ModelAnnouncement missingModel() {
    return ModelAnnouncement.newBuilder()
        .setTask(Task.FRAUD)
        .setVersion("fraud-missing-1")
        .setArtifactUri("file:///nonexistent/millrace/model.zip")
        .setSha256("00")
        .setFeatureSchemaFingerprint(FraudFeatures.FINGERPRINT)
        .setMetrics(Map.of())
        .setStatus(ModelStatus.CHAMPION)
        .setAnnouncedAt(Instant.parse("2018-04-01T00:00:00Z"))
        .build();
  }

  /**
   * Decodes and validates in the source with the job's parser, its metrics in the group that
   * Kafka's source gives its deserializer ({@code deserializer}). Every tenth record is poison; the
   * rest are valid transactions stamped with "send" time.
   */
  static final class ParsedTransactions
      implements GeneratorFunction<Long, Either<FraudTransaction, DeadLetter>> {
    private static final long serialVersionUID = 1L;
    private final AvroParser<FraudTransaction> parser;
    private transient AvroSerde<FraudTransaction> serde;

    ParsedTransactions(AvroParser<FraudTransaction> parser) {
      this.parser = parser;
    }

    @Override
    public void open(SourceReaderContext readerContext) {
      parser.open(readerContext.metricGroup().addGroup("deserializer"));
      serde = AvroSerde.of(FraudTransaction.class);
    }

    @Override
    public Either<FraudTransaction, DeadLetter> map(Long i) {
      byte[] value =
          i % 10 == 0
              ? new byte[] {1, 2, 3}
              : serde.encode(
                  FraudTransaction.newBuilder()
                      .setTransactionId(i)
                      .setEventTime(Instant.parse("2018-04-01T00:00:00Z").plusSeconds(i))
                      .setCustomerId("C" + (i % 7))
                      .setTerminalId("T" + (i % 5))
                      .setAmount(10 + i % 100)
                      .build());
      return parser.parse(
          new RawRecord("fraud.events", 0, i, System.currentTimeMillis() - 5, null, value));
    }
  }

  /** A zero feature vector for each transaction (the features are not what this test is about). */
  static final class ToVector implements MapFunction<FraudTransaction, FeatureVector> {
    private static final long serialVersionUID = 1L;

    @Override
    public FeatureVector map(FraudTransaction tx) {
      List<Float> features = new ArrayList<>();
      for (int i = 0; i < FraudFeatures.SCHEMA.size(); i++) {
        features.add(0f);
      }
      return FeatureVector.newBuilder()
          .setTask(Task.FRAUD)
          .setEventId(Long.toString(tx.getTransactionId()))
          .setEntityId(tx.getCustomerId())
          .setEventTime(tx.getEventTime())
          .setFeatureSchemaFingerprint(FraudFeatures.FINGERPRINT)
          .setFeatures(features)
          .build();
    }
  }
}
