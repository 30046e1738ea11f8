package dev.millrace.pipeline.fraud;

import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.TimerService;

/**
 * One event-time cleanup timer per key, kept at the expiry of the key's newest entry: moving it
 * deletes the previous timer, so a key never has more than one.
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

  /** Moves the current key's timer to {@code time} (no-op when it is already there). */
  void moveTo(TimerService timers, long time) throws Exception {
    Long current = at.value();
    if (current != null && current == time) {
      return;
    }
    if (current != null) {
      timers.deleteEventTimeTimer(current);
    }
    timers.registerEventTimeTimer(time);
    at.update(time);
  }

  /** Forgets the current key's timer (after it fired). */
  void clear() {
    at.clear();
  }
}
