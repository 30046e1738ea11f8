package dev.millrace.pipeline.monitoring;

import dev.millrace.schemas.ScoredFeatures;
import org.apache.flink.api.common.functions.MapFunction;

/** Chained after the scoring operator: keeps what the drift monitor needs of each vector. */
public final class ToDriftSample implements MapFunction<ScoredFeatures, DriftSample> {

  private static final long serialVersionUID = 1L;

  @Override
  public DriftSample map(ScoredFeatures scored) {
    return DriftSample.of(scored);
  }
}
