package dev.millrace.pipeline;

import dev.millrace.schemas.ScoreRecord;
import dev.millrace.schemas.ScoredFeatures;
import org.apache.flink.api.common.functions.MapFunction;

/** A scored vector as its task's {@code <task>.scores} record. */
public final class ToScoreRecord implements MapFunction<ScoredFeatures, ScoreRecord> {

  private static final long serialVersionUID = 1L;

  @Override
  public ScoreRecord map(ScoredFeatures scored) {
    return ScoreRecord.newBuilder()
        .setTask(scored.getVector().getTask())
        .setEventId(scored.getVector().getEventId())
        .setEntityId(scored.getVector().getEntityId())
        .setPrediction(scored.getPrediction())
        .setModelVersion(scored.getModelVersion())
        .setFallbackReason(scored.getFallbackReason())
        .setEventTime(scored.getVector().getEventTime())
        .setScoringTime(scored.getScoringTime())
        .build();
  }
}
