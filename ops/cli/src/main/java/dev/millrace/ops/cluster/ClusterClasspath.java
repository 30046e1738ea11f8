package dev.millrace.ops.cluster;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

/**
 * Class paths of the cluster's processes, from the millrace jar and the {@code lib/} folder beside
 * it (what {@code ./millrace} builds).
 *
 * <p>Kafka nodes and the trainer get all of it. Flink's JobManager and TaskManagers get it less the
 * jars of Flink connectors and Millrace modules that the job jar bundles: as in a Flink
 * distribution's {@code lib/}, the job's connector comes from the job jar only. What the job jar
 * leaves out (Flink, RocksDB, DJL, logging) stays, and DJL loads parent-first.
 */
public final class ClusterClasspath {

  private ClusterClasspath() {}

  /** The running millrace jar, or empty when it runs from class folders (an IDE, tests). */
  public static Optional<Path> millraceJar() {
    try {
      Path here =
          Path.of(
              ClusterClasspath.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return Files.isRegularFile(here) ? Optional.of(here) : Optional.empty();
    } catch (URISyntaxException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Every entry of this program's class path: the millrace jar and its lib folder. */
  public static List<Path> full() {
    Optional<Path> jar = millraceJar();
    List<Path> entries = new ArrayList<>();
    if (jar.isPresent() && Files.isDirectory(jar.get().resolveSibling("lib"))) {
      entries.add(jar.get());
      try (DirectoryStream<Path> lib =
          Files.newDirectoryStream(jar.get().resolveSibling("lib"), "*.jar")) {
        lib.forEach(entries::add);
      } catch (IOException e) {
        throw new IllegalStateException("cannot list " + jar.get().resolveSibling("lib"), e);
      }
      return entries;
    }
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (!e.isBlank()) {
        entries.add(Path.of(e));
      }
    }
    return entries;
  }

  /** {@link #full()} less the jars whose classes the job jar bundles. */
  public static List<Path> withoutJobClasses(Path jobJar) {
    Set<String> bundled = classesOf(jobJar);
    List<Path> kept = new ArrayList<>();
    Optional<Path> cli = millraceJar();
    for (Path entry : full()) {
      if (cli.isPresent() && entry.equals(cli.get())) {
        continue; // the CLI's own classes; its manifest's Class-Path would bring back every jar
      }
      if (Files.isRegularFile(entry) && sharesAClass(entry, bundled)) {
        continue;
      }
      if (Files.isDirectory(entry)
          && Files.isRegularFile(
              entry.resolve("dev/millrace/pipeline/fraud/KafkaFraudJob.class"))) {
        continue; // feature-pipeline's class folder (tests)
      }
      kept.add(entry);
    }
    return kept;
  }

  /** Joins entries for {@code java -cp}. */
  public static String join(List<Path> entries) {
    List<String> s = new ArrayList<>();
    entries.forEach(p -> s.add(p.toAbsolutePath().toString()));
    return String.join(File.pathSeparator, s);
  }

  private static Set<String> classesOf(Path jar) {
    Set<String> names = new HashSet<>();
    try (JarFile j = new JarFile(jar.toFile())) {
      Enumeration<? extends ZipEntry> e = j.entries();
      while (e.hasMoreElements()) {
        String n = e.nextElement().getName();
        if (n.endsWith(".class")) {
          names.add(n);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the job jar " + jar + ": " + e.getMessage(), e);
    }
    return names;
  }

  /**
   * Packages that must come from the job jar only: the Kafka connector and the Avro format load
   * parent-first (org.apache.flink.) when the TaskManager has them, and then meet the job's
   * child-first Kafka and Avro classes (a loader constraint violation). Other libraries the job
   * bundles too stay (Flink itself needs commons-cli, the datagen connector, ...); the job's copies
   * of those load child-first.
   */
  static final List<String> JOB_ONLY =
      List.of(
          "org/apache/flink/connector/kafka/",
          "org/apache/flink/streaming/connectors/kafka/",
          "org/apache/flink/formats/",
          "dev/millrace/");

  /** Whether {@code jar} holds a {@link #JOB_ONLY} class that the job jar bundles too. */
  private static boolean sharesAClass(Path jar, Set<String> bundled) {
    try (JarFile j = new JarFile(jar.toFile())) {
      Enumeration<? extends ZipEntry> e = j.entries();
      while (e.hasMoreElements()) {
        String n = e.nextElement().getName();
        if (n.endsWith(".class")
            && !n.startsWith("META-INF/")
            && !n.endsWith("module-info.class")
            && JOB_ONLY.stream().anyMatch(n::startsWith)
            && bundled.contains(n)) {
          return true;
        }
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }

  /**
   * The fraud job jar: next to the millrace jar, else in the checkout's {@code
   * feature-pipeline/target} (where {@code ./millrace} builds it).
   */
  public static Optional<Path> findJobJar() {
    List<Path> folders = new ArrayList<>();
    millraceJar()
        .ifPresent(
            j -> {
              folders.add(j.getParent());
              // ops/cli/target/millrace.jar in a checkout: its root holds feature-pipeline/
              for (Path up = j.getParent(); up != null; up = up.getParent()) {
                folders.add(up.resolve("feature-pipeline/target"));
              }
            });
    folders.add(Path.of("feature-pipeline/target"));
    folders.add(Path.of("../../feature-pipeline/target"));
    for (Path folder : folders) {
      if (!Files.isDirectory(folder)) {
        continue;
      }
      try (DirectoryStream<Path> jars =
          Files.newDirectoryStream(folder, "millrace-feature-pipeline-*-job.jar")) {
        for (Path jar : jars) {
          return Optional.of(jar.toAbsolutePath().normalize());
        }
      } catch (IOException e) {
        // look in the next folder
      }
    }
    return Optional.empty();
  }
}
