package dev.millrace.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.pipeline.fraud.FraudFeatures;
import dev.millrace.schemas.Task;
import dev.millrace.trainer.TrainerSettings;
import dev.millrace.trainer.eval.EvalSettings;
import dev.millrace.trainer.eval.PromotionMetric;
import dev.millrace.trainer.model.TrainSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TrainerCommandTest {

  private static TrainerCommand parse(String... args) {
    TrainerCommand command = new TrainerCommand();
    new CommandLine(command).parseArgs(args);
    return command;
  }

  @Test
  void flagsBecomeTypedSettings() {
    TrainerCommand command =
        parse(
            "--task",
            "fraud",
            "-b",
            "kafka-1:9092",
            "--namespace",
            "staging",
            "--model-store",
            "s3://bucket/models",
            "--retrain-every-examples",
            "5000",
            "--retrain-every",
            "90s",
            "--window",
            "1000",
            "--eval-fraction",
            "0.25",
            "--promotion-metric",
            "roc_auc",
            "--promotion-margin",
            "0.01",
            "--card-precision-k",
            "50",
            "--eval-gap",
            "3d",
            "--promotion-confidence",
            "0.95",
            "--bootstrap-resamples",
            "500",
            "--no-seed-check",
            "--history-dir",
            "/tmp/h");
    TrainerSettings s = command.settings();
    assertThat(s.bootstrapServers()).isEqualTo("kafka-1:9092");
    assertThat(s.topics().training(Task.FRAUD).name()).isEqualTo("staging.fraud.training");
    assertThat(s.modelStore()).isEqualTo(URI.create("s3://bucket/models"));
    assertThat(s.retrainEveryExamples()).isEqualTo(5_000);
    assertThat(s.retrainEvery()).isEqualTo(Duration.ofSeconds(90));
    assertThat(s.windowRows()).isEqualTo(1_000);
    assertThat(s.evalFraction()).isEqualTo(0.25);
    assertThat(s.promotionMetric()).isEqualTo(PromotionMetric.ROC_AUC);
    assertThat(s.promotionMargin()).isEqualTo(0.01);
    assertThat(s.cardPrecisionK()).isEqualTo(50);
    assertThat(s.evaluation().gap()).isEqualTo(Duration.ofDays(3));
    assertThat(s.evaluation().confidence()).isEqualTo(0.95);
    assertThat(s.evaluation().bootstrapResamples()).isEqualTo(500);
    assertThat(s.evaluation().seedCheck()).isFalse();
    assertThat(s.historyDir()).isEqualTo(Path.of("/tmp/h"));
    assertThat(s.featureSchema()).isEqualTo(FraudFeatures.SCHEMA);
  }

  @Test
  void aLocalStoreIsAFileUriWithItsHistoryInside() {
    TrainerSettings s = parse("--task", "fraud", "--model-store", "build/models").settings();
    assertThat(s.modelStore().getScheme()).isEqualTo("file");
    assertThat(s.modelStore().getPath()).matches(".*/build/models/?");
    assertThat(s.historyDir()).isEqualTo(Path.of(s.modelStore()).resolve("history"));
    assertThat(s.retrainEvery()).isEqualTo(Duration.ofMinutes(10));
    assertThat(s.windowRows()).isEqualTo(200_000);
    // the evaluation follows the examples' label maturity; the gate's interval and seed check on
    assertThat(s.evaluation()).isEqualTo(EvalSettings.defaults());
    assertThat(s.evaluation().gap()).isNull();
    assertThat(s.evaluation().seedCheck()).isTrue();
    assertThat(s.promotionMargin()).isZero();
  }

  @Test
  void aBadEvalGapOrConfidenceIsAOneLineError() {
    assertThatThrownBy(() -> parse("--task", "fraud", "--eval-gap", "a week").settings())
        .isInstanceOf(UserError.class)
        .hasMessageContaining("--eval-gap");
    assertThatThrownBy(() -> parse("--task", "fraud", "--promotion-confidence", "1.5").settings())
        .isInstanceOf(UserError.class)
        .hasMessageContaining("confidence");
  }

  @Test
  void theDeviceIsAutoUnlessAsked() {
    assertThat(parse("--task", "fraud").settings().device())
        .isEqualTo(dev.millrace.scorer.DeviceChoice.AUTO);
    TrainerCommand cpu = parse("--task", "fraud", "--device", "cpu");
    assertThat(cpu.settings().device()).isEqualTo(dev.millrace.scorer.DeviceChoice.CPU);
    // auto and cpu need no check; on this machine auto trains on the CPU (TabularTrainerTest)
    assertThat(cpu.device.checked()).isEqualTo(dev.millrace.scorer.DeviceChoice.CPU);
  }

  @Test
  void theTrainerShipsTheBenchmarkedNetSettings() {
    TrainerSettings s = parse("--task", "fraud").settings();
    // docs/benchmarks/fraud.md chose these on a validation period before the test week and
    // reports them on the test week; the trainer command must train with the same settings
    assertThat(s.trainSettings()).isEqualTo(TrainSettings.defaults());
    assertThat(s.trainSettings())
        .isEqualTo(
            new TrainSettings(40, 1024, 1e-2f, 1e-2f, new int[] {128, 64}, 0.2f, true, 42L, false));
  }

  @Test
  void durationsReadAsPeopleWriteThem() {
    DurationConverter d = new DurationConverter();
    assertThat(d.convert("10m")).isEqualTo(Duration.ofMinutes(10));
    assertThat(d.convert("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(d.convert("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(d.convert("PT2M")).isEqualTo(Duration.ofMinutes(2));
    assertThat(d.convert("0")).isEqualTo(Duration.ZERO);
    assertThatThrownBy(() -> d.convert("soon"))
        .isInstanceOf(CommandLine.TypeConversionException.class);
  }

  @Test
  void badValuesAreOneLineErrors() {
    StringWriter err = new StringWriter();
    CommandLine cli = Millrace.commandLine();
    cli.setErr(new PrintWriter(err, true));
    cli.setOut(new PrintWriter(new StringWriter(), true));
    assertThat(cli.execute("trainer", "--task", "fraud", "--retrain-every", "soon")).isEqualTo(2);
    assertThat(err.toString()).startsWith("millrace: ").contains("'soon' is not a duration");

    err.getBuffer().setLength(0);
    assertThat(cli.execute("trainer", "--task", "fraud", "--promotion-metric", "accuracy"))
        .isEqualTo(1);
    assertThat(err.toString())
        .isEqualTo(
            "millrace: unknown promotion metric 'accuracy': expected average_precision, roc_auc or"
                + " card_precision_at_k\n");

    err.getBuffer().setLength(0);
    assertThat(cli.execute("trainer", "--task", "demand")).isEqualTo(1);
    assertThat(err.toString())
        .isEqualTo("millrace: the demand task needs --stores FILE (Rossmann's store.csv)\n");

    err.getBuffer().setLength(0);
    assertThat(cli.execute("trainer", "--task", "fraud", "--promotion-metric", "rmspe"))
        .isEqualTo(1);
    assertThat(err.toString()).contains("unknown promotion metric 'rmspe'");
  }
}
