package dev.millrace.pipeline.fraud;

import dev.millrace.schemas.fraud.FraudLabel;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A dozen transactions of two customers (C1, C2) at two terminals (T1, T2) over 42 days, with fraud
 * labels arriving before and after the transactions they could influence, and the features worked
 * out by hand (see the comments; times are hours after Monday 2018-04-02T00:00Z).
 */
final class FraudFixture {

  static final Instant T0 = Instant.parse("2018-04-02T00:00:00Z"); // a Monday

  /**
   * More than the largest gap in event time between consecutive transactions or labels of the
   * fixture (16 days): the {@code maxAheadOfStream} of jobs that read it.
   */
  static final Duration MAX_GAP = Duration.ofDays(30);

  static Instant at(long hours) {
    return T0.plus(Duration.ofHours(hours));
  }

  static FraudTransaction tx(long id, long hours, String customer, String terminal, double amount) {
    return FraudTransaction.newBuilder()
        .setTransactionId(id)
        .setEventTime(at(hours))
        .setCustomerId(customer)
        .setTerminalId(terminal)
        .setAmount(amount)
        .build();
  }

  static FraudLabel label(FraudTransaction tx, long labelHours, boolean fraud) {
    return FraudLabel.newBuilder()
        .setTransactionId(tx.getTransactionId())
        .setCustomerId(tx.getCustomerId())
        .setTerminalId(tx.getTerminalId())
        .setTransactionTime(tx.getEventTime())
        .setLabelTime(at(labelHours))
        .setFraud(fraud)
        .build();
  }

  static final FraudTransaction TX1 = tx(1, 10, "C1", "T1", 100); // d0 10:00
  static final FraudTransaction TX2 = tx(2, 20, "C1", "T2", 50); // d0 20:00
  static final FraudTransaction TX3 = tx(3, 23, "C2", "T1", 30); // d0 23:00
  static final FraudTransaction TX4 = tx(4, 29, "C1", "T1", 10); // d1 05:00 night
  static final FraudTransaction TX5 = tx(5, 132, "C1", "T1", 40); // d5 12:00 Saturday
  static final FraudTransaction TX6 = tx(6, 204, "C2", "T1", 60); // d8 12:00
  static final FraudTransaction TX7 = tx(7, 205, "C1", "T1", 20); // d8 13:00
  static final FraudTransaction TX8 = tx(8, 227, "C2", "T2", 70); // d9 11:00
  static final FraudTransaction TX9 = tx(9, 372, "C1", "T1", 80); // d15 12:00
  static final FraudTransaction TX10 = tx(10, 753, "C1", "T2", 90); // d31 09:00
  static final FraudTransaction TX11 = tx(11, 924, "C2", "T1", 25); // d38 12:00
  static final FraudTransaction TX12 = tx(12, 939, "C1", "T1", 5); // d39 03:00 night
  static final FraudTransaction TX13 = tx(13, 1020, "C2", "T1", 15); // d42 12:00

  /** tx1 is fraud, known at d3 00:00 (within the label delay). */
  static final FraudLabel L1 = label(TX1, 72, true);

  /** tx3 is confirmed genuine at hour 100. */
  static final FraudLabel G3 = label(TX3, 100, false);

  /** tx4 is fraud, known only at d10 (hour 240), but received early (before tx6). */
  static final FraudLabel L2 = label(TX4, 240, true);

  /** tx8 is fraud, known at hour 250, received before tx8 itself. */
  static final FraudLabel L4 = label(TX8, 250, true);

  /** tx6 is fraud, known at d40 (hour 960): after tx6's label delay, before tx13. */
  static final FraudLabel L3 = label(TX6, 960, true);

  /** Transactions and labels in processing order. */
  static final List<Object> ORDER =
      List.of(
          TX1, TX2, TX3, TX4, L1, G3, TX5, L2, TX6, TX7, L4, TX8, TX9, TX10, TX11, TX12, L3, TX13);

  static List<FraudTransaction> transactions() {
    List<FraudTransaction> txs = new ArrayList<>();
    for (Object o : ORDER) {
      if (o instanceof FraudTransaction tx) {
        txs.add(tx);
      }
    }
    return txs;
  }

  static List<FraudLabel> labels() {
    List<FraudLabel> labels = new ArrayList<>();
    for (Object o : ORDER) {
      if (o instanceof FraudLabel l) {
        labels.add(l);
      }
    }
    return labels;
  }

  private static final float THIRD = 1f / 3f;

