package dev.millrace.trainer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training history of one task: one JSON object per line ({@link TrainingRecord}), appended
 * after every run, promoted or not. The dashboard reads it with {@link #read()}.
 */
public final class TrainingHistory {

  private static final Logger LOG = LoggerFactory.getLogger(TrainingHistory.class);

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

  private final Path file;

  public TrainingHistory(Path file) {
    this.file = file.toAbsolutePath();
  }

  /** {@code <dir>/<task>-history.jsonl}. */
  public static TrainingHistory inDirectory(Path dir, Task task) {
    return new TrainingHistory(dir.resolve(TopicRegistry.taskName(task) + "-history.jsonl"));
  }

  public Path file() {
    return file;
  }

  /** Appends one record as one line (creating the file and its folder if needed). */
  public synchronized void append(TrainingRecord record) {
    try {
      String line = JSON.writeValueAsString(record) + "\n";
      Path parent = file.getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(
          file,
          line,
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND,
          StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to the training history " + file, e);
    }
  }

  /**
   * Every record, oldest first; empty when there is no history yet. Unreadable lines are skipped.
   */
  public synchronized List<TrainingRecord> read() {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the training history " + file, e);
    }
    List<TrainingRecord> records = new ArrayList<>(lines.size());
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      try {
        records.add(JSON.readValue(line, TrainingRecord.class));
      } catch (JsonProcessingException e) {
        LOG.warn("skipping unreadable line {} of {}: {}", i + 1, file, e.getOriginalMessage());
      }
    }
    return records;
  }

  /** The newest record, if any. */
  public Optional<TrainingRecord> last() {
    List<TrainingRecord> all = read();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }
}
