package dev.millrace.pipeline.task;

import dev.millrace.pipeline.AvroRecordSerializer;
import dev.millrace.pipeline.DeadLetterSerializer;
import dev.millrace.pipeline.KafkaJobSettings;
import dev.millrace.pipeline.KafkaJobs;
import dev.millrace.schemas.ModelQuality;
import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.scorer.ModelLoader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * A task's job on Kafka: {@link TaskPipeline} with the task's {@code <task>.events} source (decoded
 * and validated in the source), {@code millrace.models}, and Kafka sinks for {@code <task>.scores},
 * {@code <task>.training}, {@code <task>.quality} and {@code <task>.dlq}, with the checkpoints and
 * delivery guarantee of {@link KafkaJobs}.
 */
public final class KafkaTaskJob {

  private KafkaTaskJob() {}

  /** The job name of a task, e.g. {@code millrace-churn}. */
  public static String jobName(TaskDefinition<?> task) {
    return "millrace-" + task.name();
  }

  /** Attaches the task's job to {@code env} and starts it without waiting; models load with DJL. */
  public static <E extends SpecificRecord> JobClient start(
      StreamExecutionEnvironment env,
      TaskDefinition<E> task,
      KafkaJobSettings kafka,
      TaskJobOptions options)
      throws Exception {
    attach(env, task, kafka, options, KafkaJobs.loader(kafka));
    return env.executeAsync(jobName(task));
  }

  /** Adds the task's job with its Kafka sources and sinks and checkpointing to {@code env}. */
  public static <E extends SpecificRecord> void attach(
      StreamExecutionEnvironment env,
      TaskDefinition<E> task,
      KafkaJobSettings kafka,
      TaskJobOptions options,
      ModelLoader loader) {
    KafkaJobs.configure(env, kafka);
    TopicRegistry topics = kafka.topics();
    Task t = task.task();
    TaskPipeline.build(
        env,
        task,
        KafkaJobs.source(
            kafka, topics.events(t).name(), "events", TaskPipeline.eventParser(task, options)),
        KafkaJobs.modelSource(kafka),
        KafkaJobs.sink(
            kafka,
            "scores",
            new AvroRecordSerializer<>(
                topics.scores(t).name(), ScoreRecord.class, ScoreRecord::getEntityId)),
        KafkaJobs.sink(
            kafka,
            "training",
            new AvroRecordSerializer<>(
                topics.training(t).name(), TrainingExample.class, TrainingExample::getEntityId)),
        KafkaJobs.sink(kafka, "dlq", new DeadLetterSerializer(topics.dlq(t).name())),
        KafkaJobs.sink(
            kafka,
            "quality",
            new AvroRecordSerializer<>(
                topics.quality(t).name(), ModelQuality.class, ModelQuality::getModelVersion)),
        loader,
        options);
  }
}
