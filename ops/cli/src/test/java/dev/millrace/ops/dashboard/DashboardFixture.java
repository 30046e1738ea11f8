package dev.millrace.ops.dashboard;

import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.ModelQuality;
import dev.millrace.schemas.ModelStatus;
import dev.millrace.schemas.RetrainRequest;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.fraud.FraudLabel;
import dev.millrace.testkit.TestKafka;
import dev.millrace.trainer.RunDecision;
import dev.millrace.trainer.TrainingHistory;
import dev.millrace.trainer.TrainingRecord;
import dev.millrace.trainer.eval.PairedBootstrap;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Real data for the dashboard tests: a training history written with {@link TrainingHistory} and
 * committed records on a real broker's {@code fraud.scores}, {@code fraud.dlq} and {@code
 * millrace.models}. Three runs: v1 promoted, v2 rejected, v3 promoted; 300 scores by v1 then 200 by
 * v3 (the model in use); 5 dead letters.
 */
final class DashboardFixture {

  static final String IN_USE = "v3-fixture";
  static final int SCORES_V1 = 300;
  static final int SCORES_V3 = 200;
  static final int DEAD_LETTERS = 5;
  static final int LABELS = 7;
  static final double LIVE_AUC = 0.912;
  static final double DRIFT_PSI = 0.42;
  static final String DRIFT_FEATURE = "TX_AMOUNT";

  private DashboardFixture() {}

  static void writeHistory(Path historyDir) {
    TrainingHistory history = TrainingHistory.inDirectory(historyDir, Task.FRAUD);
    Instant t0 = Instant.now().minusSeconds(120);
    history.append(
        run(
            "run-1",
            "v1-fixture",
            t0,
            RunDecision.PROMOTED,
            0.41,
            null,
            null,
            List.of(0.69, 0.41, 0.30, 0.25, 0.22)));
    history.append(
        run(
            "run-2",
            "v2-fixture",
            t0.plusSeconds(40),
            RunDecision.REJECTED,
            0.38,
            "v1-fixture",
            0.41,
            List.of(0.70, 0.45, 0.33, 0.29, 0.27)));
    history.append(
        run(
            "run-3",
            IN_USE,
            t0.plusSeconds(80),
            RunDecision.PROMOTED,
            0.55,
            "v1-fixture",
            0.43,
            List.of(0.68, 0.37, 0.24, 0.19, 0.17)));
  }

  private static TrainingRecord run(
      String runId,
      String version,
      Instant finished,
      RunDecision decision,
      double ap,
      String champion,
      Double championAp,
      List<Double> losses) {
    return new TrainingRecord(
        runId,
        "fraud",
        version,
        "examples",
        finished.minusSeconds(10),
        finished,
        10_000,
        finished.minusSeconds(86_400),
        finished.minusSeconds(3_600),
        finished.minusSeconds(7_200),
        8_000,
        60,
        2_000,
        15,
        Map.of("average_precision", ap, "auc", 0.8 + ap / 10),
        champion,
        championAp == null ? null : Map.of("average_precision", championAp, "auc", 0.84),
        "average_precision",
        0.0,
        0.007,
        decision,
        decision == RunDecision.PROMOTED ? "beat the champion" : "did not beat the champion",
        "cpu",
        losses,
        9_000L,
        null,
        null,
        7 * 86_400_000L,
        1_400,
        12,
        interval(ap - (championAp == null ? 0.007 : championAp)),
        null);
  }

  private static PairedBootstrap.Interval interval(double gain) {
    return new PairedBootstrap.Interval(gain, gain - 0.02, gain + 0.02, 0.9, 200);
  }

