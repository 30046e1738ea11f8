package dev.millrace.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds the project's shared real datasets ({@code shared/datasets} beside the checkout) for tests
 * and benchmarks that use real data. They are never committed; a test that needs one skips when it
 * is absent ({@code assumeTrue(SharedDatasets.find(...).isPresent())}).
 *
 * <p>Looked up in this order: the system property {@value #PROPERTY}, the environment variable
 * {@value #ENV}, then {@code shared/datasets} in the working directory and each of its parents (a
 * module of the reactor runs its tests from its own folder; CI clones the project with {@code
 * shared/} beside it).
 */
public final class SharedDatasets {

  /** System property naming the datasets folder. */
  public static final String PROPERTY = "millrace.datasets";

  /** Environment variable naming the datasets folder. */
  public static final String ENV = "MILLRACE_DATASETS";

  /** The handbook's fraud dev file, relative to the datasets folder. */
  public static final String FRAUD_FDH = "fraud_fdh/transactions_2018-04-01_2018-09-04.csv.gz";

  private SharedDatasets() {}

  /** The file {@code relative} inside the datasets folder, when the folder and file exist. */
  public static Optional<Path> find(String relative) {
    return folder().map(d -> d.resolve(relative)).filter(Files::isRegularFile);
  }

  /** The datasets folder, when there is one. */
  public static Optional<Path> folder() {
    String configured = System.getProperty(PROPERTY, System.getenv(ENV));
    if (configured != null && !configured.isBlank()) {
      Path p = Path.of(configured);
      return Files.isDirectory(p) ? Optional.of(p) : Optional.empty();
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("shared").resolve("datasets");
      if (Files.isDirectory(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}
