package dev.millrace.ops.backtest;

import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.trainer.RetrainRun;
import dev.millrace.trainer.TrainingRecord;
import java.time.Instant;

/**
 * One scheduled trainer run of a backtest: when in event time, what it trained on and decided, and
 * how long the hold took in wall-clock time.
 *
 * @param scheduledAt the event time at which the replay held back for it
 * @param trainedBefore the examples of transactions before this time were its window
 * @param record the trainer's record of the run
 * @param promoted the announcement when promoted, else null
 * @param holdMillis wall-clock time the replay held back (catching up, training, applying)
 * @param windowDigest {@link dev.millrace.trainer.eval.Slice#digest()} of the training window:
 *     equal in two backtests when the pipeline gave the trainer the same data
 */
public record BacktestRun(
    int number,
    Instant scheduledAt,
    Instant trainedBefore,
    TrainingRecord record,
    ModelAnnouncement promoted,
    long holdMillis,
    String windowDigest) {

  public static BacktestRun of(
      int number,
      Instant scheduledAt,
      Instant trainedBefore,
      RetrainRun.Outcome outcome,
      long holdMillis,
      String windowDigest) {
    return new BacktestRun(
        number,
        scheduledAt,
        trainedBefore,
        outcome.record(),
        outcome.promoted(),
        holdMillis,
        windowDigest);
  }
}
