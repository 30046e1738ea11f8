package dev.millrace.ops.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.millrace.ops.UserError;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A Prometheus endpoint for everything outside Flink (trainer, publisher, output watcher): a
 * Micrometer {@link PrometheusMeterRegistry} served as {@code GET /metrics} by the JDK's built-in
 * HTTP server on its own daemon thread. Meters are bound by {@link MillraceMeters}; a hook added
 * with {@link #beforeScrape} runs before each scrape (e.g. to register a meter per new reason).
 */
public final class MetricsEndpoint implements AutoCloseable {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(MetricsEndpoint.class);

  /** Default port of the {@code millrace demo}/{@code millrace trainer} endpoint. */
  public static final int DEFAULT_PORT = 9250;

  /** The Prometheus text format served. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry;
  private final HttpServer server;
  private final ExecutorService executor;
  private final List<Runnable> beforeScrape = new CopyOnWriteArrayList<>();
  private final List<Object> retained = new CopyOnWriteArrayList<>();

  private MetricsEndpoint(PrometheusMeterRegistry registry, HttpServer server, ExecutorService ex) {
    this.registry = registry;
    this.server = server;
    this.executor = ex;
  }

  /**
   * Serves {@code /metrics} on {@code port} (all interfaces).
   *
   * @param flag the option that sets the port, named in the error when the port is taken
   * @throws UserError when the port is in use or cannot be bound
   */
  public static MetricsEndpoint start(int port, String flag) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(port), 0);
    } catch (BindException e) {
      registry.close();
      throw portInUse(port, flag, e);
    } catch (IOException e) {
      registry.close();
      throw new UserError("cannot serve metrics on port " + port + ": " + e.getMessage());
    }
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "millrace-metrics-http");
              t.setDaemon(true);
              return t;
            });
    MetricsEndpoint endpoint = new MetricsEndpoint(registry, server, executor);
    server.createContext("/metrics", endpoint::handle);
    server.setExecutor(executor);
    server.start();
    return endpoint;
  }

  /**
   * Fails with the same one-line error as {@link #start} when {@code port} cannot be bound now; for
   * endpoints started by a library that only logs such a failure (Flink's reporter).
   */
  public static void requireFree(int port, String flag) {
    if (port <= 0) {
      return;
    }
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(port));
    } catch (BindException e) {
      throw portInUse(port, flag, e);
    } catch (IOException e) {
      throw new UserError("cannot serve metrics on port " + port + ": " + e.getMessage());
    }
  }

  private static UserError portInUse(int port, String flag, IOException e) {
    return new UserError(
        "port "
            + port
            + " is in use: "
            + e.getMessage()
            + "; pass "
            + flag
            + " with a free port, or 0 for no metrics endpoint");
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** The bound port (useful when started on port 0 in tests). */
  public int port() {
    return server.getAddress().getPort();
  }

  /**
   * Keeps {@code object} reachable as long as this endpoint: Micrometer's function counters and
   * gauges hold their state object weakly, so a lambda passed as that object must be retained.
   */
  public <T> T retain(T object) {
    retained.add(object);
    return object;
  }

  /** Runs {@code hook} before each scrape (exceptions are logged, the scrape goes on). */
  public MetricsEndpoint beforeScrape(Runnable hook) {
    beforeScrape.add(hook);
    return this;
  }

  /** The metrics in Prometheus text format, as served. */
  public String scrape() {
    for (Runnable hook : beforeScrape) {
      try {
        hook.run();
      } catch (RuntimeException e) {
        LOG.warn("metrics hook failed: {}", e.toString());
      }
    }
    return registry.scrape();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())
          && !"HEAD".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] body = scrape().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
      if ("HEAD".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    registry.close();
  }
}
