package dev.millrace.pipeline.fraud;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.ingest.ValidationRules;
import dev.millrace.ingest.fraud.FraudValidation;
import dev.millrace.ingest.fraud.PoisonRecords;
import dev.millrace.pipeline.AvroParser;
import dev.millrace.pipeline.DeadLetters;
import dev.millrace.pipeline.RawRecord;
import dev.millrace.schemas.AvroSerde;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.fraud.FraudLabel;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.Test;

class ParseTest {

  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2018-06-01T00:00:00Z"), ZoneOffset.UTC);

  private static final Duration DAY = Duration.ofDays(1);

  /** Parses every record with a freshly opened parser; valid records and dead letters, in order. */
  private static <T extends SpecificRecord> List<Either<T, DeadLetter>> parse(
      AvroParser<T> parser, RawRecord... records) {
    parser.open(new UnregisteredMetricsGroup());
    return Arrays.stream(records).map(parser::parse).toList();
  }

  private static <T> List<T> valid(List<Either<T, DeadLetter>> parsed) {
    return parsed.stream().filter(Either::isLeft).map(Either::left).toList();
  }

  private static <T> List<DeadLetter> deadLetters(List<Either<T, DeadLetter>> parsed) {
    return parsed.stream().filter(Either::isRight).map(Either::right).toList();
  }

