package dev.millrace.pipeline.fraud;

import static dev.millrace.pipeline.fraud.FraudFixture.at;
import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.pipeline.DeadLetters;
import dev.millrace.schemas.AvroSerde;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.ScoredFeatures;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.schemas.fraud.FraudLabel;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LabelJoinTest {

  private static final long DELAY = Duration.ofDays(7).toMillis();
  private static final long GRACE = Duration.ofHours(1).toMillis();

  private KeyedTwoInputStreamOperatorTestHarness<
          String, ScoredFeatures, FraudLabel, TrainingExample>
      h;

  @BeforeEach
  void open() throws Exception {
    h =
        new KeyedTwoInputStreamOperatorTestHarness<>(
            new KeyedCoProcessOperator<>(new LabelJoin(DELAY, GRACE, "fraud.labels")),
            s -> s.getVector().getEventId(),
            l -> Long.toString(l.getTransactionId()),
            Types.STRING);
    h.open();
  }

  @AfterEach
  void close() throws Exception {
    h.close();
  }

  private static ScoredFeatures scored(FraudTransaction tx, double score) {
    float[] f = FraudFeatures.transactionFeatures(tx.getEventTime(), tx.getAmount());
    for (int i = 3; i < f.length; i++) {
      f[i] = i * 0.5f; // distinct values in every position, so a dropped or moved one shows
    }
    FeatureVector v = CustomerFeatures.vector(tx, f);
    return ScoredFeatures.newBuilder()
        .setVector(v)
        .setPrediction(score)
        .setModelVersion("v7")
        .setScoringTime(Instant.parse("2026-01-01T00:00:00Z"))
        .build();
  }

  private void score(FraudTransaction tx, double score) throws Exception {
    h.processElement1(new StreamRecord<>(scored(tx, score), tx.getEventTime().toEpochMilli()));
  }

  private void label(FraudLabel l) throws Exception {
    h.processElement2(new StreamRecord<>(l, l.getLabelTime().toEpochMilli()));
  }

  private List<DeadLetter> lateLabels() {
    var out = h.getSideOutput(LabelJoin.LATE_LABELS);
    return out == null ? List.of() : out.stream().map(StreamRecord::getValue).toList();
  }

  private static long maturity(FraudTransaction tx) {
    return tx.getEventTime().toEpochMilli() + DELAY + GRACE;
  }

  @Test
  void emitsTheFraudExampleAtMaturityAndClearsStateAndTimers() throws Exception {
    score(FraudFixture.TX1, 0.9);
    label(FraudFixture.L1);
    assertThat(h.numEventTimeTimers()).isEqualTo(1);
    h.processBothWatermarks(new Watermark(maturity(FraudFixture.TX1) - 1));
    assertThat(h.extractOutputValues()).isEmpty();

    h.processBothWatermarks(new Watermark(maturity(FraudFixture.TX1)));
    List<TrainingExample> out = h.extractOutputValues();
    assertThat(out).hasSize(1);
    TrainingExample e = out.get(0);
    assertThat(e.getEventId()).isEqualTo("1");
    assertThat(e.getEntityId()).isEqualTo("C1");
    assertThat(e.getLabel()).isEqualTo(1.0);
    assertThat(e.getLabelTime()).isEqualTo(FraudFixture.L1.getLabelTime());
    assertThat(e.getScore()).isEqualTo(0.9);
    assertThat(e.getModelVersion()).isEqualTo("v7");
    assertThat(e.getEventTime()).isEqualTo(FraudFixture.TX1.getEventTime());
    // Worked out by hand: tx1 is 100.00 on Monday 2018-04-02 at 10:00 (not weekend, not night),
    // then the 12 customer/terminal values the test put in (i * 0.5 at position i).
    assertThat(e.getFeatures())
        .containsExactly(100f, 0f, 0f, 1.5f, 2f, 2.5f, 3f, 3.5f, 4f, 4.5f, 5f, 5.5f, 6f, 6.5f, 7f);
    assertThat(e.getFeatureSchemaFingerprint()).isEqualTo(FraudFeatures.FINGERPRINT);
    assertThat(h.numKeyedStateEntries()).isZero();
    assertThat(h.numEventTimeTimers()).isZero();
  }

  @Test
  void noLabelByMaturityMeansGenuineAndALabelAfterwardsIsDeadLettered() throws Exception {
    score(FraudFixture.TX2, 0.1);
    h.processBothWatermarks(new Watermark(maturity(FraudFixture.TX2)));
    List<TrainingExample> out = h.extractOutputValues();
    assertThat(out).hasSize(1);
    assertThat(out.get(0).getLabel()).isEqualTo(0.0);
    assertThat(out.get(0).getLabelTime().toEpochMilli()).isEqualTo(maturity(FraudFixture.TX2));
    assertThat(h.numKeyedStateEntries()).isZero();
    assertThat(h.numEventTimeTimers()).isZero();

    assertThat(lateLabels()).isEmpty();

    FraudLabel late = FraudFixture.label(FraudFixture.TX2, 100, true);
    label(late); // after the watermark passed maturity: the example is already out
    assertThat(h.numKeyedStateEntries()).isZero();
    assertThat(h.numEventTimeTimers()).isZero();
    h.processBothWatermarks(new Watermark(Long.MAX_VALUE));
    assertThat(h.extractOutputValues()).hasSize(1);
    DeadLetter letter = lateLabels().stream().reduce((a, b) -> b).orElseThrow();
    assertThat(lateLabels()).hasSize(1);
    assertThat(letter.getReasonCode()).isEqualTo(LabelJoin.LATE_LABEL);
    assertThat(letter.getStage()).isEqualTo(LabelJoin.STAGE);
    assertThat(letter.getSourceTopic()).isEqualTo("fraud.labels");
    assertThat(DeadLetters.bytes(letter.getOriginalKey()))
        .isEqualTo(late.getCustomerId().getBytes(StandardCharsets.UTF_8));
    assertThat(AvroSerde.of(FraudLabel.class).decode(DeadLetters.bytes(letter.getOriginalValue())))
        .isEqualTo(late);
    assertThat(letter.getReason())
        .contains(Instant.ofEpochMilli(maturity(FraudFixture.TX2)).toString());
  }

  @Test
  void aLabelKnownOnlyAfterMaturityDoesNotCountEvenIfItArrivesEarly() throws Exception {
    // tx4's label time is 9 days after it: beyond delay + grace, so "genuine" at maturity.
    label(FraudFixture.L2);
    assertThat(h.numKeyedStateEntries()).isZero();
    assertThat(h.numEventTimeTimers()).isZero();
    assertThat(lateLabels())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.getReasonCode()).isEqualTo(LabelJoin.LABEL_AFTER_MATURITY);
              assertThat(
                      AvroSerde.of(FraudLabel.class)
                          .decode(DeadLetters.bytes(d.getOriginalValue())))
                  .isEqualTo(FraudFixture.L2);
            });
    score(FraudFixture.TX4, 0.5);
    h.processBothWatermarks(new Watermark(Long.MAX_VALUE));
    assertThat(h.extractOutputValues())
        .singleElement()
        .extracting(TrainingExample::getLabel)
        .isEqualTo(0.0);
    assertThat(h.numKeyedStateEntries()).isZero();
    assertThat(h.numEventTimeTimers()).isZero();
  }

  @Test
  void aLabelBeforeItsEventAndAGenuineLabelAreJoined() throws Exception {
    label(FraudFixture.L4); // fraud label of tx8 received before tx8 was scored
    label(FraudFixture.G3);
    score(FraudFixture.TX8, 0.7);
    score(FraudFixture.TX3, 0.2);
    assertThat(h.numEventTimeTimers()).isEqualTo(2);
    h.processBothWatermarks(new Watermark(Long.MAX_VALUE));
    List<TrainingExample> out = h.extractOutputValues();
    assertThat(out).extracting(TrainingExample::getEventId).containsExactlyInAnyOrder("8", "3");
    for (TrainingExample e : out) {
      assertThat(e.getLabel()).isEqualTo(e.getEventId().equals("8") ? 1.0 : 0.0);
    }
    assertThat(
            out.stream()
                .filter(e -> e.getEventId().equals("3"))
                .findFirst()
                .orElseThrow()
                .getLabelTime())
        .isEqualTo(at(100));
    assertThat(h.numKeyedStateEntries()).isZero();
    assertThat(h.numEventTimeTimers()).isZero();
  }

  @Test
  void aLabelWithoutAnEventIsDeadLetteredAtMaturity() throws Exception {
    label(FraudFixture.L1);
    assertThat(h.numKeyedStateEntries()).isEqualTo(1);
    h.processBothWatermarks(new Watermark(maturity(FraudFixture.TX1) - 1));
    assertThat(lateLabels()).isEmpty();
    h.processBothWatermarks(new Watermark(maturity(FraudFixture.TX1)));
    assertThat(h.extractOutputValues()).isEmpty();
    assertThat(h.numKeyedStateEntries()).isZero();
    assertThat(h.numEventTimeTimers()).isZero();
    assertThat(lateLabels())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.getReasonCode()).isEqualTo(LabelJoin.ORPHAN_LABEL);
              assertThat(
                      AvroSerde.of(FraudLabel.class)
                          .decode(DeadLetters.bytes(d.getOriginalValue())))
                  .isEqualTo(FraudFixture.L1);
            });
  }

  @Test
  void aLabelKnownAtMaturityCountsWhileALateOneOfAnotherKeyIsDeadLettered() throws Exception {
    score(FraudFixture.TX1, 0.3);
    score(FraudFixture.TX2, 0.3);
    h.processBothWatermarks(new Watermark(maturity(FraudFixture.TX1)));
    assertThat(h.extractOutputValues())
        .singleElement()
        .extracting(TrainingExample::getLabel)
        .isEqualTo(0.0);
    // tx2's fraud label, known exactly at its maturity, still counts ...
    label(
        FraudLabel.newBuilder(FraudFixture.label(FraudFixture.TX2, 30, true))
            .setLabelTime(Instant.ofEpochMilli(maturity(FraudFixture.TX2)))
            .build());
    // ... while tx1's comes after its example.
    label(FraudFixture.label(FraudFixture.TX1, 20, true));
    assertThat(h.numEventTimeTimers()).isEqualTo(1);
    h.processBothWatermarks(new Watermark(maturity(FraudFixture.TX2)));
    assertThat(h.extractOutputValues())
        .filteredOn(e -> e.getEventId().equals("2"))
        .singleElement()
        .extracting(TrainingExample::getLabel)
        .isEqualTo(1.0);
    assertThat(lateLabels())
        .extracting(DeadLetter::getReasonCode)
        .containsExactly(LabelJoin.LATE_LABEL);
    assertThat(h.numKeyedStateEntries()).isZero();
    assertThat(h.numEventTimeTimers()).isZero();
  }
}
