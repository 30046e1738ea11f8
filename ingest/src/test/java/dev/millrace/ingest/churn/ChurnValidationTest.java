package dev.millrace.ingest.churn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.ingest.ReasonCodes;
import dev.millrace.ingest.Rejection;
import dev.millrace.ingest.ValidationRules;
import dev.millrace.schemas.churn.ChurnActivity;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class ChurnValidationTest {

  private static final Instant NOW = Instant.parse("2011-06-01T00:00:00Z");

  private static ChurnActivity.Builder good() {
    return ChurnActivity.newBuilder()
        .setCustomerId("17850")
        .setInvoiceId("536365")
        .setItemId("85123A")
        .setQuantity(6)
        .setUnitPrice(2.55)
        .setCountry("United Kingdom")
        .setEventTime(Instant.parse("2010-12-01T08:26:00Z"));
  }

  /** Built without the builder's checks, so that fields Avro declares non-null can be null. */
  private static ChurnActivity with(Consumer<ChurnActivity> change) {
    ChurnActivity a = good().build();
    change.accept(a);
    return a;
  }

  private static Optional<String> code(ChurnActivity a) {
    return ChurnValidation.check(a, ValidationRules.defaults(), NOW).map(Rejection::code);
  }

  @Test
  void acceptsPurchasesReturnsAndFreeItems() {
    assertThat(code(good().build())).isEmpty();
    ChurnActivity ret = good().setInvoiceId("C536379").setQuantity(-1).build();
    assertThat(code(ret)).isEmpty();
    assertThat(ChurnValidation.isReturn(ret)).isTrue();
    assertThat(ChurnValidation.isReturn(good().build())).isFalse();
    assertThat(code(good().setUnitPrice(0).build())).isEmpty();
    assertThat(code(good().setCountry(null).build())).isEmpty();
  }

  @Test
  void aLineWithoutACustomerCannotBeKeyed() {
    assertThat(code(with(a -> a.setCustomerId(null)))).contains("MISSING_CUSTOMER_ID");
    assertThat(code(good().setCustomerId(" ").build())).contains("MISSING_CUSTOMER_ID");
    assertThat(code(good().setCustomerId("").build())).contains("MISSING_CUSTOMER_ID");
  }

  @Test
  void zeroOrNegativeQuantityThatIsNotAReturn() {
    assertThat(code(good().setQuantity(0).build())).contains("NON_POSITIVE_QUANTITY");
    assertThat(code(good().setQuantity(-3).build())).contains("NON_POSITIVE_QUANTITY");
    assertThat(code(good().setInvoiceId("C1").setQuantity(0).build()))
        .contains("NON_POSITIVE_QUANTITY");
    assertThat(code(good().setInvoiceId("C1").setQuantity(2).build()))
        .contains("RETURN_WITH_POSITIVE_QUANTITY");
  }

  @Test
  void nonFiniteOrNegativePrice() {
    assertThat(code(good().setUnitPrice(Double.NaN).build())).contains("NON_FINITE_PRICE");
    assertThat(code(good().setUnitPrice(Double.POSITIVE_INFINITY).build()))
        .contains("NON_FINITE_PRICE");
    assertThat(code(good().setUnitPrice(-11062.06).build())).contains("NEGATIVE_PRICE");
  }

  @Test
  void missingDateAndIds() {
    assertThat(code(with(a -> a.put("eventTime", null)))).contains("MISSING_DATE");
    assertThat(code(with(a -> a.setInvoiceId(null)))).contains(ReasonCodes.MISSING_FIELD);
    assertThat(code(with(a -> a.setItemId(null)))).contains(ReasonCodes.MISSING_FIELD);
    assertThat(code(null)).contains(ReasonCodes.MISSING_FIELD);
  }

  @Test
  void idTooLongAndTimeBounds() {
    assertThat(code(good().setCustomerId("x".repeat(257)).build())).contains("ID_TOO_LONG");
    assertThat(code(good().setEventTime(Instant.parse("1999-12-31T23:59:59Z")).build()))
        .contains(ReasonCodes.TIME_TOO_FAR_IN_PAST);
    assertThat(code(good().setEventTime(NOW.plusSeconds(2 * 86_400)).build()))
        .contains(ReasonCodes.TIME_TOO_FAR_IN_FUTURE);
  }

  @Test
  void theReasonNamesTheBadValue() {
    assertThat(
            ChurnValidation.check(good().setQuantity(-3).build(), ValidationRules.defaults(), NOW)
                .orElseThrow()
                .reason())
        .contains("-3")
        .contains("536365");
  }
}
