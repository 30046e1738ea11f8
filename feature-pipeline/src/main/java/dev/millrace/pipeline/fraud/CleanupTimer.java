package dev.millrace.pipeline.fraud;

import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.TimerService;

/**
 * One event-time cleanup timer per key, at or before the expiry of the key's newest entry. A newer
 * entry does not move the timer (a delete and a register in the timer queue per record): when the
 * timer fires, {@link #fired} re-arms it at the key's current expiry if that has moved on, so the
 * state is still dropped at exactly its expiry, and a key never has more than one timer.
 */
final class CleanupTimer {

  private final ValueState<Long> at;

  private CleanupTimer(ValueState<Long> at) {
    this.at = at;
  }

  /** Call from {@code open}: the timer's position lives in keyed state {@code cleanup-at}. */
  static CleanupTimer create(RuntimeContext context) {
    return new CleanupTimer(context.getState(new ValueStateDescriptor<>("cleanup-at", Types.LONG)));
  }

  /**
   * Makes sure the current key's timer fires no later than {@code time}, the key's expiry: a timer
   * is registered when there is none, and moved only when it would fire later.
   */
  void moveTo(TimerService timers, long time) throws Exception {
    Long current = at.value();
    if (current != null && current <= time) {
      return; // fires first; fired() then re-arms it at the expiry of that moment
    }
    if (current != null) {
      timers.deleteEventTimeTimer(current);
    }
    timers.registerEventTimeTimer(time);
    at.update(time);
  }

  /**
   * Call from {@code onTimer}: returns true when the key has expired ({@code expiresAt} is not
   * after the timer's time) and its state should be cleared; otherwise re-arms the timer at {@code
   * expiresAt} and returns false.
   */
  boolean fired(TimerService timers, long timestamp, long expiresAt) throws Exception {
    if (expiresAt > timestamp) {
      timers.registerEventTimeTimer(expiresAt);
      at.update(expiresAt);
      return false;
    }
    at.clear();
    return true;
  }

  /** Forgets the current key's timer (after it fired). */
  void clear() {
    at.clear();
  }
}
