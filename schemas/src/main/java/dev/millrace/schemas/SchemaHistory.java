package dev.millrace.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;

/**
 * The version history of each Avro schema, kept under version control in {@code
 * src/main/resources/avro-history/<full name>/v<N>.avsc}. Version numbers start at 1 and have no
 * gaps; the highest one must equal the schema the code is generated from (a test checks it).
 *
 * <p>Decoders register every historical version, so data written by an older producer can still be
 * read after a compatible change.
 */
public final class SchemaHistory {

  private static final String ROOT = "avro-history/";

  private SchemaHistory() {}

  /** All versions of the named schema, oldest first. Empty when it has no recorded history. */
  public static List<Schema> versions(String fullName) {
    List<Schema> versions = new ArrayList<>();
    ClassLoader loader = SchemaHistory.class.getClassLoader();
    for (int v = 1; ; v++) {
      String path = ROOT + fullName + "/v" + v + ".avsc";
      try (InputStream in = loader.getResourceAsStream(path)) {
        if (in == null) {
          return versions;
        }
        String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        versions.add(new Schema.Parser().parse(json));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read schema history " + path, e);
      }
    }
  }
}
