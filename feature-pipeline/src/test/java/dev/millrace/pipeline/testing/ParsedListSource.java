package dev.millrace.pipeline.testing;

import dev.millrace.pipeline.AvroParser;
import dev.millrace.pipeline.ParsedRecords;
import dev.millrace.pipeline.RawRecord;
import dev.millrace.schemas.DeadLetter;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.types.Either;

/**
 * A bounded source of raw records decoded and validated in the source by a job's {@link
 * AvroParser}, as the Kafka source does it ({@code ParsingDeserializer}): in order when read with
 * parallelism 1.
 */
public final class ParsedListSource {

  private ParsedListSource() {}

  public static <T extends SpecificRecord> DataGeneratorSource<Either<T, DeadLetter>> of(
      List<RawRecord> records, AvroParser<T> parser) {
    return new DataGeneratorSource<>(
        new Parse<>(records, parser), records.size(), ParsedRecords.type(parser.type()));
  }

  private static final class Parse<T extends SpecificRecord>
      implements GeneratorFunction<Long, Either<T, DeadLetter>> {
    private static final long serialVersionUID = 1L;
    private final ArrayList<RawRecord> records;
    private final AvroParser<T> parser;

    Parse(List<RawRecord> records, AvroParser<T> parser) {
      this.records = new ArrayList<>(records);
      this.parser = parser;
    }

    @Override
    public void open(SourceReaderContext readerContext) {
      parser.open(readerContext.metricGroup());
    }

    @Override
    public Either<T, DeadLetter> map(Long index) {
      return parser.parse(records.get(Math.toIntExact(index)));
    }
  }
}
