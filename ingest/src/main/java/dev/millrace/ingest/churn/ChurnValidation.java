package dev.millrace.ingest.churn;

import dev.millrace.ingest.ReasonCodes;
import dev.millrace.ingest.Rejection;
import dev.millrace.ingest.ValidationRules;
import dev.millrace.schemas.churn.ChurnActivity;
import java.time.Instant;
import java.util.Optional;

/**
 * Semantic checks of a decoded {@link ChurnActivity} (one purchase or return line), shared by the
 * validator, the churn job and the benchmark. Pure: no I/O, no clock of its own.
 *
 * <p>Checks, in this order, the first failure wins:
 *
 * <ul>
 *   <li>{@link #MISSING_CUSTOMER_ID}: no customer id, or a blank one (guest rows of Online Retail):
 *       the line cannot be keyed to a customer;
 *   <li>{@link #MISSING_FIELD}: no invoice or item id (only possible for records built by hand);
 *   <li>{@link #MISSING_DATE}: no event time;
 *   <li>{@link #ID_TOO_LONG}: a customer id longer than {@link #MAX_ID_LENGTH};
 *   <li>{@link #NON_FINITE_PRICE}: a unit price of NaN or infinity;
 *   <li>{@link #NEGATIVE_PRICE}: a negative unit price (Online Retail's bad-debt adjustments). A
 *       price of zero is accepted (free items): the line is a basket of value 0;
 *   <li>{@link #NON_POSITIVE_QUANTITY}: a quantity of zero, or a negative quantity on an invoice
 *       that is not a cancellation (its id does not start with {@code C}; stock adjustments);
 *   <li>{@link #RETURN_WITH_POSITIVE_QUANTITY}: a cancellation invoice with a positive quantity;
 *   <li>{@link ReasonCodes#TIME_TOO_FAR_IN_PAST}, {@link ReasonCodes#TIME_TOO_FAR_IN_FUTURE}: as
 *       for every task, the event time is outside the {@link ValidationRules}.
 * </ul>
 *
 * A line dated before the customer's previous one by more than the allowed lateness is refused by
 * the keyed churn operator (it needs the customer's state), with reason {@code
 * PURCHASE_BEFORE_PREVIOUS}.
 */
public final class ChurnValidation {

  public static final String MISSING_CUSTOMER_ID = "MISSING_CUSTOMER_ID";
  public static final String MISSING_FIELD = ReasonCodes.MISSING_FIELD;
  public static final String MISSING_DATE = "MISSING_DATE";
  public static final String ID_TOO_LONG = ReasonCodes.ID_TOO_LONG;
  public static final String NON_FINITE_PRICE = "NON_FINITE_PRICE";
  public static final String NEGATIVE_PRICE = "NEGATIVE_PRICE";
  public static final String NON_POSITIVE_QUANTITY = "NON_POSITIVE_QUANTITY";
  public static final String RETURN_WITH_POSITIVE_QUANTITY = "RETURN_WITH_POSITIVE_QUANTITY";

  /** The longest customer id accepted, in characters (ids are keys of state). */
  public static final int MAX_ID_LENGTH = 256;

  /** Invoice ids of cancellations (returns) start with this prefix in Online Retail. */
  public static final String CANCELLATION_PREFIX = "C";

  private ChurnValidation() {}

  /** Whether {@code a} is a return: a negative quantity on a cancellation invoice. */
  public static boolean isReturn(ChurnActivity a) {
    return a.getQuantity() < 0 && isCancellation(a.getInvoiceId());
  }

  /** Whether the invoice id marks a cancellation. */
  public static boolean isCancellation(String invoiceId) {
    return invoiceId != null && invoiceId.startsWith(CANCELLATION_PREFIX);
  }

  /**
   * Returns the first problem of {@code a}, or empty if it is acceptable.
   *
   * @param a a decoded activity line (null gives {@link #MISSING_FIELD})
   * @param rules time bounds
   * @param wallClockNow the current wall-clock time of the validating stage
   */
  public static Optional<Rejection> check(
      ChurnActivity a, ValidationRules rules, Instant wallClockNow) {
    if (a == null) {
      return reject(MISSING_FIELD, "activity is null");
    }
    if (a.getCustomerId() == null || a.getCustomerId().isBlank()) {
      return reject(
          MISSING_CUSTOMER_ID,
          "no customer id ('" + a.getCustomerId() + "'): the line cannot be keyed to a customer");
    }
    if (a.getInvoiceId() == null) {
      return reject(MISSING_FIELD, "invoiceId is missing");
    }
    if (a.getItemId() == null) {
      return reject(MISSING_FIELD, "itemId is missing");
    }
    if (a.getEventTime() == null) {
      return reject(MISSING_DATE, "the line has no date");
    }
    if (a.getCustomerId().length() > MAX_ID_LENGTH) {
      return reject(
          ID_TOO_LONG,
          "customerId has "
              + a.getCustomerId().length()
              + " characters, more than the "
              + MAX_ID_LENGTH
              + " accepted");
    }
    double price = a.getUnitPrice();
    if (!Double.isFinite(price)) {
      return reject(NON_FINITE_PRICE, "unit price is not a finite number: " + price);
    }
    if (price < 0) {
      return reject(NEGATIVE_PRICE, "unit price is negative: " + price);
    }
    int quantity = a.getQuantity();
    boolean cancellation = isCancellation(a.getInvoiceId());
    if (quantity == 0 || (quantity < 0 && !cancellation)) {
      return reject(
          NON_POSITIVE_QUANTITY,
          "quantity "
              + quantity
              + " on invoice '"
              + a.getInvoiceId()
              + "', which is not a cancellation (returns are negative lines on invoices starting"
              + " with '"
              + CANCELLATION_PREFIX
              + "')");
    }
    if (quantity > 0 && cancellation) {
      return reject(
          RETURN_WITH_POSITIVE_QUANTITY,
          "positive quantity " + quantity + " on cancellation invoice '" + a.getInvoiceId() + "'");
    }
    Instant time = a.getEventTime();
    if (time.isBefore(rules.earliest())) {
      return reject(
          ReasonCodes.TIME_TOO_FAR_IN_PAST,
          "eventTime " + time + " is before the earliest accepted time " + rules.earliest());
    }
    if (time.isAfter(rules.latest(wallClockNow))) {
      return reject(
          ReasonCodes.TIME_TOO_FAR_IN_FUTURE,
          "eventTime "
              + time
              + " is more than "
              + rules.maxAheadOfWallClock()
              + " ahead of the wall clock "
              + wallClockNow);
    }
    return Optional.empty();
  }

  private static Optional<Rejection> reject(String code, String reason) {
    return Optional.of(new Rejection(code, reason));
  }
}
