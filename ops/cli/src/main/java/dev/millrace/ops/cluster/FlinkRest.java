package dev.millrace.ops.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * The few calls of Flink's REST API (the JobManager's, e.g. {@code http://localhost:8081}) that
 * Millrace makes: the cluster overview, uploading and running a job jar, stop-with-savepoint.
 * Java's HttpClient and Jackson; every failure names the address and Flink's error text.
 */
public final class FlinkRest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final HttpClient http;

  public FlinkRest(String address) {
    String a = address.trim();
    if (!a.startsWith("http://") && !a.startsWith("https://")) {
      a = "http://" + a;
    }
    this.base = URI.create(a.endsWith("/") ? a : a + "/");
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  /** The web UI's (and REST API's) address. */
  public String address() {
    String s = base.toString();
    return s.substring(0, s.length() - 1);
  }

  /** {@code /overview}: TaskManagers, slots and jobs of the cluster. */
  public record Overview(int taskManagers, int slotsTotal, int slotsAvailable, int jobsRunning) {}

  public Overview overview() throws IOException {
    JsonNode o = get("overview");
    return new Overview(
        o.path("taskmanagers").asInt(),
        o.path("slots-total").asInt(),
        o.path("slots-available").asInt(),
        o.path("jobs-running").asInt());
  }

  /** Uploads a job jar ({@code POST /jars/upload}); returns the jar id for {@link #run}. */
  public String upload(Path jar) throws IOException {
    String boundary = "millrace-" + UUID.randomUUID();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    String head =
        "--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
            + jar.getFileName()
            + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n";
    body.write(head.getBytes(StandardCharsets.UTF_8));
    body.write(Files.readAllBytes(jar));
    body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    HttpRequest request =
        HttpRequest.newBuilder(base.resolve("jars/upload"))
            .timeout(Duration.ofMinutes(2))
            .header("Content-Type", "multipart/form-data; boundary=" + boundary)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
            .build();
    JsonNode reply = send(request);
    String filename = reply.path("filename").asText("");
    if (filename.isEmpty()) {
      throw new IOException("Flink at " + address() + " did not accept the jar: " + reply);
    }
    return Path.of(filename).getFileName().toString();
  }

  /**
   * Runs an uploaded jar ({@code POST /jars/{id}/run}); returns the job id.
   *
   * @param savepoint a savepoint (or retained checkpoint) to restore; null for none
   */
  public String run(
      String jarId, String entryClass, List<String> programArgs, int parallelism, String savepoint)
      throws IOException {
    ObjectNode body = JSON.createObjectNode();
    body.put("entryClass", entryClass);
    body.putPOJO("programArgsList", programArgs);
    body.put("parallelism", parallelism);
    if (savepoint != null) {
      body.put("savepointPath", savepoint);
      body.put("allowNonRestoredState", false);
    }
    JsonNode reply = post("jars/" + jarId + "/run", body, Duration.ofMinutes(3));
    String job = reply.path("jobid").asText("");
    if (job.isEmpty()) {
      throw new IOException("Flink at " + address() + " did not start the job: " + reply);
    }
    return job;
  }

  /** The job's state, e.g. RUNNING, RESTARTING, FINISHED ({@code GET /jobs/{id}}). */
  public String jobState(String jobId) throws IOException {
    return get("jobs/" + jobId).path("state").asText();
  }

  /** A job as {@code /jobs/overview} lists it. */
  public record JobSummary(String id, String name, String state) {}

  /** {@code /jobs/overview}: every job the cluster knows, running or not. */
  public List<JobSummary> jobs() throws IOException {
    List<JobSummary> jobs = new java.util.ArrayList<>();
    for (JsonNode j : get("jobs/overview").path("jobs")) {
      jobs.add(
          new JobSummary(
              j.path("jid").asText(), j.path("name").asText(), j.path("state").asText()));
    }
    return jobs;
  }

  /** One parallel instance of a vertex: where it runs and, when reported, a metric's value. */
  public record Subtask(int index, String taskManager, String status, String metric) {}

  /**
   * The subtasks of the job's first vertex whose name contains {@code vertexName} (e.g. the scoring
   * operator's), each with its TaskManager and the value of its metric whose name ends in {@code
   * .metricName} ({@code /jobs/{id}/vertices/{vid}/subtasks/{i}/metrics}; null while Flink has not
   * fetched it yet). Empty when the job has no such vertex.
   */
  public List<Subtask> subtasks(String jobId, String vertexName, String metricName)
      throws IOException {
    String vertex = null;
    for (JsonNode v : job(jobId).path("vertices")) {
      if (v.path("name").asText().contains(vertexName)) {
        vertex = v.path("id").asText();
        break;
      }
    }
    if (vertex == null) {
      return List.of();
    }
    String path = "jobs/" + jobId + "/vertices/" + vertex;
    List<Subtask> out = new java.util.ArrayList<>();
    for (JsonNode st : get(path).path("subtasks")) {
      int i = st.path("subtask").asInt();
      String value = null;
      for (JsonNode m : get(path + "/subtasks/" + i + "/metrics")) {
        String id = m.path("id").asText();
        if (id.endsWith("." + metricName)) {
          JsonNode got =
              get(
                  path
                      + "/subtasks/"
                      + i
                      + "/metrics?get="
                      + java.net.URLEncoder.encode(id, StandardCharsets.UTF_8));
          value =
              got.path(0).path("value").isMissingNode() ? null : got.path(0).path("value").asText();
          break;
        }
      }
      out.add(
          new Subtask(
              i, st.path("taskmanager-id").asText("?"), st.path("status").asText("?"), value));
    }
    return out;
  }

  /**
   * The savepoint or checkpoint the job was restored from, as Flink reports it ({@code
   * /jobs/{id}/checkpoints}, {@code latest.restored.external_path}); empty when it started without
   * one.
   */
  public java.util.Optional<String> restoredFrom(String jobId) throws IOException {
    JsonNode restored = get("jobs/" + jobId + "/checkpoints").path("latest").path("restored");
    String path = restored.path("external_path").asText("");
    return path.isEmpty() || restored.isNull()
        ? java.util.Optional.empty()
        : java.util.Optional.of(path);
  }

  /** {@code GET /jobs/{id}}: vertices with their subtasks' TaskManagers etc. */
  public JsonNode job(String jobId) throws IOException {
    return get("jobs/" + jobId);
  }

  /**
   * Stops the job with a savepoint ({@code POST /jobs/{id}/stop}) and waits until it is written.
   *
   * @param targetDirectory where the savepoint goes; null for the cluster's default
   * @return the savepoint's path
   */
  public String stopWithSavepoint(String jobId, String targetDirectory, Duration timeout)
      throws IOException {
    ObjectNode body = JSON.createObjectNode();
    if (targetDirectory != null) {
      body.put("targetDirectory", targetDirectory);
    }
    body.put("drain", false);
    String trigger =
        post("jobs/" + jobId + "/stop", body, Duration.ofSeconds(30)).path("request-id").asText("");
    if (trigger.isEmpty()) {
      throw new IOException("Flink at " + address() + " did not trigger a savepoint");
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      JsonNode status = get("jobs/" + jobId + "/savepoints/" + trigger);
      if ("COMPLETED".equals(status.path("status").path("id").asText())) {
        JsonNode op = status.path("operation");
        if (op.has("location")) {
          return op.path("location").asText();
        }
        throw new IOException(
            "stop-with-savepoint of job "
                + jobId
                + " failed: "
                + op.path("failure-cause").path("stack-trace").asText(op.toString()));
      }
      if (System.nanoTime() > deadline) {
        throw new IOException(
            "the savepoint of job "
                + jobId
                + " was not written within "
                + timeout.toSeconds()
                + " s");
      }
      sleep(500);
    }
  }

  private JsonNode get(String path) throws IOException {
    return send(
        HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).GET().build());
  }

  private JsonNode post(String path, JsonNode body, Duration timeout) throws IOException {
    return send(
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
            .build());
  }

  private JsonNode send(HttpRequest request) throws IOException {
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while calling Flink at " + address(), e);
    } catch (java.net.ConnectException e) {
      throw new IOException(
          "no Flink JobManager answers at " + address() + " (is the cluster up?)", e);
    }
    JsonNode json;
    try {
      json = JSON.readTree(response.body());
    } catch (IOException e) {
      json = JSON.createObjectNode().put("body", response.body());
    }
    if (response.statusCode() >= 300) {
      JsonNode errors = json.path("errors");
      String why = errors.isArray() && errors.size() > 0 ? errors.get(0).asText() : json.toString();
      // Flink puts the root cause's stack trace in the message; its first lines say enough.
      String[] lines = why.split("\n");
      String brief = String.join("\n", java.util.Arrays.copyOf(lines, Math.min(lines.length, 40)));
      throw new IOException(
          request.method()
              + " "
              + request.uri().getPath()
              + " answered "
              + response.statusCode()
              + ": "
              + brief);
    }
    return json;
  }

  private static void sleep(long millis) throws IOException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
