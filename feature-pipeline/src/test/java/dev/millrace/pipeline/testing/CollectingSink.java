package dev.millrace.pipeline.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * A sink for MiniCluster tests: every subtask appends to one queue in this JVM, read with {@link
 * #values()} after the job has finished.
 */
public final class CollectingSink<T> implements Sink<T> {

  private static final long serialVersionUID = 1L;
  private static final ConcurrentHashMap<String, ConcurrentLinkedQueue<Object>> RESULTS =
      new ConcurrentHashMap<>();

  private final String id = UUID.randomUUID().toString();

  public CollectingSink() {
    RESULTS.put(id, new ConcurrentLinkedQueue<>());
  }

  @SuppressWarnings("unchecked")
  public List<T> values() {
    return new ArrayList<>((ConcurrentLinkedQueue<T>) (ConcurrentLinkedQueue<?>) RESULTS.get(id));
  }

  @Override
  public SinkWriter<T> createWriter(WriterInitContext context) {
    ConcurrentLinkedQueue<Object> queue = RESULTS.get(id);
    return new SinkWriter<>() {
      @Override
      public void write(T element, Context ctx) {
        queue.add(element);
      }

      @Override
      public void flush(boolean endOfInput) {}

      @Override
      public void close() {}
    };
  }
}
