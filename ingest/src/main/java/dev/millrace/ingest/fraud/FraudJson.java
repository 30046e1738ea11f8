package dev.millrace.ingest.fraud;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.millrace.ingest.ReasonCodes;
import dev.millrace.ingest.Rejection;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.io.IOException;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.Objects;

/**
 * The JSON form of a {@link FraudTransaction} on {@code fraud.raw}: an object with {@code
 * transactionId} (integer), {@code eventTime} (ISO-8601 string such as {@code
 * 2018-04-01T00:00:31Z}, or epoch milliseconds), {@code customerId} and {@code terminalId}
 * (strings) and {@code amount} (number). Other fields are ignored.
 *
 * <p>{@link #parse} checks only the shape; semantic checks are {@link FraudValidation}'s.
 */
public final class FraudJson {

  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  /** What {@link #parse} found: exactly one of {@code transaction} and {@code rejection}. */
  public record Parsed(FraudTransaction transaction, Rejection rejection) {
    public Parsed {
      if ((transaction == null) == (rejection == null)) {
        throw new IllegalArgumentException("exactly one of transaction and rejection");
      }
    }

    public boolean ok() {
      return transaction != null;
    }
  }

  private FraudJson() {}

  /** UTF-8 JSON of a transaction, eventTime as an ISO-8601 UTC string. */
  public static byte[] toJson(FraudTransaction tx) {
    ObjectNode node = MAPPER.createObjectNode();
    node.put("transactionId", tx.getTransactionId());
    node.put("eventTime", tx.getEventTime().toString());
    node.put("customerId", tx.getCustomerId());
    node.put("terminalId", tx.getTerminalId());
    node.put("amount", tx.getAmount());
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON", e);
    }
  }

  /** Parses UTF-8 JSON bytes; never throws. */
  public static Parsed parse(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      return bad(ReasonCodes.EMPTY_VALUE, "record has no value");
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(bytes);
    } catch (IOException e) {
      return bad(ReasonCodes.MALFORMED_JSON, "not valid JSON: " + firstLine(e.getMessage()));
    }
    if (root == null || root.isMissingNode()) {
      return bad(ReasonCodes.MALFORMED_JSON, "value is empty");
    }
    if (!root.isObject()) {
      return bad(
          ReasonCodes.MALFORMED_JSON,
          "expected a JSON object, got " + root.getNodeType().name().toLowerCase());
    }
    try {
      JsonNode id = field(root, "transactionId");
      if (!id.isIntegralNumber() || !id.canConvertToLong()) {
        throw wrong("transactionId", "an integer", id);
      }
      Instant time = time(field(root, "eventTime"));
      String customer = text(root, "customerId");
      String terminal = text(root, "terminalId");
      JsonNode amount = field(root, "amount");
      if (!amount.isNumber()) {
        throw wrong("amount", "a number", amount);
      }
      return new Parsed(
          new FraudTransaction(id.longValue(), time, customer, terminal, amount.doubleValue()),
          null);
    } catch (FieldProblem p) {
      return new Parsed(null, p.rejection);
    }
  }

  private static JsonNode field(JsonNode root, String name) throws FieldProblem {
    JsonNode node = root.get(name);
    if (node == null || node.isNull()) {
      throw new FieldProblem(
          new Rejection(ReasonCodes.MISSING_FIELD, "field '" + name + "' is missing or null"));
    }
    return node;
  }

  private static String text(JsonNode root, String name) throws FieldProblem {
    JsonNode node = field(root, name);
    if (!node.isTextual()) {
      throw wrong(name, "a string", node);
    }
    return node.textValue();
  }

  private static Instant time(JsonNode node) throws FieldProblem {
    if (node.isIntegralNumber() && node.canConvertToLong()) {
      try {
        return Instant.ofEpochMilli(node.longValue());
      } catch (DateTimeException e) {
        throw wrong("eventTime", "epoch milliseconds in range", node);
      }
    }
    if (node.isTextual()) {
      try {
        return Instant.parse(node.textValue());
      } catch (DateTimeException e) {
        throw wrong("eventTime", "an ISO-8601 instant such as 2018-04-01T00:00:31Z", node);
      }
    }
    throw wrong("eventTime", "an ISO-8601 string or epoch milliseconds", node);
  }

  private static FieldProblem wrong(String name, String expected, JsonNode got) {
    String shown = got.toString();
    if (shown.length() > 80) {
      shown = shown.substring(0, 77) + "...";
    }
    return new FieldProblem(
        new Rejection(
            ReasonCodes.WRONG_TYPE, "field '" + name + "' must be " + expected + ", got " + shown));
  }

  private static Parsed bad(String code, String reason) {
    return new Parsed(null, new Rejection(code, reason));
  }

  private static String firstLine(String message) {
    String m = Objects.requireNonNullElse(message, "");
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  private static final class FieldProblem extends Exception {
    final transient Rejection rejection;

    FieldProblem(Rejection rejection) {
      super(rejection.reason(), null, false, false);
      this.rejection = rejection;
    }
  }
}
