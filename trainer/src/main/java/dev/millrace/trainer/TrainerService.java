package dev.millrace.trainer;

import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.DeadLetterHeaders;
import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.RetrainRequest;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.TrainingExample;
import dev.millrace.scorer.FeatureSchema;
import dev.millrace.scorer.ModelLoader;
import dev.millrace.scorer.model.DjlModelLoader;
import dev.millrace.scorer.model.ModelManifest;
import dev.millrace.scorer.model.ModelStore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The retraining service of one task. It reads {@code <task>.training} with {@code
 * isolation.level=read_committed} from the beginning, keeps the recent window in a {@link
 * TrainingBuffer}, and when the {@link RetrainPolicy} says so trains a challenger on a background
 * thread (consumption never waits for training). A promoted model is stored in the model store and
 * then announced on {@code millrace.models}; every run is appended to the {@link TrainingHistory}.
 * A failing run is logged and recorded and the service goes on; scoring never depends on this
 * service being alive, only on the announcements.
 *
 * <p>Examples that do not follow the service's feature schema, hold non-finite values or cannot be
 * decoded are refused and sent to {@code <task>.dlq} with a reason.
 *
 * <pre>{@code
 * TrainerService trainer = TrainerService.start(settings); // runs on its own thread
 * trainer.status().line(Instant.now());
 * trainer.close();
 * }</pre>
 */
