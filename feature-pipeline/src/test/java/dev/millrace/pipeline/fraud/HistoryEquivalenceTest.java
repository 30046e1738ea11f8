package dev.millrace.pipeline.fraud;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The customer and terminal histories (binary-searched windows, arrays reused in place) give
 * exactly the features of the first, whole-scan versions, bit for bit, on random streams with
 * out-of-order and late transactions, duplicate times, labels before and after their transaction,
 * expiry and long idle gaps.
 */
class HistoryEquivalenceTest {

  private static final long HOUR = 3_600_000L;
  private static final long DAY = 24 * HOUR;

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void customerHistoryMatchesTheWholeScanVersion(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    long lateness = random.nextBoolean() ? 0 : 2 * HOUR;
    CustomerHistory fast = new CustomerHistory();
    ReferenceCustomerHistory reference = new ReferenceCustomerHistory();
    long now = 0;
    for (int i = 0; i < 20_000; i++) {
      now += gap(random);
      long time = now - (random.nextInt(10) == 0 ? random.nextLong(3 * HOUR) : 0);
      double amount = Math.round(random.nextDouble(0, 300) * 100) / 100.0;
      double[] expected = reference.observe(time, amount, lateness);
      assertThat(fast.observe(time, amount, lateness)).as("tx %d", i).containsExactly(expected);
      assertThat(fast.size()).isEqualTo(reference.size());
      assertThat(fast.expiresAt(lateness)).isEqualTo(reference.expiresAt(lateness));
      if (random.nextInt(500) == 0) {
        long at = now + random.nextLong(40 * DAY);
        assertThat(fast.expire(at, lateness)).isEqualTo(reference.expire(at, lateness));
        assertThat(fast.size()).isEqualTo(reference.size());
      }
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void terminalHistoryMatchesTheWholeScanVersion(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    long lateness = random.nextBoolean() ? 0 : 2 * HOUR;
    TerminalHistory fast = new TerminalHistory();
    ReferenceTerminalHistory reference = new ReferenceTerminalHistory();
    long now = 0;
    long[] recentIds = new long[64];
    long[] recentTimes = new long[64];
    for (int i = 0; i < 20_000; i++) {
      now += gap(random);
      long time = now - (random.nextInt(10) == 0 ? random.nextLong(3 * HOUR) : 0);
      long id = i + 1;
      recentIds[i % 64] = id;
      recentTimes[i % 64] = time;
      double[] expected = reference.observe(time, id, lateness);
      assertThat(fast.observe(time, id, lateness)).as("tx %d", i).containsExactly(expected);
      int r = random.nextInt(20);
      if (r == 0) {
        // a label for a recent transaction, known some days after it
        int k = random.nextInt(Math.min(i + 1, 64));
        long labelTime = recentTimes[k] + random.nextLong(10 * DAY);
        assertThat(fast.fraudLabel(recentIds[k], recentTimes[k], labelTime, lateness))
            .isEqualTo(reference.fraudLabel(recentIds[k], recentTimes[k], labelTime, lateness));
      } else if (r == 1) {
        // a label that arrives before its transaction (which may never come)
        long future = id + 1 + random.nextInt(3);
        long labelTime = now + random.nextLong(DAY);
        assertThat(fast.fraudLabel(future, now + HOUR, labelTime, lateness))
            .isEqualTo(reference.fraudLabel(future, now + HOUR, labelTime, lateness));
      }
      assertThat(fast.size()).isEqualTo(reference.size());
      assertThat(fast.pendingLabels()).isEqualTo(reference.pendingLabels());
      assertThat(fast.expiresAt(lateness)).isEqualTo(reference.expiresAt(lateness));
      if (random.nextInt(500) == 0) {
        long at = now + random.nextLong(50 * DAY);
        assertThat(fast.expire(at, lateness)).isEqualTo(reference.expire(at, lateness));
      }
    }
  }

  /** Mostly minutes to hours, sometimes the same millisecond, sometimes weeks of silence. */
  private static long gap(SplittableRandom random) {
    int kind = random.nextInt(100);
    if (kind < 5) {
      return 0;
    }
    if (kind < 7) {
      return random.nextLong(10 * DAY, 45 * DAY);
    }
    return random.nextLong(1, 12 * HOUR);
  }
}
