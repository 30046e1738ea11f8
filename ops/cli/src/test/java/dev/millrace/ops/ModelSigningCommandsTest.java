package dev.millrace.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.pipeline.fraud.KafkaFraudJob;
import dev.millrace.scorer.model.ModelSigning;
import dev.millrace.trainer.TrainerSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code millrace keys generate}, {@code trainer --signing-key} and {@code pipeline
 * --model-public-key}: the files the first writes are what the other two read, and the public key
 * reaches the job's settings both locally and through the arguments of a submitted job.
 */
class ModelSigningCommandsTest {

  @TempDir Path dir;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cli = Millrace.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  @Test
  void keysGenerateWritesAnOwnerOnlyPrivateKeyAndAMatchingPublicKey() throws Exception {
    Path keys = dir.resolve("keys");
    assertThat(run("keys", "generate", "--out", keys.toString())).as(err.toString()).isZero();
    Path priv = keys.resolve("model-signing.key");
    Path pub = keys.resolve("model-signing.pub");
    assertThat(Files.getPosixFilePermissions(priv))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.readString(priv)).startsWith("-----BEGIN PRIVATE KEY-----");
    assertThat(Files.readString(pub)).startsWith("-----BEGIN PUBLIC KEY-----");
    assertThat(out.toString()).contains(priv.toString()).contains(pub.toString());
    byte[] bytes = "bundle".getBytes(StandardCharsets.US_ASCII);
    assertThat(
            ModelSigning.Verifier.read(pub)
                .verify(bytes, ModelSigning.Signer.read(priv).sign(bytes)))
        .isTrue();

    // A second run keeps the pair unless --force.
    String before = Files.readString(pub);
    assertThat(run("keys", "generate", "--out", keys.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("exists").contains("--force");
    assertThat(Files.readString(pub)).isEqualTo(before);
    assertThat(run("keys", "generate", "--out", keys.toString(), "--force")).isZero();
    assertThat(Files.readString(pub)).isNotEqualTo(before);
    assertThat(Files.getPosixFilePermissions(priv))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
  }

  @Test
  void theTrainerSignsWithTheKeyItIsGiven() throws Exception {
    ModelSigning.write(ModelSigning.generate(), dir, "k");
    TrainerCommand signing = new TrainerCommand();
    new CommandLine(signing)
        .parseArgs(
            "--task", "fraud", "-b", "k:9092", "--signing-key", dir.resolve("k.key").toString());
    TrainerSettings s = signing.settings();
    byte[] bytes = {1, 2, 3};
    assertThat(s.signingKey()).isNotNull();
    assertThat(
            ModelSigning.Verifier.read(dir.resolve("k.pub"))
                .verify(bytes, s.signingKey().sign(bytes)))
        .isTrue();

    TrainerCommand plain = new TrainerCommand();
    new CommandLine(plain).parseArgs("--task", "fraud", "-b", "k:9092");
    assertThat(plain.settings().signingKey()).isNull();

    TrainerCommand wrong = new TrainerCommand();
    new CommandLine(wrong)
        .parseArgs(
            "--task", "fraud", "-b", "k:9092", "--signing-key", dir.resolve("k.pub").toString());
    assertThatThrownBy(() -> wrong.settings())
        .isInstanceOf(UserError.class)
        .hasMessageContaining("--signing-key")
        .hasMessageContaining("PRIVATE KEY");
  }

  @Test
  void aBacktestWithAKeyThatCannotSignStopsBeforeItStarts() throws Exception {
    ModelSigning.write(ModelSigning.generate(), dir, "k");
    Path file = Files.writeString(dir.resolve("tx.csv"), "TRANSACTION_ID\n");
    assertThat(
            run(
                "backtest",
                "--task",
                "fraud",
                "--file",
                file.toString(),
                "--out",
                dir.resolve("out").toString(),
                "--signing-key",
                dir.resolve("k.pub").toString()))
        .isEqualTo(1);
    assertThat(err.toString())
        .startsWith("millrace: --signing-key: cannot use " + dir.resolve("k.pub"))
        .contains("PRIVATE KEY");
  }

  @Test
  void thePipelineCarriesThePublicKeyIntoTheJobLocallyAndWhenSubmitted() throws Exception {
    ModelSigning.write(ModelSigning.generate(), dir, "k");
    ModelSigning.Verifier expected = ModelSigning.Verifier.read(dir.resolve("k.pub"));
    PipelineCommand pipeline = new PipelineCommand();
    new CommandLine(pipeline)
        .parseArgs(
            "--task",
            "fraud",
            "-b",
            "k:9092",
            "--checkpoint-dir",
            dir.resolve("ckpt").toString(),
            "--model-public-key",
            dir.resolve("k.pub").toString());
    assertThat(pipeline.settings().modelVerifier()).isEqualTo(expected);
    assertThat(KafkaFraudJob.loader(pipeline.settings()).verifier()).isEqualTo(expected);

    List<String> args = pipeline.programArgs();
    assertThat(args).contains("--model-public-key", expected.base64());
    FraudPipelineSettings submitted = KafkaFraudJob.settings(args.toArray(String[]::new));
    assertThat(submitted.modelVerifier()).isEqualTo(expected);

    PipelineCommand plain = new PipelineCommand();
    new CommandLine(plain).parseArgs("--task", "fraud", "-b", "k:9092");
    assertThat(plain.settings().modelVerifier()).isNull();
    assertThat(plain.programArgs()).doesNotContain("--model-public-key");

    PipelineCommand wrong = new PipelineCommand();
    new CommandLine(wrong)
        .parseArgs(
            "--task",
            "fraud",
            "-b",
            "k:9092",
            "--model-public-key",
            dir.resolve("k.key").toString());
    assertThatThrownBy(wrong::settings)
        .isInstanceOf(UserError.class)
        .hasMessageContaining("--model-public-key")
        .hasMessageContaining("PUBLIC KEY");
  }
}
