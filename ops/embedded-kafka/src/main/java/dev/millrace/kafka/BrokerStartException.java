package dev.millrace.kafka;

/** The broker could not start for a reason the user can fix; the message says what to do. */
public final class BrokerStartException extends RuntimeException {
  public BrokerStartException(String message) {
    super(message);
  }

  public BrokerStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
