package dev.millrace.ops;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code millrace version}: the Millrace version and the versions of the stack it runs on. */
@Command(
    name = "version",
    mixinStandardHelpOptions = true,
    description = "Print the Millrace version and the versions of Kafka, Flink and DJL it uses.")
public final class VersionCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    for (String line : new Provider().getVersion()) {
      spec.commandLine().getOut().println(line);
    }
  }

  /** Versions read from the jars themselves, not hard-coded. */
  public static final class Provider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
        "millrace " + orUnknown(Millrace.class.getPackage().getImplementationVersion()),
        "kafka " + org.apache.kafka.common.utils.AppInfoParser.getVersion(),
        "flink " + orUnknown(flinkVersion()),
        "java " + System.getProperty("java.version")
      };
    }

    private static String flinkVersion() {
      try {
        return org.apache.flink.runtime.util.EnvironmentInformation.getVersion();
      } catch (LinkageError e) {
        return null;
      }
    }

    private static String orUnknown(String version) {
      return version == null ? "(development build)" : version;
    }
  }
}
