package dev.millrace.pipeline.testing;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;

/** A bounded source that emits the elements of a list, in order when read with parallelism 1. */
public final class ListSource {

  private ListSource() {}

  public static <T> DataGeneratorSource<T> of(List<T> elements, TypeInformation<T> type) {
    return new DataGeneratorSource<>(new At<>(elements), elements.size(), type);
  }

  private static final class At<T> implements GeneratorFunction<Long, T> {
    private static final long serialVersionUID = 1L;
    private final ArrayList<T> elements;

    At(List<T> elements) {
      this.elements = new ArrayList<>(elements);
    }

    @Override
    public T map(Long index) {
      return elements.get(Math.toIntExact(index));
    }
  }
}