  static void produce(TestKafka kafka) {
    var topics = kafka.topics();
    Instant now = Instant.now();
    List<ProducerRecord<String, ScoreRecord>> scores = new ArrayList<>();
    for (int i = 0; i < SCORES_V1 + SCORES_V3; i++) {
      String version = i < SCORES_V1 ? "v1-fixture" : IN_USE;
      String entity = "c" + (i % 17);
      scores.add(
          new ProducerRecord<>(
              topics.scores(Task.FRAUD).name(),
              entity,
              ScoreRecord.newBuilder()
                  .setTask(Task.FRAUD)
                  .setEventId("e" + i)
                  .setEntityId(entity)
                  .setPrediction((i * 37 % 100) / 100.0 * (i % 3 == 0 ? 0.3 : 1.0))
                  .setModelVersion(version)
                  .setEventTime(now.minusSeconds(3_600))
                  .setScoringTime(now.minusMillis(10_000 - i))
                  .build()));
    }
    kafka.send(topics.scores(Task.FRAUD), scores);
    List<ProducerRecord<byte[], DeadLetter>> dead = new ArrayList<>();
    for (int i = 0; i < DEAD_LETTERS; i++) {
      dead.add(
          new ProducerRecord<>(
              topics.dlq(Task.FRAUD).name(),
              ("k" + i).getBytes(StandardCharsets.UTF_8),
              DeadLetter.newBuilder()
                  .setReason(i % 2 == 0 ? "amount is negative: -3.5" : "not Avro: 7 bytes")
                  .setReasonCode(i % 2 == 0 ? "NEGATIVE_AMOUNT" : "UNPARSEABLE")
                  .setStage("fraud-pipeline/deserializer")
                  .setSourceTopic(topics.fraudEvents().name())
                  .setSourcePartition(0)
                  .setSourceOffset(1_000L + i)
                  .setRejectedAt(now)
                  .build()));
    }
    kafka.send(topics.dlq(Task.FRAUD), dead);
    List<ProducerRecord<String, ModelAnnouncement>> models = new ArrayList<>();
    for (String v : List.of("v1-fixture", IN_USE)) {
      models.add(
          new ProducerRecord<>(
              topics.models().name(),
              "fraud",
              ModelAnnouncement.newBuilder()
                  .setTask(Task.FRAUD)
                  .setVersion(v)
                  .setArtifactUri("file:///tmp/models/" + v)
                  .setSha256("00")
                  .setFeatureSchemaFingerprint("ff")
                  .setMetrics(Map.of("average_precision", 0.5))
                  .setStatus(ModelStatus.CHAMPION)
                  .setAnnouncedAt(now)
                  .build()));
    }
    kafka.send(topics.models(), models);
    List<ProducerRecord<String, FraudLabel>> labels = new ArrayList<>();
    for (int i = 0; i < LABELS; i++) {
      labels.add(
          new ProducerRecord<>(
              topics.fraudLabels().name(),
              "c" + i,
              FraudLabel.newBuilder()
                  .setTransactionId(i)
                  .setCustomerId("c" + i)
                  .setTerminalId("t" + i)
                  .setTransactionTime(now.minusSeconds(7_200))
                  .setLabelTime(now.minusSeconds(3_600))
                  .setFraud(i % 2 == 0)
                  .build()));
    }
    kafka.send(topics.fraudLabels(), labels);
    List<ProducerRecord<String, ModelQuality>> quality = new ArrayList<>();
    for (String v : List.of("v1-fixture", IN_USE)) {
      quality.add(
          new ProducerRecord<>(
              topics.quality(Task.FRAUD).name(),
              v,
              ModelQuality.newBuilder()
                  .setTask(Task.FRAUD)
                  .setModelVersion(v)
                  .setWindowEnd(now.minusSeconds(3_600))
                  .setExamples(v.equals(IN_USE) ? 1_234 : 5_000)
                  .setPositives(12)
                  .setAuc(v.equals(IN_USE) ? LIVE_AUC : 0.7)
                  .setAveragePrecision(v.equals(IN_USE) ? 0.456 : 0.2)
                  .setEmittedAt(now)
                  .build()));
    }
    kafka.send(topics.quality(Task.FRAUD), quality);
    List<ProducerRecord<String, RetrainRequest>> drift = new ArrayList<>();
    for (double psi : new double[] {0.31, DRIFT_PSI}) {
      drift.add(
          new ProducerRecord<>(
              topics.control().name(),
              "fraud",
              RetrainRequest.newBuilder()
                  .setTask(Task.FRAUD)
                  .setReason("drift: psi(" + DRIFT_FEATURE + ")=" + psi + " >= 0.2")
                  .setPsi(psi)
                  .setFeature(DRIFT_FEATURE)
                  .setModelVersion(IN_USE)
                  .setRequestedAt(now)
                  .build()));
    }
    kafka.send(topics.control(), drift);
  }
}
