package dev.millrace.schemas;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;

/**
 * Schema evolution rules in the terms of a schema registry.
 *
 * <ul>
 *   <li>{@code BACKWARD_TRANSITIVE}: the new schema can read data written with every earlier
 *       version (consumers upgrade first). Adding a field needs a default; removing one is fine.
 *   <li>{@code FULL_TRANSITIVE}: in addition, every earlier version can read data written with the
 *       new one (producers may upgrade first). Removing a field then also needs a default.
 * </ul>
 */
public enum SchemaCompatibilityCheck {
  BACKWARD_TRANSITIVE,
  FULL_TRANSITIVE;

  /**
   * Checks {@code candidate} against every schema in {@code earlier}; returns one message per
   * incompatibility found, empty when compatible.
   */
  public List<String> violations(Schema candidate, List<Schema> earlier) {
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < earlier.size(); i++) {
      Schema old = earlier.get(i);
      String label = "v" + (i + 1);
      check(candidate, old, "new schema cannot read data written with " + label, problems);
      if (this == FULL_TRANSITIVE) {
        check(old, candidate, label + " cannot read data written with the new schema", problems);
      }
    }
    return problems;
  }

  private static final Pattern FIELD = Pattern.compile("^/fields/(\\d+)");

  /** Names the top-level field a location like {@code /fields/4/type} points at. */
  private static String fieldName(Schema reader, String location) {
    Matcher m = FIELD.matcher(location);
    if (reader.getType() == Schema.Type.RECORD && m.find()) {
      int index = Integer.parseInt(m.group(1));
      if (index < reader.getFields().size()) {
        return " [field '" + reader.getFields().get(index).name() + "']";
      }
    }
    return "";
  }

  private static void check(Schema reader, Schema writer, String what, List<String> problems) {
    SchemaPairCompatibility result =
        SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
    if (result.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
      result
          .getResult()
          .getIncompatibilities()
          .forEach(
              inc ->
                  problems.add(
                      what
                          + ": "
                          + inc.getType()
                          + " at "
                          + inc.getLocation()
                          + fieldName(reader, inc.getLocation())
                          + " ("
                          + inc.getMessage()
                          + ")"));
    }
  }
}
