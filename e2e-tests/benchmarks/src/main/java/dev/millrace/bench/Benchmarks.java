package dev.millrace.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The benchmark harness: {@code mvn -pl e2e-tests/benchmarks exec:java -Dexec.args="fraud --data
 * ..."}. Each subcommand prints a Markdown table; results go to {@code docs/benchmarks/}.
 */
@Command(
    name = "benchmarks",
    mixinStandardHelpOptions = true,
    description = "Millrace benchmarks; each prints a Markdown report.",
    subcommands = {
      FraudBenchmark.class,
      ChurnBenchmark.class,
      DemandBenchmark.class,
      PerformanceBenchmark.class,
      TlsBenchmark.class
    })
public final class Benchmarks implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a benchmark, e.g. fraud");
  }

  /** Runs the command line and exits with its status (Kafka and Flink leave threads behind). */
  public static void main(String[] args) {
    int code = commandLine().execute(args);
    System.exit(code);
  }

  /** The command line with the one-line error handler. */
  public static CommandLine commandLine() {
    CommandLine cmd = new CommandLine(new Benchmarks());
    cmd.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof UserError) {
            commandLine.getErr().println("error: " + e.getMessage());
            return 2;
          }
          throw e;
        });
    return cmd;
  }

  /** A mistake of the user's (a missing file, a bad flag): one line, no stack trace. */
  public static final class UserError extends RuntimeException {
    public UserError(String message) {
      super(message);
    }
  }
}
