package dev.millrace.ops;

import dev.millrace.kafka.BrokerStartException;

/** An error the user can fix; the CLI prints its message as one line, without a stack trace. */
public final class UserError extends RuntimeException {

  public UserError(String message) {
    super(message);
  }

  static boolean isUserError(Throwable e) {
    return e instanceof UserError
        || e instanceof BrokerStartException
        || e instanceof IllegalArgumentException;
  }
}
