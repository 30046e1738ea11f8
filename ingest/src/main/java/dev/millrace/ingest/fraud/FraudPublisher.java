package dev.millrace.ingest.fraud;

import dev.millrace.ingest.Pacing;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.schemas.fraud.FraudLabel;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes labelled transactions to Kafka as the outside world would: each transaction at once as
 * Avro on {@code fraud.events} (key: customer id), and, for frauds only, a {@link FraudLabel} on
 * {@code fraud.labels} (key: customer id) once event time has passed the transaction time plus the
 * label delay (a chargeback; genuine transactions get no label). Pending labels wait in a priority
 * queue by label time; those still pending at the end are sent only if {@link
 * Settings#flushPendingLabels()}.
 *
 * <p>All records go through one idempotent producer (acks=all) in the order they are decided, so a
 * label is sent after every transaction whose event time is before its label time. Each record
 * carries a header {@value #SEQUENCE_HEADER} with its 8-byte big-endian send sequence number. The
 * Kafka timestamp is the send time, not the event time: historic event times (a 2018 dataset) would
 * make the broker's time-based retention delete the records at once; consumers take event time from
 * the Avro fields.
 *
 * <p>A fraction of poison records ({@link PoisonRecords#forEvents}) can be mixed into {@code
 * fraud.events}. {@link #stop()} may be called from any thread; {@link #publish} then returns.
 */
public final class FraudPublisher implements AutoCloseable {

  /** Header with the publisher's send sequence number (8 bytes, big-endian). */
  public static final String SEQUENCE_HEADER = "millrace.publish.seq";

  /**
   * Publisher settings.
   *
   * @param bootstrapServers Kafka bootstrap servers
   * @param labelDelay time from a fraud transaction to its label (e.g. 7 days)
   * @param pacing how fast to send
   * @param poisonFraction probability in [0, 1] of a poison record after each transaction
   * @param seed seed of the poison choice
   * @param flushPendingLabels send the labels still pending when the source ends
   * @param labelLead send each label this much event time before its label time (default zero). The
   *     job uses a label only from its label time on, so an early label changes no feature and no
   *     training example; it only makes sure the label has been read before the transactions at its
   *     label time, whatever the lag between the job's events and labels readers. The backtest uses
   *     it to take that processing-time race out of its results.
   */
  public record Settings(
      String bootstrapServers,
      Duration labelDelay,
      Pacing pacing,
      double poisonFraction,
      long seed,
      boolean flushPendingLabels,
      Duration labelLead) {

    public Settings {
      if (bootstrapServers == null || bootstrapServers.isBlank()) {
        throw new IllegalArgumentException("bootstrap servers are required");
      }
      Objects.requireNonNull(labelDelay, "labelDelay");
      Objects.requireNonNull(pacing, "pacing");
      if (labelDelay.isNegative()) {
        throw new IllegalArgumentException("label delay must not be negative: " + labelDelay);
      }
      Objects.requireNonNull(labelLead, "labelLead");
      if (labelLead.isNegative() || labelLead.compareTo(labelDelay) > 0) {
        throw new IllegalArgumentException(
            "label lead must be between 0 and the label delay " + labelDelay + ": " + labelLead);
      }
      if (!(poisonFraction >= 0 && poisonFraction <= 1)) {
        throw new IllegalArgumentException(
            "poison fraction must be between 0 and 1, got " + poisonFraction);
      }
    }

    /** 7-day label delay, as fast as possible, no poison, pending labels dropped at the end. */
    public static Settings defaults(String bootstrapServers) {
      return new Settings(
          bootstrapServers, Duration.ofDays(7), Pacing.max(), 0, 1, false, Duration.ZERO);
    }

    public Settings withLabelDelay(Duration delay) {
      return new Settings(
          bootstrapServers, delay, pacing, poisonFraction, seed, flushPendingLabels, labelLead);
    }

    public Settings withPacing(Pacing newPacing) {
      return new Settings(
          bootstrapServers,
          labelDelay,
          newPacing,
          poisonFraction,
          seed,
          flushPendingLabels,
          labelLead);
    }

    public Settings withPoison(double fraction, long newSeed) {
      return new Settings(
          bootstrapServers, labelDelay, pacing, fraction, newSeed, flushPendingLabels, labelLead);
    }

    public Settings withFlushPendingLabels(boolean flush) {
      return new Settings(
          bootstrapServers, labelDelay, pacing, poisonFraction, seed, flush, labelLead);
    }

    /** Labels go out {@code lead} of event time before their label time (see {@code labelLead}). */
    public Settings withLabelLead(Duration lead) {
      return new Settings(
          bootstrapServers, labelDelay, pacing, poisonFraction, seed, flushPendingLabels, lead);
    }
  }

  /** What has been sent (and acknowledged, once {@link #publish} has returned). */
  public record Counts(long events, long labels, long poison, long pendingLabels) {}

  /** Progress callbacks, on the publishing thread. */
  public interface Listener {
    Listener NONE = new Listener() {};

    /** Called about every {@link #PROGRESS_EVERY} transactions and at least every 0.2 s. */
    default void onProgress(Counts counts, Instant eventTime) {}

    /** Called once when publishing has ended, with the final counts. */
    default void onFinish(Counts counts) {}

    /**
     * Called once for each poison record Kafka acknowledged, with where it landed, on the
     * producer's I/O thread: a test's oracle knows which records were poisoned and how.
     */
    default void onPoisonAcked(PoisonRecords.PoisonRecord poison, int partition, long offset) {}
  }

  public static final int PROGRESS_EVERY = 1_000;

  private record PendingLabel(Instant labelTime, long order, FraudLabel label) {}

  private final Settings settings;
  private final Topic<String, FraudTransaction> events;
  private final Topic<String, FraudLabel> labels;
  private final KafkaProducer<byte[], byte[]> producer;
  private final AtomicLong eventsAcked = new AtomicLong();
  private final AtomicLong labelsAcked = new AtomicLong();
  private final AtomicLong poisonAcked = new AtomicLong();
  private final AtomicReference<Exception> sendError = new AtomicReference<>();
  private volatile boolean stopped;
  private volatile Thread publishing;
  private volatile Listener listener = Listener.NONE;
  private long sequence;

  public FraudPublisher(TopicRegistry topics, Settings settings) {
    this(topics, settings, Map.of());
  }

  /**
   * A publisher whose producer also gets these client properties (e.g. SASL_SSL security from
   * {@code --kafka-config}); the publisher's own producer settings win.
   */
  public FraudPublisher(
      TopicRegistry topics, Settings settings, Map<String, String> kafkaProperties) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.events = topics.fraudEvents();
    this.labels = topics.fraudLabels();
    Properties p = new Properties();
    p.putAll(kafkaProperties);
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    // One request in flight: a batch that fails on a just-created topic (leader not known yet) is
    // retried before any later batch goes out. With more in flight, later batches of the same
    // idempotent producer could land first and the retry then fails for good with
    // OutOfOrderSequenceException until the delivery timeout.
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 128 * 1024);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "millrace-fraud-publisher");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
    this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Asks a running {@link #publish} to return soon; safe from any thread. */
  public void stop() {
    stopped = true;
    Thread t = publishing;
    if (t != null) {
      LockSupport.unpark(t);
    }
  }

  /**
   * Sends every transaction of {@code source} (paced), the due labels and optional poison, then
   * flushes and waits for all acknowledgements.
   *
   * @return the counts sent
   * @throws IllegalStateException if Kafka refused a record
   */
  public Counts publish(Iterator<LabeledTransaction> source, Listener listener) {
    publishing = Thread.currentThread();
    this.listener = Objects.requireNonNull(listener, "listener");
    PriorityQueue<PendingLabel> pending =
        new PriorityQueue<>(
            Comparator.comparing(PendingLabel::labelTime).thenComparingLong(PendingLabel::order));
    SplittableRandom random = new SplittableRandom(settings.seed());
    long sent = 0;
    long order = 0;
    long wallStart = System.nanoTime();
    long lastProgress = wallStart;
    Instant firstEventTime = null;
    Instant eventTime = null;
    try {
      while (!stopped && source.hasNext()) {
        LabeledTransaction tx = source.next();
        eventTime = tx.eventTime();
        if (firstEventTime == null) {
          firstEventTime = eventTime;
        }
        pace(wallStart, firstEventTime, eventTime, sent);
        if (stopped) {
          break;
        }
        Instant labelsUntil = eventTime.plus(settings.labelLead());
        while (!pending.isEmpty() && !pending.peek().labelTime().isAfter(labelsUntil)) {
          sendLabel(pending.poll().label());
        }
        sendEvent(tx.tx());
        sent++;
        if (tx.fraud()) {
          Instant labelTime = eventTime.plus(settings.labelDelay());
          pending.add(new PendingLabel(labelTime, order++, tx.label(labelTime)));
        }
        if (settings.poisonFraction() > 0 && random.nextDouble() < settings.poisonFraction()) {
          sendPoison(PoisonRecords.randomEvent(tx.tx(), Instant.now(), random));
        }
        checkError();
        long now = System.nanoTime();
        if (sent % PROGRESS_EVERY == 0 || now - lastProgress > 200_000_000L) {
          lastProgress = now;
          listener.onProgress(counts(pending.size()), eventTime);
        }
      }
      if (settings.flushPendingLabels() && !stopped) {
        while (!pending.isEmpty()) {
          sendLabel(pending.poll().label());
        }
      }
      producer.flush();
      checkError();
      Counts done = counts(pending.size());
      listener.onFinish(done);
      return done;
    } finally {
      publishing = null;
    }
  }

  /** Counts acknowledged so far; safe from any thread. */
  public Counts counts() {
    return counts(0);
  }

  private Counts counts(long pendingLabels) {
    return new Counts(eventsAcked.get(), labelsAcked.get(), poisonAcked.get(), pendingLabels);
  }

  private void pace(long wallStart, Instant firstEventTime, Instant eventTime, long sent) {
    Pacing pacing = settings.pacing();
    long targetNanos;
    switch (pacing.mode()) {
      case SPEED -> {
        double eventNanos = Duration.between(firstEventTime, eventTime).toNanos();
        targetNanos = wallStart + (long) (eventNanos / pacing.value());
      }
      case RATE -> targetNanos = wallStart + (long) (sent * 1e9 / pacing.value());
      default -> {
        return;
      }
    }
    long wait;
    while (!stopped && (wait = targetNanos - System.nanoTime()) > 0) {
      LockSupport.parkNanos(this, Math.min(wait, TimeUnit.MILLISECONDS.toNanos(100)));
    }
  }

  private void sendEvent(FraudTransaction tx) {
    String topic = events.name();
    byte[] key = events.keySerde().serializer().serialize(topic, tx.getCustomerId());
    byte[] value = events.valueSerde().serializer().serialize(topic, tx);
    send(topic, key, value, eventsAcked);
  }

  private void sendLabel(FraudLabel label) {
    String topic = labels.name();
    byte[] key = labels.keySerde().serializer().serialize(topic, label.getCustomerId());
    byte[] value = labels.valueSerde().serializer().serialize(topic, label);
    send(topic, key, value, labelsAcked);
  }

  private void sendPoison(PoisonRecords.PoisonRecord poison) {
    Listener l = listener;
    send(
        events.name(),
        poison.key(),
        poison.value(),
        poisonAcked,
        metadata -> l.onPoisonAcked(poison, metadata.partition(), metadata.offset()));
  }

  private void send(String topic, byte[] key, byte[] value, AtomicLong counter) {
    send(topic, key, value, counter, metadata -> {});
  }

  private void send(
      String topic, byte[] key, byte[] value, AtomicLong counter, Consumer<RecordMetadata> acked) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(SEQUENCE_HEADER, ByteBuffer.allocate(8).putLong(sequence++).array());
    ProducerRecord<byte[], byte[]> record =
        new ProducerRecord<>(topic, null, null, key, value, headers);
    Callback callback =
        (metadata, error) -> {
          if (error == null) {
            counter.incrementAndGet();
            acked.accept(metadata);
          } else {
            sendError.compareAndSet(null, error);
          }
        };
    producer.send(record, callback);
  }

  private void checkError() {
    Exception e = sendError.get();
    if (e != null) {
      throw new IllegalStateException(
          "Kafka refused a record at " + settings.bootstrapServers() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(30));
  }
}
