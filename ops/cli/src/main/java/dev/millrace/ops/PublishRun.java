package dev.millrace.ops;

import dev.millrace.ingest.fraud.FraudPublisher;
import dev.millrace.ingest.fraud.LabeledTransaction;
import dev.millrace.kafka.TopicAdmin;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import java.io.PrintWriter;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Runs a {@link FraudPublisher} in the foreground: topics first, Ctrl-C stops it cleanly. */
final class PublishRun {

  private PublishRun() {}

  /** Creates the topics of {@code task} (and the shared ones) when they are missing. */
  static void ensureTopics(
      String bootstrapServers,
      java.util.Map<String, String> kafkaProperties,
      TopicRegistry topics,
      Task task) {
    try (TopicAdmin admin = new TopicAdmin(bootstrapServers, kafkaProperties)) {
      admin.ensure(topics.forTask(task));
      admin.ensure(List.of(topics.models(), topics.control()));
    } catch (IllegalStateException e) {
      if (e.getCause() instanceof java.util.concurrent.ExecutionException x
          && x.getCause() instanceof org.apache.kafka.common.errors.AuthorizationException) {
        throw new UserError(
            "Kafka at "
                + bootstrapServers
                + " refused to create the topics ("
                + x.getCause().getMessage()
                + "): create them as an administrator, e.g. 'millrace broker --secure"
                + " --create-topics fraud'");
      }
      throw new UserError(
          "cannot reach Kafka at "
              + bootstrapServers
              + ": is a broker running? Start one with 'millrace broker'");
    }
  }

  static FraudPublisher.Counts publish(
      FraudPublisher publisher,
      Iterator<LabeledTransaction> source,
      FraudPublisher.Listener listener) {
    CountDownLatch done = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              publisher.stop();
              try {
                done.await(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "millrace-publisher-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      return publisher.publish(source, listener);
    } catch (IllegalStateException e) {
      throw new UserError(e.getMessage());
    } finally {
      done.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running: it waits for us
      }
    }
  }

  static void summary(
      PrintWriter out, String verb, FraudPublisher.Counts c, TopicRegistry topics, long t0) {
    double seconds = Math.max(1e-3, (System.nanoTime() - t0) / 1e9);
    out.printf(
        "%s %d events to %s, %d labels to %s (%d pending labels not sent), %d poison records"
            + " in %.1f s (%.0f events/s)%n",
        verb,
        c.events(),
        topics.fraudEvents().name(),
        c.labels(),
        topics.fraudLabels().name(),
        c.pendingLabels(),
        c.poison(),
        seconds,
        c.events() / seconds);
    out.flush();
  }

  /**
   * The task, when it has the card transaction ingest ({@link TaskCatalog.TaskSpec#ownJob()}: today
   * fraud's); else a user error naming the tasks that have it.
   */
  static Task withTransactionIngest(String task, String what) {
    TaskCatalog.TaskSpec t = TaskCatalog.of(task);
    if (!t.ownJob()) {
      throw new UserError(
          what
              + " for task '"
              + t.name()
              + "' is not available: only "
              + String.join(
                  ", ",
                  TaskCatalog.all().stream()
                      .filter(TaskCatalog.TaskSpec::ownJob)
                      .map(TaskCatalog.TaskSpec::name)
                      .toList()));
    }
    return t.task();
  }
}
