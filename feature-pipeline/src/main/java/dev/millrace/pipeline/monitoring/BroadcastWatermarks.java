package dev.millrace.pipeline.monitoring;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Watermarks of a control stream that is broadcast into an event-time operator (model announcements
 * into {@link DriftMonitor}): always the largest watermark, so the stream, which may be silent for
 * hours, never holds back the operator's event time, which then follows its keyed input alone.
 */
public final class BroadcastWatermarks<T> implements WatermarkStrategy<T> {

  private static final long serialVersionUID = 1L;

  @Override
  public WatermarkGenerator<T> createWatermarkGenerator(
      WatermarkGeneratorSupplier.Context context) {
    return new Generator<>();
  }

  private static final class Generator<T> implements WatermarkGenerator<T> {
    @Override
    public void onEvent(T event, long eventTimestamp, WatermarkOutput output) {}

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
      output.emitWatermark(new Watermark(Long.MAX_VALUE));
    }
  }
}
