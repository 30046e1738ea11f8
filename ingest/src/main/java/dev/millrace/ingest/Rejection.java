package dev.millrace.ingest;

import java.util.Objects;

/**
 * Why an event was refused: a stable machine-readable code (UPPER_SNAKE, e.g. {@code
 * NEGATIVE_AMOUNT}) for counting by reason, and a human sentence that names the bad value.
 */
public record Rejection(String code, String reason) {

  public Rejection {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(reason, "reason");
  }
}
