package dev.millrace.testkit;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

/**
 * Flink's {@link MiniClusterExtension} configured the Millrace way: one task manager with a few
 * slots, and generic (Kryo) types disabled, so a job whose types would fall back to Kryo fails in
 * tests rather than running slowly in production.
 *
 * <pre>{@code
 * @RegisterExtension static final MiniClusterExtension FLINK = FlinkTestCluster.extension();
 * }</pre>
 */
public final class FlinkTestCluster {

  public static final int SLOTS = 4;

  private FlinkTestCluster() {}

  public static MiniClusterExtension extension() {
    return extension(new Configuration());
  }

  /**
   * As {@link #extension()}, with {@code extra} settings on top of {@link #configuration()}, e.g. a
   * metric reporter ({@code InMemoryReporter.addToConfiguration(new Configuration())}) or a restart
   * strategy.
   */
  public static MiniClusterExtension extension(Configuration extra) {
    Configuration conf = configuration();
    conf.addAll(extra);
    return new MiniClusterExtension(
        new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(SLOTS)
            .setConfiguration(conf)
            .build());
  }

  /** The cluster configuration; also usable for a job's own {@code Configuration}. */
  public static Configuration configuration() {
    Configuration conf = new Configuration();
    conf.set(PipelineOptions.GENERIC_TYPES, false);
    return conf;
  }
}