  @Test
  void transactionsAreDecodedValidatedAndPoisonIsDeadLettered() {
    AvroSerde<FraudTransaction> serde = AvroSerde.of(FraudTransaction.class);
    FraudTransaction future = FraudFixture.tx(4, 0, "C1", "T1", 1);
    future.setEventTime(Instant.parse("2018-06-03T00:00:00Z")); // 2 days after the clock
    List<Either<FraudTransaction, DeadLetter>> parsed =
        parse(
            new ParseTransactions(ValidationRules.defaults(), DAY, CLOCK),
            RawRecord.of("t", null, serde.encode(FraudFixture.TX1)),
            new RawRecord("t", 1, 7, 0, new byte[] {9}, new byte[] {1, 2, 3}),
            RawRecord.of("t", null, null),
            RawRecord.of("t", null, new byte[0]),
            RawRecord.of("t", null, serde.encode(FraudFixture.tx(2, 0, "C1", "T1", -1))),
            RawRecord.of("t", null, serde.encode(FraudFixture.tx(3, 0, " ", "T1", 1))),
            RawRecord.of("t", null, serde.encode(future)),
            // written by a producer upgraded before the job: a schema version it does not know
            RawRecord.of("t", null, PoisonRecords.newerSchema(FraudFixture.TX1)),
            RawRecord.of("t", null, serde.encode(FraudFixture.tx(4, 0, "C".repeat(257), "T1", 1))),
            RawRecord.of("t", null, serde.encode(FraudFixture.tx(5, 0, "C".repeat(256), "T1", 1))));

    assertThat(valid(parsed))
        .extracting(FraudTransaction::getTransactionId)
        .containsExactly(1L, 5L); // 256 characters are still accepted
    List<DeadLetter> dead = deadLetters(parsed);
    assertThat(dead)
        .extracting(DeadLetter::getReasonCode)
        .containsExactly(
            AvroParser.UNDECODABLE,
            AvroParser.EMPTY_VALUE,
            AvroParser.EMPTY_VALUE,
            FraudValidation.NEGATIVE_AMOUNT,
            FraudValidation.EMPTY_CUSTOMER_ID,
            FraudValidation.TIME_TOO_FAR_IN_FUTURE,
            AvroParser.UNKNOWN_SCHEMA,
            FraudValidation.ID_TOO_LONG);
    byte[] newer = PoisonRecords.newerSchema(FraudFixture.TX1);
    long fingerprint =
        java.nio.ByteBuffer.wrap(newer, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    assertThat(dead.get(6).getReason())
        .contains("does not know")
        .contains(String.format("%016x", fingerprint));
    assertThat(dead.get(7).getReason()).contains("257 characters");
    DeadLetter first = dead.get(0);
    assertThat(first.getStage()).isEqualTo(ParseTransactions.STAGE);
    assertThat(first.getSourceTopic()).isEqualTo("t");
    assertThat(first.getSourcePartition()).isEqualTo(1);
    assertThat(first.getSourceOffset()).isEqualTo(7L);
    assertThat(DeadLetters.bytes(first.getOriginalKey())).containsExactly(9);
    assertThat(DeadLetters.bytes(first.getOriginalValue())).containsExactly(1, 2, 3);
    assertThat(first.getRejectedAt()).isEqualTo(CLOCK.instant());
    assertThat(dead.get(3).getReason()).contains("-1.0");
    assertThat(dead.get(1).getSourcePartition()).isNull();
  }

  @Test
  void anEventFarAheadOfItsPartitionIsDeadLetteredAndDoesNotMoveTheReference() {
    AvroSerde<FraudTransaction> serde = AvroSerde.of(FraudTransaction.class);
    MovingClock clock = new MovingClock(Instant.parse("2018-06-01T00:00:00Z"));
    ParseTransactions parser = new ParseTransactions(ValidationRules.defaults(), DAY, clock);
    parser.open(new UnregisteredMetricsGroup());
    Instant t = Instant.parse("2018-04-10T00:00:00Z");
    java.util.function.BiFunction<Integer, Instant, Either<FraudTransaction, DeadLetter>> at =
        (partition, time) -> {
          FraudTransaction tx = FraudFixture.tx(1, 0, "C1", "T1", 1);
          tx.setEventTime(time);
          return parser.parse(new RawRecord("t", partition, 0, -1, null, serde.encode(tx)));
        };

    assertThat(at.apply(0, t).isLeft()).isTrue();
    assertThat(at.apply(0, t.plus(Duration.ofHours(23))).isLeft()).isTrue(); // newest: t + 23 h
    // Within a day of the wall clock, but weeks ahead of the stream: rejected.
    Either<FraudTransaction, DeadLetter> hijack =
        at.apply(0, Instant.parse("2018-06-01T12:00:00Z"));
    assertThat(hijack.isRight()).isTrue();
    assertThat(hijack.right().getReasonCode()).isEqualTo(AvroParser.EVENT_TIME_AHEAD_OF_STREAM);
    assertThat(hijack.right().getSourcePartition()).isZero();
    assertThat(hijack.right().getReason()).contains("2018-04-10T23:00:00Z");
    // Just past the bound: rejected; at the bound: accepted (the hijacker did not move it).
    Instant bound = t.plus(Duration.ofHours(23)).plus(DAY);
    assertThat(at.apply(0, bound.plusMillis(1)).isRight()).isTrue();
    assertThat(at.apply(0, bound).isLeft()).isTrue();
    // Older events stay acceptable (late data is the watermark's business, not this check's).
    assertThat(at.apply(0, t).isLeft()).isTrue();
    // Another partition has its own reference: its first record is accepted.
    assertThat(at.apply(1, Instant.parse("2018-06-01T12:00:00Z")).isLeft()).isTrue();
    // Wall-clock time elapsed since the newest accepted event widens the bound (an outage).
    clock.advance(Duration.ofDays(3));
    assertThat(at.apply(0, bound.plus(Duration.ofDays(3))).isLeft()).isTrue();
    assertThat(at.apply(0, bound.plus(Duration.ofDays(4)).plusMillis(1)).isRight()).isTrue();
  }

  @Test
  void sparseLabelsWithLongGapsAreAllAcceptedButNotBeyondTheWallClock() {
    AvroSerde<FraudLabel> serde = AvroSerde.of(FraudLabel.class);
    FraudLabel weeksLater =
        FraudLabel.newBuilder(FraudFixture.L1)
            .setLabelTime(Instant.parse("2018-05-31T00:00:00Z"))
            .build();
    FraudLabel beyondWallClock =
        FraudLabel.newBuilder(FraudFixture.L1)
            .setLabelTime(CLOCK.instant().plus(DAY).plusSeconds(1))
            .build();
    List<Either<FraudLabel, DeadLetter>> parsed =
        parse(
            new ParseLabels(ValidationRules.defaults(), CLOCK),
            new RawRecord("l", 0, 0, -1, null, serde.encode(FraudFixture.L1)),
            new RawRecord("l", 0, 1, -1, null, serde.encode(FraudFixture.L4)), // 7 days later
            new RawRecord("l", 0, 2, -1, null, serde.encode(weeksLater)),
            new RawRecord("l", 0, 3, -1, null, serde.encode(beyondWallClock)));
    assertThat(valid(parsed)).containsExactly(FraudFixture.L1, FraudFixture.L4, weeksLater);
    assertThat(deadLetters(parsed))
        .extracting(DeadLetter::getReasonCode)
        .containsExactly(FraudValidation.TIME_TOO_FAR_IN_FUTURE);
  }

  @Test
  void aPartitionWhoseEventTimeReallyJumpsIsFollowedAfterAFewConsecutiveRecords() {
    AvroSerde<FraudTransaction> serde = AvroSerde.of(FraudTransaction.class);
    ParseTransactions parser = new ParseTransactions(ValidationRules.defaults(), DAY, CLOCK);
    parser.open(new UnregisteredMetricsGroup());
    Instant t = Instant.parse("2018-04-10T00:00:00Z");
    java.util.function.Function<Instant, Either<FraudTransaction, DeadLetter>> at =
        time -> {
          FraudTransaction tx = FraudFixture.tx(1, 0, "C1", "T1", 1);
          tx.setEventTime(time);
          return parser.parse(new RawRecord("t", 0, 0, -1, null, serde.encode(tx)));
        };
    assertThat(at.apply(t).isLeft()).isTrue();
    // Single far records between normal ones never move the reference.
    Instant far = t.plus(Duration.ofDays(10));
    for (int i = 0; i < 5; i++) {
      assertThat(at.apply(far).isRight()).isTrue();
      assertThat(at.apply(t.plusSeconds(i)).isLeft()).isTrue();
    }
    // Far records in a row, but far from each other too: no jump either.
    for (int i = 0; i < 5; i++) {
      assertThat(at.apply(far.plus(Duration.ofDays(3L * i))).isRight()).isTrue();
    }
    // A gap of 10 days in the data: dead letters until the third record in a row confirms it.
    assertThat(at.apply(far).isRight()).isTrue();
    assertThat(at.apply(far.plusSeconds(60)).isRight()).isTrue();
    assertThat(AvroParser.CONFIRMING_RECORDS).isEqualTo(3);
    assertThat(at.apply(far.plusSeconds(120)).isLeft()).isTrue();
    assertThat(at.apply(far.plusSeconds(180)).isLeft()).isTrue();
    assertThat(at.apply(far.plus(Duration.ofHours(23))).isLeft()).isTrue();
  }

  @Test
  void eachLabelPoisonOfPoisonRecordsGetsItsReasonFromTheJobsLabelParser() {
    FraudLabel template =
        new FraudLabel(
            42L,
            "C7",
            "T9",
            Instant.parse("2018-05-30T00:00:00Z"),
            Instant.parse("2018-05-31T00:00:00Z"),
            true);
    AvroSerde<FraudLabel> serde = AvroSerde.of(FraudLabel.class);
    assertThat(
            valid(
                parse(
                    new ParseLabels(ValidationRules.defaults(), CLOCK),
                    RawRecord.of("fraud.labels", null, serde.encode(template)))))
        .containsExactly(template);
    List<PoisonRecords.PoisonRecord> poison = PoisonRecords.forLabels(template, CLOCK.instant());
    assertThat(poison).hasSizeGreaterThanOrEqualTo(8);
    List<Either<FraudLabel, DeadLetter>> parsed =
        parse(
            new ParseLabels(ValidationRules.defaults(), CLOCK),
            poison.stream()
                .map(p -> RawRecord.of("fraud.labels", p.key(), p.value()))
                .toArray(RawRecord[]::new));
    assertThat(valid(parsed)).isEmpty();
    assertThat(deadLetters(parsed))
        .extracting(DeadLetter::getReasonCode)
        .containsExactlyElementsOf(
            poison.stream().map(PoisonRecords.PoisonRecord::expectedReasonCode).toList());
    assertThat(PoisonRecords.LABEL_BEFORE_TRANSACTION)
        .isEqualTo(ParseLabels.LABEL_BEFORE_TRANSACTION);
  }

  @Test
  void labelsAreDecodedAndInconsistentOnesDeadLettered() {
    AvroSerde<FraudLabel> serde = AvroSerde.of(FraudLabel.class);
    AvroSerde<FraudTransaction> txSerde = AvroSerde.of(FraudTransaction.class);
    FraudLabel noTerminal = FraudLabel.newBuilder(FraudFixture.L1).setTerminalId("").build();
    List<Either<FraudLabel, DeadLetter>> parsed =
        parse(
            new ParseLabels(ValidationRules.defaults(), CLOCK),
            RawRecord.of("l", null, serde.encode(FraudFixture.L1)),
            RawRecord.of("l", null, serde.encode(FraudFixture.label(FraudFixture.TX1, 9, true))),
            // A transaction on the labels topic is not a label: not a schema labels know.
            RawRecord.of("l", null, txSerde.encode(FraudFixture.TX1)),
            RawRecord.of("l", null, serde.encode(noTerminal)));

    assertThat(valid(parsed)).containsExactly(FraudFixture.L1);
    assertThat(deadLetters(parsed))
        .extracting(DeadLetter::getReasonCode)
        .containsExactly(
            ParseLabels.LABEL_BEFORE_TRANSACTION,
            AvroParser.UNKNOWN_SCHEMA,
            ParseLabels.EMPTY_TERMINAL_ID);
    assertThat(deadLetters(parsed))
        .allSatisfy(d -> assertThat(d.getStage()).isEqualTo(ParseLabels.STAGE));
  }

  /** A wall clock the test moves. */
  private static final class MovingClock extends Clock {
    private Instant now;

    MovingClock(Instant start) {
      now = start;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }
  }
}
