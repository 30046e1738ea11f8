package dev.millrace.pipeline.fraud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.millrace.ingest.fraud.FraudValidation;
import dev.millrace.pipeline.AvroParser;
import dev.millrace.pipeline.DeadLetters;
import dev.millrace.pipeline.RawRecord;
import dev.millrace.pipeline.testing.CollectingSink;
import dev.millrace.pipeline.testing.ListSource;
import dev.millrace.pipeline.testing.ParsedListSource;
import dev.millrace.schemas.AvroSerde;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.schemas.fraud.FraudLabel;
import dev.millrace.schemas.fraud.FraudTransaction;
import dev.millrace.scorer.BatchModel;
import dev.millrace.scorer.FeatureSchema;
import dev.millrace.scorer.ModelLoader;
import dev.millrace.scorer.ModelRefusedException;
import dev.millrace.scorer.model.DjlModelLoader;
import dev.millrace.testkit.FlinkTestCluster;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole fraud job on a MiniCluster (generic types disabled) with bounded sources holding the
 * fixture plus poison records, and collecting sinks.
 */
class FraudPipelineJobTest {

  @RegisterExtension static final MiniClusterExtension FLINK = FlinkTestCluster.extension();

  private static final byte[] GARBAGE = "not avro at all".getBytes(StandardCharsets.UTF_8);

