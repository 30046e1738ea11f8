package dev.millrace.ops;

import dev.millrace.ingest.Pacing;
import dev.millrace.ingest.fraud.FraudPublisher;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Flags shared by the commands that publish transactions and labels: replay and generate. */
final class PublishOptions {

  @Option(
      names = "--label-delay",
      defaultValue = "7d",
      converter = DurationConverter.class,
      paramLabel = "DURATION",
      description = "Time from a fraud to its label, e.g. 7d, 12h (default ${DEFAULT-VALUE}).")
  Duration labelDelay;

  @Option(
      names = "--poison-fraction",
      defaultValue = "0",
      paramLabel = "F",
      description = "Mix in poison records: probability after each event (default 0).")
  double poisonFraction;

  @Option(
      names = "--flush-labels",
      description = "At the end, also send the labels that have not matured yet.")
  boolean flushLabels;

  @Option(names = "--no-progress", description = "Do not draw a progress bar.")
  boolean noProgress;

  /** The publisher's settings from these flags. */
  FraudPublisher.Settings settings(String bootstrapServers, Pacing pacing, long poisonSeed) {
    return FraudPublisher.Settings.defaults(bootstrapServers)
        .withLabelDelay(labelDelay)
        .withPacing(pacing)
        .withPoison(poisonFraction, poisonSeed)
        .withFlushPendingLabels(flushLabels);
  }
}
