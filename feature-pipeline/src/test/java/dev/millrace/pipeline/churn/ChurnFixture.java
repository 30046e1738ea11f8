package dev.millrace.pipeline.churn;

import dev.millrace.schemas.FeatureVector;
import dev.millrace.schemas.ScoredFeatures;
import dev.millrace.schemas.churn.ChurnActivity;
import java.time.Duration;
import java.time.Instant;

/** Activity lines and scored points for the churn tests. */
final class ChurnFixture {

  /** Day 0 of the tests, 10:00 UTC. */
  static final Instant DAY0 = Instant.parse("2011-01-01T10:00:00Z");

  private ChurnFixture() {}

  static long day(double d) {
    return DAY0.toEpochMilli() + Math.round(d * 86_400_000d);
  }

  static ChurnActivity line(
      String customer, String invoice, double day, int quantity, double price, String country) {
    return ChurnActivity.newBuilder()
        .setCustomerId(customer)
        .setInvoiceId(invoice)
        .setItemId("item-" + invoice + "-" + quantity)
        .setQuantity(quantity)
        .setUnitPrice(price)
        .setCountry(country)
        .setEventTime(Instant.ofEpochMilli(day(day)))
        .build();
  }

  static ChurnSettings settings(Duration rescoreEvery, Duration retention) {
    return new ChurnSettings(rescoreEvery, Duration.ofDays(90), Duration.ofDays(1), retention);
  }

  static ScoredFeatures scored(FeatureVector v, double prediction) {
    return ScoredFeatures.newBuilder()
        .setVector(v)
        .setPrediction(prediction)
        .setModelVersion("v-test")
        .setScoringTime(v.getEventTime())
        .build();
  }
}
