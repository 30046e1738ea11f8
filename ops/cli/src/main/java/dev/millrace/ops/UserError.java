package dev.millrace.ops;

import dev.millrace.kafka.BrokerStartException;

/** An error the user can fix; the CLI prints its message as one line, without a stack trace. */
public final class UserError extends RuntimeException {

  private final int exitCode;

  public UserError(String message) {
    this(message, 1);
  }

  /** An error with its own exit code (e.g. 2 for a {@code --device} this machine lacks). */
  public UserError(String message, int exitCode) {
    super(message);
    this.exitCode = exitCode;
  }

  /** The command's exit code for {@code e}: its own for a {@link UserError}, else 1. */
  static int exitCode(Throwable e) {
    return e instanceof UserError u ? u.exitCode : 1;
  }

  static boolean isUserError(Throwable e) {
    return e instanceof UserError
        || e instanceof BrokerStartException
        || e instanceof IllegalArgumentException;
  }
}
