package dev.millrace.schemas;

import dev.millrace.schemas.churn.ChurnActivity;
import dev.millrace.schemas.demand.DemandObservation;
import dev.millrace.schemas.fraud.FraudLabel;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;

/**
 * Every top-level Avro record type of Millrace: the values of every topic, and the records that
 * flow between operators and live in Flink state. Each has a recorded history (avro-history/).
 */
public final class RecordTypes {

  public static final List<Class<? extends SpecificRecord>> ALL =
      List.of(
          FraudTransaction.class,
          FraudLabel.class,
          ChurnActivity.class,
          DemandObservation.class,
          OutcomeLabel.class,
          ScoreRecord.class,
          TrainingExample.class,
          DeadLetter.class,
          ModelAnnouncement.class,
          FeatureVector.class,
          ScoredFeatures.class,
          ModelQuality.class,
          RetrainRequest.class);

  private RecordTypes() {}
}
