package dev.millrace.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The parts of the {@code performance} command that need no broker: skipping and the doc. */
class PerformanceBenchmarkCommandTest {

  @TempDir Path dir;

  @Test
  void withoutTheDataFileTheBenchmarkIsSkippedAndNothingIsWritten() {
    Path doc = dir.resolve("performance.md");
    StringWriter out = new StringWriter();
    CommandLine cmd = Benchmarks.commandLine();
    cmd.setOut(new PrintWriter(out));
    int code =
        cmd.execute(
            "performance",
            "--data",
            dir.resolve("absent.csv.gz").toString(),
            "--output",
            doc.toString());
    assertThat(code).isZero();
    assertThat(doc).doesNotExist();
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void resultsReplaceOnlyTheirSectionOfTheDoc() throws Exception {
    Path doc = dir.resolve("docs/performance.md");
    PerformanceBenchmark.writeResults(doc, "first run\n");
    String created = Files.readString(doc);
    assertThat(created).startsWith("# ").contains("first run");

    String withProse =
        "# Title\n\nprose before\n\n"
            + created.substring(created.indexOf(PerformanceBenchmark.BEGIN))
            + "\nprose after\n";
    Files.writeString(doc, withProse);
    PerformanceBenchmark.writeResults(doc, "second run\n");
    String updated = Files.readString(doc);
    assertThat(updated)
        .startsWith("# Title\n\nprose before\n\n" + PerformanceBenchmark.BEGIN)
        .contains("second run")
        .doesNotContain("first run")
        .endsWith(PerformanceBenchmark.END + "\n\nprose after\n");
  }
}
