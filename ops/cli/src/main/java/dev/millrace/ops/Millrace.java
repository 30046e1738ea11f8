package dev.millrace.ops;

import java.io.File;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The {@code millrace} command: one runnable jar with a subcommand per part of the pipeline.
 *
 * <p>Option values come, in this order, from the command line, from the environment (each option
 * names its variable) and from an optional properties file ({@code $MILLRACE_CONFIG}, else {@code
 * ./millrace.properties}) whose keys are option names, optionally qualified by the subcommand
 * ({@code broker.port=9093}).
 */
@Command(
    name = "millrace",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = "Stream-processing machine learning on Kafka, Flink and DJL.",
    subcommands = {
      DemoCommand.class,
      PipelineCommand.class,
      BrokerCommand.class,
      ClusterCommand.class,
      TopicsCommand.class,
      ReplayCommand.class,
      GenerateCommand.class,
      ValidatorCommand.class,
      TrainerCommand.class,
      BacktestCommand.class,
      DashboardCommand.class,
      KeysCommand.class,
      VersionCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Millrace implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /**
   * {@code --log-level}: how much of Millrace's, Flink's and Kafka's logging reaches the console
   * (stderr). The default shows Millrace's INFO lines and everyone's errors; WARN adds Flink's and
   * Kafka's warnings (e.g. each failover's full stack trace), INFO or DEBUG far more.
   */
  @Option(
      names = "--log-level",
      scope = CommandLine.ScopeType.INHERIT,
      paramLabel = "LEVEL",
      defaultValue = "${env:MILLRACE_LOG_LEVEL:-}",
      description =
          "Console logging: ERROR, WARN, INFO, DEBUG or TRACE for all libraries (Flink, Kafka);"
              + " default: Millrace's INFO lines and errors only (MILLRACE_LOG_LEVEL).")
  void logLevel(String level) {
    if (level == null || level.isBlank()) {
      return;
    }
    Level l = Level.toLevel(level.trim(), null);
    if (l == null) {
      throw new ParameterException(
          spec.commandLine(),
          "Invalid value for option '--log-level': '"
              + level
              + "' is not one of ERROR, WARN, INFO, DEBUG, TRACE");
    }
    Configurator.setRootLevel(l);
    for (String library : List.of("org.apache.flink", "org.apache.kafka", "org.apache.pekko")) {
      Configurator.setLevel(library, l);
    }
    Configurator.setLevel("dev.millrace", Level.INFO.isMoreSpecificThan(l) ? l : Level.INFO);
    Configurator.setLevel("dev.millrace.kafka", l);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line; tests call {@code execute} on it. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Millrace());
    configFile()
        .ifPresent(
            file -> cli.setDefaultValueProvider(new CommandLine.PropertiesDefaultProvider(file)));
    cli.setParameterExceptionHandler(new UserErrorOnBadParameters());
    cli.setExecutionExceptionHandler(new UserErrorOnFailure());
    return cli;
  }

  private static java.util.Optional<File> configFile() {
    String configured = System.getenv("MILLRACE_CONFIG");
    if (configured != null && !configured.isBlank()) {
      Path path = Path.of(configured);
      if (!Files.isReadable(path)) {
        throw new IllegalStateException(
            "MILLRACE_CONFIG points at " + path + ", which cannot be read");
      }
      return java.util.Optional.of(path.toFile());
    }
    Path local = Path.of("millrace.properties");
    return Files.isReadable(local)
        ? java.util.Optional.of(local.toFile())
        : java.util.Optional.empty();
  }

  /** A mistyped flag or value: one line saying what is wrong and how to get help; exit 2. */
  static final class UserErrorOnBadParameters implements IParameterExceptionHandler {
    @Override
    public int handleParseException(ParameterException ex, String[] args) {
      CommandLine cmd = ex.getCommandLine();
      PrintWriter err = cmd.getErr();
      err.println("millrace: " + ex.getMessage());
      err.println("Try 'millrace " + qualifiedName(cmd) + " --help'.");
      err.flush();
      return 2;
    }

    private static String qualifiedName(CommandLine cmd) {
      String full = cmd.getCommandSpec().qualifiedName(" ");
      return full.startsWith("millrace") ? full.substring("millrace".length()).trim() : full;
    }
  }

  /** A user error while running: one line, no stack trace; exit 1. Bugs keep their trace. */
  static final class UserErrorOnFailure implements IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(
        Exception ex, CommandLine cmd, CommandLine.ParseResult parseResult) throws Exception {
      if (UserError.isUserError(ex)) {
        cmd.getErr().println("millrace: " + ex.getMessage());
        cmd.getErr().flush();
        return UserError.exitCode(ex);
      }
      throw ex;
    }
  }
}
