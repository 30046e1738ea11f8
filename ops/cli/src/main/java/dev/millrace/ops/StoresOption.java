package dev.millrace.ops;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import picocli.CommandLine.Option;

/**
 * {@code --stores FILE}: the demand task's store reference data, which its job joins to every row
 * and its trainer takes the store embedding's vocabulary from. Shared by {@code millrace pipeline}
 * (through {@link TaskOptions}) and {@code millrace trainer}.
 */
final class StoresOption {

  @Option(
      names = "--stores",
      paramLabel = "FILE",
      description =
          "demand: the store reference data (Rossmann's store.csv or store.csv.gz): the pipeline"
              + " joins it to every row, the trainer takes the store vocabulary from it.")
  Path stores;

  /** The file's bytes, gunzipped when it ends in {@code .gz}; a user error when absent. */
  byte[] storeCsv() {
    if (stores == null) {
      throw new UserError("the demand task needs --stores FILE (Rossmann's store.csv)");
    }
    try (InputStream raw = Files.newInputStream(stores);
        InputStream in = stores.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UserError("--stores: cannot read " + stores + ": " + e.getMessage());
    }
  }

  /** {@link #storeCsv()} as a stream. */
  InputStream open() {
    return new ByteArrayInputStream(storeCsv());
  }
}
