package dev.millrace.ops.dashboard;

/** The dashboard's port is taken; the message says which and what to do. */
public final class DashboardPortInUseException extends IllegalStateException {
  public DashboardPortInUseException(String message) {
    super(message);
  }
}
