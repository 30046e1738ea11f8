package dev.millrace.ingest.fraud;

import java.io.PrintStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.function.LongUnaryOperator;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A console progress bar (me.tongfei:progressbar) for {@link FraudPublisher}: events sent, rate in
 * events per second, ETA, and the event time reached with label and poison counts.
 */
public final class ProgressBarListener implements FraudPublisher.Listener, AutoCloseable {

  private final ProgressBar bar;
  private final LongUnaryOperator estimatedTotal;

  private ProgressBarListener(String task, long max, PrintStream out, LongUnaryOperator total) {
    this.bar =
        new ProgressBarBuilder()
            .setTaskName(task)
            .setInitialMax(max)
            .setUnit(" ev", 1)
            .showSpeed()
            .setSpeedUnit(ChronoUnit.SECONDS)
            .setStyle(ProgressBarStyle.ASCII)
            .setUpdateIntervalMillis(500)
            .setConsumer(new ConsoleProgressBarConsumer(out))
            .build();
    this.estimatedTotal = total;
  }

  /**
   * For a file replay: the total is estimated from the share of the file read so far, which gives
   * the ETA.
   */
  public static ProgressBarListener forFile(String task, FraudCsvReader reader, PrintStream out) {
    long size = Math.max(1, reader.fileSize());
    return new ProgressBarListener(
        task,
        -1,
        out,
        events -> {
          long read = reader.bytesRead();
          return read <= 0 ? -1 : Math.max(events, (long) (events * (double) size / read));
        });
  }

  /** For a known number of events; {@code total <= 0} gives a bar without an end. */
  public static ProgressBarListener forCount(String task, long total, PrintStream out) {
    long max = total > 0 ? total : -1;
    return new ProgressBarListener(task, max, out, events -> max);
  }

  @Override
  public void onProgress(FraudPublisher.Counts counts, Instant eventTime) {
    long total = estimatedTotal.applyAsLong(counts.events());
    if (total > 0) {
      bar.maxHint(total);
    }
    bar.stepTo(counts.events());
    bar.setExtraMessage(
        " @ "
            + eventTime.truncatedTo(ChronoUnit.SECONDS)
            + " labels "
            + counts.labels()
            + (counts.poison() > 0 ? " poison " + counts.poison() : ""));
  }

  @Override
  public void onFinish(FraudPublisher.Counts counts) {
    bar.maxHint(counts.events());
    bar.stepTo(counts.events());
    bar.setExtraMessage(" labels " + counts.labels() + " poison " + counts.poison());
  }

  @Override
  public void close() {
    bar.close();
  }
}