  @Test
  void scoresEveryValidEventDeadLettersPoisonAndEmitsMaturedTrainingExamples() throws Exception {
    AvroSerde<FraudTransaction> txSerde = AvroSerde.of(FraudTransaction.class);
    AvroSerde<FraudLabel> labelSerde = AvroSerde.of(FraudLabel.class);

    List<RawRecord> events = new ArrayList<>();
    for (FraudTransaction tx : FraudFixture.transactions()) {
      events.add(RawRecord.of("fraud.events", key(tx.getCustomerId()), txSerde.encode(tx)));
      if (tx.getTransactionId() == 5) { // poison in the middle of the stream
        events.add(new RawRecord("fraud.events", 2, 41, -1, key("C9"), GARBAGE));
        events.add(new RawRecord("fraud.events", 2, 42, -1, key("C9"), null));
        FraudTransaction negative = FraudFixture.tx(100, 133, "C1", "T1", -5);
        events.add(new RawRecord("fraud.events", 2, 43, -1, key("C1"), txSerde.encode(negative)));
      }
    }
    List<RawRecord> labels = new ArrayList<>();
    for (FraudLabel l : FraudFixture.labels()) {
      labels.add(RawRecord.of("fraud.labels", key(l.getCustomerId()), labelSerde.encode(l)));
    }
    labels.add(1, RawRecord.of("fraud.labels", null, GARBAGE));
    FraudLabel impossible = FraudFixture.label(FraudFixture.TX2, 19, true); // before the payment
    labels.add(RawRecord.of("fraud.labels", null, labelSerde.encode(impossible)));

    // A model whose artifact does not exist: refused, the fallback keeps serving.
    ModelAnnouncement missing =
        ModelAnnouncement.newBuilder()
            .setTask(Task.FRAUD)
            .setVersion("v-missing")
            .setArtifactUri("file:///nonexistent/millrace/model.zip")
            .setSha256("00")
            .setFeatureSchemaFingerprint(FraudFeatures.FINGERPRINT)
            .setMetrics(Map.of())
            .setStatus(ModelStatus.CHAMPION)
            .setAnnouncedAt(Instant.parse("2018-04-01T00:00:00Z"))
            .build();
    // Then a model that loads (AmountModelLoader): score = amount / 1000.
    ModelAnnouncement amount =
        ModelAnnouncement.newBuilder(missing)
            .setVersion(AmountModelLoader.VERSION)
            .setArtifactUri(AmountModelLoader.URI)
            .build();

    CollectingSink<ScoreRecord> scores = new CollectingSink<>();
    CollectingSink<TrainingExample> training = new CollectingSink<>();
    CollectingSink<DeadLetter> deadLetters = new CollectingSink<>();
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.getExecutionEnvironment(FlinkTestCluster.configuration());
    // The fixture has gaps of up to 16 days between consecutive transactions: a wider stream bound.
    FraudPipelineSettings settings =
        FraudPipelineSettings.builder(null)
            .parallelism(1)
            .maxAheadOfStream(FraudFixture.MAX_GAP)
            // Transactions wait for event time to reach their delayed terminal windows (as in a
            // backtest): the fixture's hand-computed features must come out the same with it, and
            // the model, announced as the job starts, is applied before the first one is scored.
            .terminalOrder(true)
            .build();
    FraudPipeline.build(
        env,
        ParsedListSource.of(events, FraudPipeline.eventParser(settings)),
        ParsedListSource.of(labels, FraudPipeline.labelParser(settings)),
        ListSource.of(List.of(missing, amount), new AvroTypeInfo<>(ModelAnnouncement.class)),
        scores,
        training,
        deadLetters,
        new AmountModelLoader(),
        settings);
    env.execute("fraud-pipeline-test");

    // Every accepted event has exactly one score; events in = scores + dead letters.
    List<ScoreRecord> scored = scores.values();
    assertThat(scored)
        .extracting(ScoreRecord::getEventId)
        .containsExactlyInAnyOrderElementsOf(ids(1, 13));
    // A model's score is amount / 1000, worked out here from the fixture; a score made before the
    // model arrived is the fallback 0.0 and says why.
    Map<String, Double> amounts = new java.util.HashMap<>();
    FraudFixture.transactions()
        .forEach(tx -> amounts.put(Long.toString(tx.getTransactionId()), tx.getAmount()));
    for (ScoreRecord s : scored) {
      if (s.getModelVersion().equals(AmountModelLoader.VERSION)) {
        assertThat(s.getPrediction())
            .as("tx%s", s.getEventId())
            .isEqualTo((double) ((float) (double) amounts.get(s.getEventId()) / 1000f));
        assertThat(s.getFallbackReason()).isNull();
      } else {
        assertThat(s.getModelVersion()).isEqualTo("fallback");
        assertThat(s.getPrediction()).isZero();
        assertThat(s.getFallbackReason()).isIn("NO_MODEL", "MODEL_UNAVAILABLE");
      }
    }
    assertThat(scored)
        .as("scores by the model (it is announced as the job starts)")
        .filteredOn(s -> s.getModelVersion().equals(AmountModelLoader.VERSION))
        .isNotEmpty();
    assertThat(scored)
        .filteredOn(s -> s.getEventId().equals("8"))
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getEntityId()).isEqualTo("C2");
              assertThat(s.getEventTime()).isEqualTo(FraudFixture.TX8.getEventTime());
            });

    List<DeadLetter> dead = deadLetters.values();
    assertThat(
            scored.size()
                + dead.stream().filter(d -> d.getSourceTopic().equals("fraud.events")).count())
        .isEqualTo(events.size());
    assertThat(dead)
        .extracting(DeadLetter::getReasonCode)
        .containsExactlyInAnyOrder(
            AvroParser.UNDECODABLE,
            AvroParser.EMPTY_VALUE,
            FraudValidation.NEGATIVE_AMOUNT,
            AvroParser.UNDECODABLE,
            ParseLabels.LABEL_BEFORE_TRANSACTION,
            // tx4's and tx6's labels are known only after maturity: counted and dead-lettered
            LabelJoin.LABEL_AFTER_MATURITY,
            LabelJoin.LABEL_AFTER_MATURITY);
    assertThat(dead)
        .filteredOn(d -> d.getReasonCode().equals(LabelJoin.LABEL_AFTER_MATURITY))
        .allSatisfy(
            d -> {
              assertThat(d.getSourceTopic()).isEqualTo("fraud.labels");
              assertThat(d.getStage()).isEqualTo(LabelJoin.STAGE);
            })
        .extracting(
            d ->
                AvroSerde.of(FraudLabel.class)
                    .decode(DeadLetters.bytes(d.getOriginalValue()))
                    .getTransactionId())
        .containsExactlyInAnyOrder(4L, 6L);
    DeadLetter garbage =
        dead.stream()
            .filter(d -> d.getSourceTopic().equals("fraud.events"))
            .filter(d -> d.getReasonCode().equals(AvroParser.UNDECODABLE))
            .findFirst()
            .orElseThrow();
    assertThat(garbage.getStage()).isEqualTo(ParseTransactions.STAGE);
    assertThat(garbage.getSourcePartition()).isEqualTo(2);
    assertThat(garbage.getSourceOffset()).isEqualTo(41L);
    assertThat(DeadLetters.bytes(garbage.getOriginalValue())).isEqualTo(GARBAGE);
    assertThat(DeadLetters.bytes(garbage.getOriginalKey())).isEqualTo(key("C9"));
    assertThat(garbage.getReason()).contains("FraudTransaction");

    // One training example per scored event, labelled by the labels known at maturity.
    Map<String, TrainingExample> examples =
        training.values().stream()
            .collect(Collectors.toMap(TrainingExample::getEventId, Function.identity()));
    assertThat(examples.keySet()).containsExactlyInAnyOrderElementsOf(ids(1, 13));
    assertThat(examples.values())
        .filteredOn(e -> e.getLabel() == 1.0)
        .extracting(TrainingExample::getEventId)
        .containsExactlyInAnyOrder("1", "8"); // tx4's and tx6's labels came after maturity
    assertThat(examples.get("1").getLabelTime()).isEqualTo(FraudFixture.L1.getLabelTime());
    Map<String, ScoreRecord> byId =
        scored.stream().collect(Collectors.toMap(ScoreRecord::getEventId, Function.identity()));
    for (TrainingExample e : examples.values()) {
      // the score and version as scored, not a re-computation
      assertThat(e.getModelVersion()).isEqualTo(byId.get(e.getEventId()).getModelVersion());
      assertThat(e.getScore()).isEqualTo(byId.get(e.getEventId()).getPrediction());
      assertThat(e.getFeatureSchemaFingerprint()).isEqualTo(FraudFeatures.FINGERPRINT);
      float[] expected = FraudFixture.EXPECTED.get(Long.parseLong(e.getEventId()));
      assertThat(e.getFeatures()).hasSize(FraudFeatures.SIZE);
      for (int i = 0; i < FraudFeatures.SIZE; i++) {
        if (!isRisk(i)) {
          assertThat(e.getFeatures().get(i))
              .as("tx%s %s", e.getEventId(), FraudFeatures.NAMES.get(i))
              .isCloseTo(expected[i], within(1e-4f));
        }
      }
    }
    assertTerminalRisks(examples);
  }

  private static boolean isRisk(int i) {
    return i >= FraudFeatures.TERMINAL_OFFSET && (i - FraudFeatures.TERMINAL_OFFSET) % 2 == 1;
  }

  private static final int R1 = FraudFeatures.TERMINAL_OFFSET + 1;
  private static final int R7 = FraudFeatures.TERMINAL_OFFSET + 3;
  private static final int R30 = FraudFeatures.TERMINAL_OFFSET + 5;

  /**
   * The terminal risks, exactly. Which fraud labels the terminal operator has received when a
   * transaction reaches it depends on how the two bounded sources interleave, so a risk has one
   * exact value per possible "labels received so far" state, worked out by hand from the fixture
   * (FraudFixture's comments): a label received counts only from its label time on. What does not
   * depend on the interleaving is asserted as such: a label received early but known later (L2 for
   * tx6/tx7, L3 for tx11/tx12) never counts, and labels of one terminal arrive in order, so once a
   * label counted for a transaction it counts for every later one of that terminal.
   */
  private static void assertTerminalRisks(Map<String, TrainingExample> examples) {
    float third = 1f / 3f;
    // tx1-tx5, tx8, tx11, tx12: 0 whatever was received (no fraud known in their windows).
    for (String id : List.of("1", "2", "3", "4", "5", "8", "11", "12")) {
      for (int i : new int[] {R1, R7, R30}) {
        assertThat(risk(examples, id, i)).as("tx%s risk %d", id, i).isZero();
      }
    }
    // tx6 and tx7 (T1 until 36h): 1d holds tx3, tx4 (tx4's label L2 is known only at 240h > t);
    // 7d and 30d hold tx1, tx3, tx4: 1/3 once L1 (tx1 fraud, known at 72h) arrived, else 0.
    for (String id : List.of("6", "7")) {
      assertThat(risk(examples, id, R1)).as("tx%s r1", id).isZero();
      assertThat(risk(examples, id, R7)).as("tx%s r7", id).isIn(0f, third);
      assertThat(risk(examples, id, R30))
          .as("tx%s r30 as r7", id)
          .isEqualTo(risk(examples, id, R7));
    }
    boolean l1By6 = risk(examples, "6", R7) == third;
    boolean l1By7 = risk(examples, "7", R7) == third;
    // tx9 (T1 until 204h): 1d = tx6 and 7d = tx5, tx6 hold no known fraud (L3 is known at 960h);
    // 30d = tx1, tx3, tx4, tx5, tx6: 2/5 with L1 and L2 (known at 240h <= 372h), 1/5 with L1 only,
    // 0 with neither.
    assertThat(risk(examples, "9", R1)).isZero();
    assertThat(risk(examples, "9", R7)).isZero();
    float r9 = risk(examples, "9", R30);
    assertThat(r9).isIn(0f, 0.2f, 0.4f);
    // tx10 (T2 until 585h): 30d = tx2 (genuine), tx8 (L4, known at 250h): 1/2 or 0.
    assertThat(risk(examples, "10", R1)).isZero();
    assertThat(risk(examples, "10", R7)).isZero();
    assertThat(risk(examples, "10", R30)).isIn(0f, 0.5f);
    // tx13 (T1 until 852h): 30d = tx6, tx7, tx9; tx6 fraud once L3 (known at 960h <= 1020h) came.
    assertThat(risk(examples, "13", R1)).isZero();
    assertThat(risk(examples, "13", R7)).isZero();
    assertThat(risk(examples, "13", R30)).isIn(0f, third);
    // Labels of one terminal come in order and stay: once L1 counted, it counts later too.
    if (l1By6) {
      assertThat(l1By7).as("L1 counted for tx6, so for tx7").isTrue();
    }
    if (l1By7) {
      assertThat(r9).as("L1 counted for tx7, so for tx9").isIn(0.2f, 0.4f);
    }
  }

  private static float risk(Map<String, TrainingExample> examples, String id, int index) {
    return examples.get(id).getFeatures().get(index);
  }

  private static byte[] key(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static List<String> ids(int from, int to) {
    List<String> ids = new ArrayList<>();
    for (int i = from; i <= to; i++) {
      ids.add(Integer.toString(i));
    }
    return ids;
  }

  /**
   * Loads the announcement with {@link #URI} as a tiny real model (score = amount / 1000) and every
   * other one with the job's {@link DjlModelLoader}.
   */
  static final class AmountModelLoader implements ModelLoader {
    private static final long serialVersionUID = 1L;
    static final String VERSION = "v-amount";
    static final String URI = "test:amount-model";

    @Override
    public BatchModel load(ModelAnnouncement announcement, FeatureSchema expected)
        throws ModelRefusedException {
      if (!announcement.getArtifactUri().equals(URI)) {
        return new DjlModelLoader().load(announcement, expected);
      }
      return new BatchModel() {
        @Override
        public String version() {
          return VERSION;
        }

        @Override
        public FeatureSchema featureSchema() {
          return expected;
        }

        @Override
        public float[] predict(float[][] rows) {
          float[] out = new float[rows.length];
          for (int i = 0; i < rows.length; i++) {
            out[i] = rows[i][0] / 1000f; // feature 0 is the amount
          }
          return out;
        }

        @Override
        public void close() {}
      };
    }
  }
}