public final class TrainerService implements Runnable, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TrainerService.class);
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration ANNOUNCE_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration RUN_SHUTDOWN_WAIT = Duration.ofMinutes(2);
  private static final String STAGE = "trainer";

  private final TrainerSettings settings;
  private final Topic<String, TrainingExample> trainingTopic;
  private final TrainingBuffer buffer;
  private final RetrainPolicy policy;
  private final TrainingHistory history;
  private final ModelAnnouncements announcements;
  private final RetrainRun retrainRun;
  private final Clock clock;
  private final ExecutorService trainingThread;
  private final String fingerprint;
  private final Object lock = new Object();
  // used by the service thread only
  private final ControlRequests control;

  private volatile boolean closed;
  private final java.util.concurrent.atomic.AtomicBoolean shutDown =
      new java.util.concurrent.atomic.AtomicBoolean();
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private volatile Thread serviceThread;
  private KafkaProducer<byte[], DeadLetter> dlqProducer;

  // guarded by lock
  private TrainerStatus.State state = TrainerStatus.State.STARTING;
  private long consumed;
  private long rejected;
  private long runsStarted;
  private long runsCompleted;
  private boolean training;
  private ModelAnnouncement champion;
  private TrainingRecord lastRun;
  private String lastError;
  private long versionCounter;

  /** A service with the model store of the settings and the DJL loader for the champion. */
  public TrainerService(TrainerSettings settings) {
    this(
        settings,
        new ModelStore(settings.modelStore()),
        new DjlModelLoader(settings.device()),
        Clock.systemUTC());
  }

  public TrainerService(
      TrainerSettings settings, ModelStore store, ModelLoader championLoader, Clock clock) {
    this.settings = settings;
    this.trainingTopic = settings.topics().training(settings.task());
    this.buffer = new TrainingBuffer(settings.windowRows());
    this.policy =
        new RetrainPolicy(settings.retrainEveryExamples(), settings.retrainEvery(), clock);
    this.history = TrainingHistory.inDirectory(settings.historyDir(), settings.task());
    this.announcements =
        new ModelAnnouncements(
            settings.bootstrapServers(), settings.kafkaProperties(), settings.topics());
    this.clock = clock;
    this.retrainRun =
        new RetrainRun(
            settings,
            store,
            championLoader,
            a -> announcements.announce(a, ANNOUNCE_TIMEOUT),
            clock);
    this.fingerprint = settings.featureSchema().fingerprint();
    this.control =
        new ControlRequests(
            settings.bootstrapServers(),
            settings.kafkaProperties(),
            settings.topics().control(),
            settings.task());
    this.trainingThread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "millrace-trainer-" + settings.taskName() + "-train");
              t.setDaemon(true);
              return t;
            });
  }

  /** Creates the service and runs it on a daemon thread of its own. */
  public static TrainerService start(TrainerSettings settings) {
    TrainerService service = new TrainerService(settings);
    service.startThread();
    return service;
  }

  /** Runs this service on a daemon thread of its own; returns at once. */
  public TrainerService startThread() {
    Thread t = new Thread(this, "millrace-trainer-" + settings.taskName());
    t.setDaemon(true);
    serviceThread = t;
    t.start();
    return this;
  }

  public TrainerSettings settings() {
    return settings;
  }

  public TrainingHistory history() {
    return history;
  }

  /** The current champion as this service knows it. */
  public Optional<ModelAnnouncement> champion() {
    synchronized (lock) {
      return Optional.ofNullable(champion);
    }
  }

  /**
   * Asks for a retrain as soon as no run is in progress (e.g. on drift). Requests of this task on
   * {@code millrace.control} ({@link RetrainRequest}, sent by the job's drift monitor) arrive here.
   */
  public void requestRetrain(String reason) {
    policy.requestEarlyRetrain(reason);
  }

  public TrainerStatus status() {
    synchronized (lock) {
      return new TrainerStatus(
          settings.taskName(),
          state,
          consumed,
          rejected,
          buffer.size(),
          buffer.positives(),
          policy.newExamples(),
          runsStarted,
          runsCompleted,
          training,
          champion == null ? null : champion.getVersion(),
          lastRun,
          lastError,
          settings.model().isRegression());
    }
  }

  /** Waits until at least {@code runs} runs have finished; false when the timeout passed first. */
  public boolean awaitCompletedRuns(long runs, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (runsCompleted < runs) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(lock, left);
      }
      return true;
    }
  }

  /**
   * Waits until the service has looked up the champion and started consuming (or stopped); false
   * when the timeout passed first.
   */
  public boolean awaitStarted(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (state == TrainerStatus.State.STARTING) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(lock, left);
      }
      return true;
    }
  }

  @Override
  public void run() {
    String task = settings.taskName();
    try {
      announcements.ensureTopic(STARTUP_TIMEOUT);
      // Early-retrain requests (drift) of this task that arrive from now on.
      control.start(STARTUP_TIMEOUT);
      Optional<ModelAnnouncement> current =
          announcements.currentChampion(settings.task(), STARTUP_TIMEOUT);
      synchronized (lock) {
        champion = current.orElse(null);
        state = TrainerStatus.State.RUNNING;
        lock.notifyAll();
      }
      LOG.info(
          "{}: trainer reads {} (window {} rows, retrain every {} examples or {}), champion {},"
              + " history {}",
          task,
          trainingTopic.name(),
          settings.windowRows(),
          settings.retrainEveryExamples(),
          settings.retrainEvery(),
          current.map(ModelAnnouncement::getVersion).orElse("none"),
          history.file());
      consume();
      setState(TrainerStatus.State.STOPPED, null);
    } catch (WakeupException e) {
      setState(TrainerStatus.State.STOPPED, null);
    } catch (RuntimeException e) {
      if (closed) {
        setState(TrainerStatus.State.STOPPED, null);
      } else {
        LOG.error("{}: trainer service stopped on an error", task, e);
        setState(TrainerStatus.State.FAILED, e.getClass().getSimpleName() + ": " + e.getMessage());
      }
    } finally {
      control.close();
    }
  }

  private void consume() {
    Properties p = new Properties();
    p.putAll(settings.kafkaProperties());
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, settings.consumerGroup());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "millrace-trainer-" + settings.taskName());
    Map<TopicPartition, Long> next = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer = c;
      if (closed) {
        return;
      }
      c.subscribe(
          List.of(trainingTopic.name()),
          new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
              // The window is rebuilt from the start of the topic; after a rebalance we go on
              // where this process left off, so no example enters the window twice.
              for (TopicPartition tp : partitions) {
                Long offset = next.get(tp);
                if (offset == null) {
                  c.seekToBeginning(List.of(tp));
                } else {
                  c.seek(tp, offset);
                }
              }
            }
          });
      while (!closed) {
        ConsumerRecords<byte[], byte[]> records = c.poll(Duration.ofMillis(500));
        long accepted = 0;
        for (ConsumerRecord<byte[], byte[]> r : records) {
          if (accept(r)) {
            accepted++;
          }
          next.put(new TopicPartition(r.topic(), r.partition()), r.offset() + 1);
        }
        policy.recordExamples(accepted);
        for (RetrainRequest request : control.poll(Duration.ZERO)) {
          LOG.info("{}: early retrain requested: {}", settings.taskName(), request.getReason());
          requestRetrain(request.getReason());
        }
        maybeStartRun();
        if (!records.isEmpty()) {
          c.commitAsync(); // only to show the group's lag; the window is rebuilt on restart
        }
      }
    } finally {
      consumer = null;
    }
  }

  private boolean accept(ConsumerRecord<byte[], byte[]> r) {
    TrainingExample example;
    try {
      example = trainingTopic.valueSerde().deserializer().deserialize(r.topic(), r.value());
    } catch (RuntimeException e) {
      reject(r, "UNREADABLE", e.getMessage());
      return false;
    }
    if (example == null) {
      reject(r, "EMPTY_VALUE", "the record has no value");
      return false;
    }
    String problem = problem(example);
    if (problem != null) {
      reject(
          r,
          problem.substring(0, problem.indexOf(':')),
          problem.substring(problem.indexOf(':') + 2));
      return false;
    }
    buffer.add(example);
    synchronized (lock) {
      consumed++;
    }
    return true;
  }

  /** {@code CODE: sentence}, or null when the example is fine. */
  private String problem(TrainingExample e) {
    if (e.getTask() != settings.task()) {
      return "WRONG_TASK: example of task " + e.getTask() + " on the " + settings.task() + " topic";
    }
    if (!fingerprint.equals(e.getFeatureSchemaFingerprint())) {
      return "FEATURE_SCHEMA_MISMATCH: feature schema "
          + e.getFeatureSchemaFingerprint()
          + " differs from the trainer's "
          + fingerprint;
    }
    FeatureSchema schema = settings.featureSchema();
    if (e.getFeatures().size() != schema.size()) {
      return "FEATURE_COUNT_MISMATCH: "
          + e.getFeatures().size()
          + " feature values, the schema has "
          + schema.size();
    }
    for (int i = 0; i < e.getFeatures().size(); i++) {
      Float v = e.getFeatures().get(i);
      // NaN is a missing value (no sales a week ago, an unknown competitor), which the model's
      // normaliser imputes, in training as in scoring; an infinity is a broken feature.
      if (v == null || Float.isInfinite(v)) {
        return "NON_FINITE_FEATURE: feature " + schema.names().get(i) + " is " + v;
      }
    }
    if (!Double.isFinite(e.getLabel())) {
      return "NON_FINITE_LABEL: label is " + e.getLabel();
    }
    if (e.getLabel() < 0
        && ModelManifest.FeatureStats.LOG1P.equals(settings.model().head().targetTransform())) {
      return "NEGATIVE_LABEL: label "
          + e.getLabel()
          + " is below 0, which a log1p regression target cannot be";
    }
    return null;
  }

  private void reject(ConsumerRecord<byte[], byte[]> r, String code, String reason) {
    long count;
    synchronized (lock) {
      count = ++rejected;
    }
    if (count <= 10 || Long.bitCount(count) == 1) {
      LOG.warn(
          "{}: refused training example {}-{}@{} ({}): {} [{} refused so far]",
          settings.taskName(),
          r.topic(),
          r.partition(),
          r.offset(),
          code,
          reason,
          count);
    }
    try {
      Topic<byte[], DeadLetter> dlq = settings.topics().dlq(settings.task());
      if (dlqProducer == null) {
        Properties p = new Properties();
        p.putAll(settings.kafkaProperties());
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "millrace-trainer-dlq-" + settings.taskName());
        dlqProducer =
            new KafkaProducer<>(p, dlq.keySerde().serializer(), dlq.valueSerde().serializer());
      }
      DeadLetter letter =
          DeadLetter.newBuilder()
              .setReason(reason == null ? code : reason)
              .setReasonCode(code)
              .setStage(STAGE)
              .setSourceTopic(r.topic())
              .setSourcePartition(r.partition())
              .setSourceOffset(r.offset())
              .setOriginalKey(r.key() == null ? null : ByteBuffer.wrap(r.key()))
              .setOriginalValue(r.value() == null ? null : ByteBuffer.wrap(r.value()))
              .setRejectedAt(clock.instant())
              .build();
      ProducerRecord<byte[], DeadLetter> out = new ProducerRecord<>(dlq.name(), r.key(), letter);
      out.headers()
          .add(DeadLetterHeaders.SOURCE_TOPIC, bytes(r.topic()))
          .add(DeadLetterHeaders.SOURCE_PARTITION, bytes(Integer.toString(r.partition())))
          .add(DeadLetterHeaders.SOURCE_OFFSET, bytes(Long.toString(r.offset())))
          .add(DeadLetterHeaders.REASON, bytes(code))
          .add(DeadLetterHeaders.STAGE, bytes(STAGE));
      dlqProducer.send(
          out,
          (meta, error) -> {
            if (error != null) {
              LOG.warn("{}: cannot write a dead letter: {}", settings.taskName(), error.toString());
            }
          });
    } catch (RuntimeException e) {
      LOG.warn("{}: cannot write a dead letter: {}", settings.taskName(), e.toString());
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private void maybeStartRun() {
    synchronized (lock) {
      if (training || closed) {
        return;
      }
    }
    Optional<String> due = policy.due();
    if (due.isEmpty() || buffer.size() == 0) {
      return;
    }
    policy.runStarted();
    var window = buffer.snapshot();
    Instant dataStart = buffer.earliestEventTime();
    String version;
    ModelAnnouncement currentChampion;
    synchronized (lock) {
      training = true;
      runsStarted++;
      version = RetrainRun.versionName(settings.taskName(), clock.instant(), ++versionCounter);
      currentChampion = champion;
    }
    String trigger = due.get();
    LOG.info(
        "{}: retraining {} on {} rows ({}): {}",
        settings.taskName(),
        version,
        window.size(),
        settings.model().isRegression() ? "regression targets" : window.positives() + " positives",
        trigger);
    trainingThread.execute(() -> runOnce(window, dataStart, version, trigger, currentChampion));
  }

  private void runOnce(
      dev.millrace.trainer.eval.Slice window,
      Instant dataStart,
      String version,
      String trigger,
      ModelAnnouncement currentChampion) {
    TrainingRecord record = null;
    ModelAnnouncement promoted = null;
    try {
      RetrainRun.Outcome outcome =
          retrainRun.run(window, dataStart, version, trigger, currentChampion);
      record = outcome.record();
      promoted = outcome.promoted();
      try {
        history.append(record);
      } catch (RuntimeException e) {
        LOG.warn("{}: cannot record run {}: {}", settings.taskName(), version, e.getMessage());
      }
    } catch (Throwable t) {
      LOG.error("{}: run {} crashed", settings.taskName(), version, t);
    } finally {
      synchronized (lock) {
        if (promoted != null) {
          champion = promoted;
        }
        if (record != null) {
          lastRun = record;
        }
        training = false;
        runsCompleted++;
        lock.notifyAll();
      }
    }
  }

  private void setState(TrainerStatus.State s, String error) {
    synchronized (lock) {
      state = s;
      if (error != null) {
        lastError = error;
      }
      lock.notifyAll();
    }
  }

  /** Stops consuming, waits for a run in progress to finish (up to two minutes), releases all. */
  @Override
  public void close() {
    close(RUN_SHUTDOWN_WAIT);
  }

  /**
   * Stops consuming and waits at most {@code waitForRun} for a training run in progress; a run
   * still going after that is abandoned (interrupted; it announces nothing once closed).
   */
  public void close(Duration waitForRun) {
    if (!shutDown.compareAndSet(false, true)) {
      return;
    }
    closed = true;
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    Thread t = serviceThread;
    if (t != null && t != Thread.currentThread()) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(30));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    trainingThread.shutdown();
    try {
      if (!trainingThread.awaitTermination(waitForRun.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("{}: a training run is still going; abandoning it", settings.taskName());
        trainingThread.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    announcements.close();
    KafkaProducer<byte[], DeadLetter> dlq = dlqProducer;
    if (dlq != null) {
      dlq.close(Duration.ofSeconds(5));
    }
    synchronized (lock) {
      if (state != TrainerStatus.State.FAILED) {
        state = TrainerStatus.State.STOPPED;
      }
      lock.notifyAll();
    }
  }
}
