package dev.millrace.ops;

import dev.millrace.scorer.model.ModelSigning;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code millrace keys}: the Ed25519 key pair of model signing. The trainer signs with the private
 * key ({@code millrace trainer --signing-key}), the pipeline verifies with the public one ({@code
 * millrace pipeline --model-public-key}).
 */
@Command(
    name = "keys",
    mixinStandardHelpOptions = true,
    description = "Keys for model signing.",
    subcommands = {KeysCommand.Generate.class})
public final class KeysCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code millrace keys generate --out DIR}. */
  @Command(
      name = "generate",
      mixinStandardHelpOptions = true,
      description = {
        "Write a new Ed25519 key pair as PEM files: DIR/<name>.key (private, PKCS#8, readable by"
            + " the owner only) for 'millrace trainer --signing-key' and DIR/<name>.pub (public,"
            + " X.509) for 'millrace pipeline --model-public-key'.",
        "openssl makes the same files: openssl genpkey -algorithm ed25519 -out model-signing.key;"
            + " openssl pkey -in model-signing.key -pubout -out model-signing.pub"
      })
  static final class Generate implements Callable<Integer> {

    @Option(
        names = "--out",
        required = true,
        paramLabel = "DIR",
        description = "Folder the two files go to (created if missing).")
    Path out;

    @Option(
        names = "--name",
        defaultValue = "model-signing",
        paramLabel = "NAME",
        description = "Base name of the files (default ${DEFAULT-VALUE}).")
    String name;

    @Option(
        names = "--force",
        description = "Overwrite existing key files (models signed with the old key are refused).")
    boolean force;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
        throw new UserError("--name '" + name + "' must be a plain file name");
      }
      Path key = out.resolve(name + ".key");
      Path pub = out.resolve(name + ".pub");
      if (!force && (Files.exists(key) || Files.exists(pub))) {
        throw new UserError(
            (Files.exists(key) ? key : pub)
                + " exists; keep it, or pass --force to replace the key pair");
      }
      try {
        ModelSigning.write(ModelSigning.generate(), out, name);
      } catch (IOException e) {
        throw new UserError("cannot write the key pair to " + out + ": " + e.getMessage());
      }
      PrintWriter o = spec.commandLine().getOut();
      o.printf("Private key: %s (owner-only; for millrace trainer --signing-key)%n", key);
      o.printf("Public key:  %s (for millrace pipeline --model-public-key)%n", pub);
      o.flush();
      return 0;
    }
  }
}
