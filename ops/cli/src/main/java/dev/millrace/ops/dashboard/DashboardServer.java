package dev.millrace.ops.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.trainer.TrainingHistory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The built-in dashboard: a web page per task ({@code /tasks/<task>}) that polls a JSON API ({@code
 * /api/tasks/<task>/summary}) every two seconds and draws it with Chart.js, served from the
 * classpath (the page needs no internet). Built on the JDK's {@code com.sun.net.httpserver} with
 * two worker threads; the data comes from Kafka ({@link TopicFeed}) and the training history files,
 * never from the Flink job.
 *
 * <p>Routes: {@code /} redirects to the first task; {@code /tasks/<task>} the page; {@code
 * /api/tasks} the task names; {@code /api/tasks/<task>/summary} everything the page shows; {@code
 * /static/*} the page's script and style; {@code /webjars/chart.js/chart.umd.js} the chart library.
 * Unknown tasks and paths get a 404 page (or a JSON error under {@code /api}).
 */
public final class DashboardServer implements AutoCloseable {

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

  private static final String RESOURCES = "/dev/millrace/ops/dashboard/";

  private final DashboardSettings settings;
  private final Map<Task, TaskState> states = new EnumMap<>(Task.class);
  private final Map<Task, TrainingHistory> histories = new EnumMap<>(Task.class);
  private final HttpServer server;
  private final ExecutorService executor;
  private final TopicFeed feed;

  private DashboardServer(DashboardSettings settings) {
    this.settings = settings;
    for (Task task : settings.tasks()) {
      states.put(task, new TaskState());
      histories.put(task, TrainingHistory.inDirectory(settings.historyDir(), task));
    }
    try {
      this.server = HttpServer.create(new InetSocketAddress(settings.host(), settings.port()), 16);
    } catch (BindException e) {
      throw new DashboardPortInUseException(
          "dashboard port "
              + settings.port()
              + " on "
              + settings.host()
              + " is in use; pass another --dashboard-port (0 picks a free one)");
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot start the dashboard on " + settings.host() + ":" + settings.port(), e);
    }
    this.executor =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "millrace-dashboard-http");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    this.feed =
        new TopicFeed(
            settings.bootstrapServers(), settings.kafkaProperties(), settings.topics(), states);
  }

  /** Binds the port (a port in use throws {@link DashboardPortInUseException}) and starts. */
  public static DashboardServer start(DashboardSettings settings) {
    DashboardServer dashboard = new DashboardServer(settings);
    dashboard.feed.start();
    dashboard.server.start();
    return dashboard;
  }

  /** The port it listens on (the chosen one when the settings asked for 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  /** {@code http://host:port/}. */
  public URI uri() {
    return URI.create("http://" + settings.host() + ":" + port() + "/");
  }

  /** The page of one task. */
  public URI taskUri(Task task) {
    return uri().resolve("tasks/" + TopicRegistry.taskName(task));
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      if (!"GET".equals(exchange.getRequestMethod())
          && !"HEAD".equals(exchange.getRequestMethod())) {
        send(
            exchange,
            405,
            "text/plain; charset=utf-8",
            "only GET\n".getBytes(StandardCharsets.UTF_8));
        return;
      }
      if (path.equals("/") || path.equals("/tasks") || path.equals("/tasks/")) {
        exchange.getResponseHeaders().add("Location", "/tasks/" + name(settings.tasks().get(0)));
        exchange.sendResponseHeaders(302, -1);
      } else if (path.startsWith("/tasks/")) {
        Task task = task(path.substring("/tasks/".length()));
        if (task == null) {
          notFound(exchange, "There is no task '" + path.substring("/tasks/".length()) + "'.");
        } else {
          send(exchange, 200, "text/html; charset=utf-8", page(task));
        }
      } else if (path.equals("/api/tasks")) {
        json(exchange, 200, settings.tasks().stream().map(DashboardServer::name).toList());
      } else if (path.startsWith("/api/tasks/") && path.endsWith("/summary")) {
        String name = path.substring("/api/tasks/".length(), path.length() - "/summary".length());
        Task task = task(name);
        if (task == null) {
          json(exchange, 404, Map.of("error", "unknown task '" + name + "'", "tasks", taskNames()));
        } else {
          json(exchange, 200, summary(task));
        }
      } else if (path.startsWith("/api/")) {
        json(exchange, 404, Map.of("error", "no such endpoint: " + path));
      } else if (path.equals("/static/dashboard.js")) {
        send(exchange, 200, "text/javascript; charset=utf-8", resource(RESOURCES + "dashboard.js"));
      } else if (path.equals("/static/dashboard.css")) {
        send(exchange, 200, "text/css; charset=utf-8", resource(RESOURCES + "dashboard.css"));
      } else if (path.equals("/webjars/chart.js/chart.umd.js")) {
        send(exchange, 200, "text/javascript; charset=utf-8", resource(chartJsPath()));
      } else if (path.equals("/favicon.ico")) {
        exchange.sendResponseHeaders(204, -1);
      } else {
        notFound(exchange, "There is no page " + path + ".");
      }
    } catch (RuntimeException e) {
      send(
          exchange,
          500,
          "text/plain; charset=utf-8",
          ("dashboard error: " + e + "\n").getBytes(StandardCharsets.UTF_8));
    }
  }

  private Task task(String name) {
    for (Task task : settings.tasks()) {
      if (name(task).equals(name.toLowerCase(Locale.ROOT))) {
        return task;
      }
    }
    return null;
  }

  private static String name(Task task) {
    return TopicRegistry.taskName(task);
  }

  private List<String> taskNames() {
    return settings.tasks().stream().map(DashboardServer::name).toList();
  }

  private byte[] page(Task task) {
    String nav =
        settings.tasks().stream()
            .map(
                t ->
                    "<a href=\"/tasks/%s\"%s>%s</a>"
                        .formatted(name(t), t == task ? " class=\"current\"" : "", name(t)))
            .collect(Collectors.joining(" "));
    String html =
        new String(resource(RESOURCES + "page.html"), StandardCharsets.UTF_8)
            .replace("{{task}}", name(task))
            .replace("{{nav}}", nav);
    return html.getBytes(StandardCharsets.UTF_8);
  }

  private void notFound(HttpExchange exchange, String message) throws IOException {
    String links =
        settings.tasks().stream()
            .map(t -> "<li><a href=\"/tasks/%s\">%s</a></li>".formatted(name(t), name(t)))
            .collect(Collectors.joining());
    String html =
        """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found - Millrace</title>
        <link rel="stylesheet" href="/static/dashboard.css"></head>
        <body><main class="notfound"><h1>404 - not found</h1><p>%s</p>
        <p>The dashboard has a page for each task:</p><ul>%s</ul></main></body></html>
        """
            .formatted(escape(message), links);
    send(exchange, 404, "text/html; charset=utf-8", html.getBytes(StandardCharsets.UTF_8));
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  /** Everything the page of one task shows, as one JSON object. */
  DashboardSummary summary(Task task) {
    return DashboardSummary.of(
        task,
        states.get(task).snapshot(System.currentTimeMillis()),
        histories.get(task).read(),
        System.currentTimeMillis());
  }

  private static void json(HttpExchange exchange, int status, Object body) throws IOException {
    exchange.getResponseHeaders().add("Cache-Control", "no-store");
    send(exchange, status, "application/json", JSON.writeValueAsBytes(body));
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    boolean head = "HEAD".equals(exchange.getRequestMethod());
    exchange.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private static byte[] resource(String path) {
    try (InputStream in = DashboardServer.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + path);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The UMD bundle of the Chart.js WebJar on the classpath, whatever its version. */
  static String chartJsPath() {
    Properties pom = new Properties();
    try (InputStream in =
        DashboardServer.class.getResourceAsStream(
            "/META-INF/maven/org.webjars.npm/chart.js/pom.properties")) {
      if (in == null) {
        throw new IllegalStateException("the Chart.js WebJar is not on the classpath");
      }
      pom.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return "/META-INF/resources/webjars/chart.js/"
        + pom.getProperty("version")
        + "/dist/chart.umd.js";
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    feed.close();
    try {
      executor.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