  /**
   * The 15 features of each transaction, by id. Customer windows are (t - w, t] with the current
   * transaction; terminal windows are (t - 7d - w, t - 7d], fraud only if the label was received
   * and its label time is not after t.
   */
  static final Map<Long, float[]> EXPECTED = new TreeMap<>();

  static {
    // amount, weekend, night | C nb1, avg1, nb7, avg7, nb30, avg30 | T nb1, r1, nb7, r7, nb30, r30
    EXPECTED.put(1L, new float[] {100, 0, 0, 1, 100, 1, 100, 1, 100, 0, 0, 0, 0, 0, 0});
    // C1 window holds tx1 (10h before).
    EXPECTED.put(2L, new float[] {50, 0, 0, 2, 75, 2, 75, 2, 75, 0, 0, 0, 0, 0, 0});
    EXPECTED.put(3L, new float[] {30, 0, 0, 1, 30, 1, 30, 1, 30, 0, 0, 0, 0, 0, 0});
    // (5h, 29h] holds tx1, tx2, tx4: (100 + 50 + 10) / 3.
    EXPECTED.put(
        4L, new float[] {10, 0, 1, 3, 160f / 3, 3, 160f / 3, 3, 160f / 3, 0, 0, 0, 0, 0, 0});
    // Saturday. 7d/30d: tx1, tx2, tx4, tx5 = 200 / 4.
    EXPECTED.put(5L, new float[] {40, 1, 0, 1, 40, 4, 50, 4, 50, 0, 0, 0, 0, 0, 0});
    // C2 30d: tx3, tx6. T1 until 36h: 1d (12, 36] = tx3, tx4 (tx4's label time 240 > 204: not
    // fraud yet although received); 7d/30d add tx1 (fraud since 72) = 1/3.
    EXPECTED.put(6L, new float[] {60, 0, 0, 1, 60, 1, 60, 2, 45, 2, 0, 3, THIRD, 3, THIRD});
    // C1 7d (37, 205]: tx5, tx7; 30d: tx1, tx2, tx4, tx5, tx7 = 220 / 5. T1 as for tx6.
    EXPECTED.put(7L, new float[] {20, 0, 0, 1, 20, 2, 30, 5, 44, 2, 0, 3, THIRD, 3, THIRD});
    // C2 1d (203, 227]: tx6, tx8. T2 until 59h: 7d/30d hold tx2 (genuine).
    EXPECTED.put(8L, new float[] {70, 0, 0, 2, 65, 2, 65, 3, 160f / 3, 0, 0, 1, 0, 1, 0});
    // C1 7d (204, 372]: tx7, tx9; 30d: all six = 300 / 6. T1 until 204h: 1d = tx6; 7d = tx5,
    // tx6; 30d = tx1, tx3, tx4, tx5, tx6 with tx1 and tx4 (240 <= 372) fraud = 2/5.
    EXPECTED.put(9L, new float[] {80, 0, 0, 1, 80, 2, 50, 6, 50, 1, 0, 2, 0, 5, 0.4f});
    // C1 30d (33, 753]: tx5, tx7, tx9, tx10 = 230 / 4. T2 30d until 585h: tx2, tx8 (label
    // received before tx8 itself, known since 250) = 1/2.
    EXPECTED.put(10L, new float[] {90, 0, 0, 1, 90, 1, 90, 4, 57.5f, 0, 0, 0, 0, 2, 0.5f});
    // C2 30d (204, 924]: tx6 exactly 30 days before is out; tx8, tx11 = 95 / 2. T1 30d (36, 756]:
    // tx5, tx6, tx7, tx9; tx6's label has not arrived.
    EXPECTED.put(11L, new float[] {25, 0, 0, 1, 25, 1, 25, 2, 47.5f, 0, 0, 0, 0, 4, 0});
    // Night. C1 30d (219, 939]: tx9, tx10, tx12 = 175 / 3.
    EXPECTED.put(12L, new float[] {5, 0, 1, 1, 5, 1, 5, 3, 175f / 3, 0, 0, 0, 0, 4, 0});
    // C2 7d/30d: tx11, tx13. T1 30d (132, 852]: tx6, tx7, tx9 (tx5 exactly at the bound is out),
    // tx6 fraud since 960 <= 1020 = 1/3.
    EXPECTED.put(13L, new float[] {15, 0, 0, 1, 15, 2, 20, 2, 20, 0, 0, 0, 0, 3, THIRD});
  }

  private FraudFixture() {}
}
