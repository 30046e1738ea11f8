package dev.millrace.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.millrace.ops.local.LocalFlink;
import dev.millrace.ops.metrics.MetricsEndpoint;
import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.pipeline.fraud.KafkaFraudJob;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.trainer.TrainerSettings;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.flink.configuration.PipelineOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Offline validation of the Kubernetes manifests in {@code ops/k8s}: no schema of the Flink
 * Kubernetes Operator's CRDs is served on Maven Central, so this test parses every manifest and
 * checks what the code depends on: the topics against the topic registry, the job's and the
 * trainer's arguments through their own parsers, ports, selectors, volumes and the settings the job
 * needs on a cluster (no Kryo, DJL parent-first, transaction timeouts within the broker's).
 */
class K8sManifestsTest {

  private static final Path DIR = Path.of("..", "k8s");
  private static final Map<String, List<JsonNode>> BY_KIND = new HashMap<>();
  private static final Map<String, List<JsonNode>> BY_FILE = new TreeMap<>();

  @BeforeAll
  static void parseAll() throws IOException {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    try (Stream<Path> files = Files.list(DIR)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        List<JsonNode> docs = new ArrayList<>();
        try (YAMLParser parser = new YAMLFactory().createParser(file.toFile())) {
          yaml.readValues(parser, JsonNode.class).forEachRemaining(docs::add);
        }
        for (JsonNode doc : docs) {
          BY_KIND.computeIfAbsent(doc.path("kind").asText(), k -> new ArrayList<>()).add(doc);
        }
        BY_FILE.put(file.getFileName().toString(), docs);
      }
    }
  }

  private static JsonNode one(String kind, String name) {
    return BY_KIND.getOrDefault(kind, List.of()).stream()
        .filter(d -> d.path("metadata").path("name").asText().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " named " + name));
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static JsonNode container(JsonNode podSpec, String name) {
    for (JsonNode c : podSpec.path("containers")) {
      if (c.path("name").asText().equals(name)) {
        return c;
      }
    }
    return MissingNode.getInstance();
  }

  private static int portNamed(JsonNode container, String name) {
    for (JsonNode p : container.path("ports")) {
      if (p.path("name").asText().equals(name)) {
        return p.path("containerPort").asInt();
      }
    }
    throw new AssertionError("no port named " + name + " in " + container);
  }

  private static String bootstrap() {
    JsonNode kafka = one("Kafka", "millrace");
    JsonNode plain = kafka.path("spec").path("kafka").path("listeners").get(0);
    return kafka.path("metadata").path("name").asText()
        + "-kafka-bootstrap:"
        + plain.path("port").asInt();
  }

  @Test
  void everyDocumentIsAKubernetesObjectWithAKnownKind() {
    assertThat(BY_FILE)
        .containsOnlyKeys(
            "flink-fraud.yaml",
            "kafka.yaml",
            "model-store.yaml",
            "monitoring.yaml",
            "topics.yaml",
            "trainer-cpu.yaml",
            "trainer-gpu.yaml");
    Map<String, String> apiVersions =
        Map.of(
            "FlinkDeployment", "flink.apache.org/v1beta1",
            "Kafka", "kafka.strimzi.io/v1beta2",
            "KafkaNodePool", "kafka.strimzi.io/v1beta2",
            "KafkaTopic", "kafka.strimzi.io/v1beta2",
            "Deployment", "apps/v1",
            "Service", "v1",
            "PersistentVolumeClaim", "v1",
            "ServiceMonitor", "monitoring.coreos.com/v1",
            "PodMonitor", "monitoring.coreos.com/v1");
    BY_FILE.forEach(
        (file, docs) -> {
          assertThat(docs).as(file).isNotEmpty();
          for (JsonNode doc : docs) {
            String kind = doc.path("kind").asText();
            assertThat(apiVersions).as(file + ": kind " + kind).containsKey(kind);
            assertThat(doc.path("apiVersion").asText()).as(file).isEqualTo(apiVersions.get(kind));
            assertThat(doc.path("metadata").path("name").asText())
                .as(file + " " + kind)
                .matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");
            assertThat(doc.path("spec").isObject()).as(file + " " + kind + " has a spec").isTrue();
          }
        });
  }

  @Test
  void topicsAreExactlyTheRegistrysWithItsPartitionsAndConfigs() {
    Map<String, String> expected = new TreeMap<>();
    for (Topic<?, ?> t : TopicRegistry.standard().all(List.of(Task.values()))) {
      expected.put(t.name(), t.partitions() + " " + new TreeMap<>(t.configs()));
    }
    Map<String, String> actual = new TreeMap<>();
    int replication =
        one("Kafka", "millrace")
            .path("spec")
            .path("kafka")
            .path("config")
            .path("default.replication.factor")
            .asInt();
    for (JsonNode topic : BY_KIND.get("KafkaTopic")) {
      JsonNode spec = topic.path("spec");
      Map<String, String> configs = new TreeMap<>();
      spec.path("config")
          .fields()
          .forEachRemaining(e -> configs.put(e.getKey(), e.getValue().asText()));
      String name = topic.path("metadata").path("name").asText();
      assertThat(actual.put(name, spec.path("partitions").asInt() + " " + configs))
          .as("duplicate topic " + name)
          .isNull();
      assertThat(spec.path("replicas").asInt()).as(name).isEqualTo(replication);
      assertThat(topic.path("metadata").path("labels").path("strimzi.io/cluster").asText())
          .isEqualTo("millrace");
    }
    assertThat(actual).isEqualTo(expected);
  }

  @Test
  void kafkaIsKraftWithThreeBrokersAndTwoInSyncReplicas() {
    JsonNode kafka = one("Kafka", "millrace");
    assertThat(kafka.path("metadata").path("annotations").path("strimzi.io/kraft").asText())
        .isEqualTo("enabled");
    assertThat(kafka.path("metadata").path("annotations").path("strimzi.io/node-pools").asText())
        .isEqualTo("enabled");
    JsonNode config = kafka.path("spec").path("kafka").path("config");
    assertThat(config.path("default.replication.factor").asInt()).isEqualTo(3);
    assertThat(config.path("min.insync.replicas").asInt()).isEqualTo(2);
    assertThat(config.path("transaction.state.log.replication.factor").asInt()).isEqualTo(3);
    assertThat(config.path("transaction.state.log.min.isr").asInt()).isEqualTo(2);
    int brokers = 0;
    int controllers = 0;
    for (JsonNode pool : BY_KIND.get("KafkaNodePool")) {
      assertThat(pool.path("metadata").path("labels").path("strimzi.io/cluster").asText())
          .isEqualTo("millrace");
      List<String> roles = strings(pool.path("spec").path("roles"));
      int replicas = pool.path("spec").path("replicas").asInt();
      brokers += roles.contains("broker") ? replicas : 0;
      controllers += roles.contains("controller") ? replicas : 0;
    }
    assertThat(brokers).isEqualTo(3);
    assertThat(controllers).isEqualTo(3);
  }

  @Test
  void theJobsArgumentsParseAndFitTheClusterItRunsOn() {
    JsonNode flink = one("FlinkDeployment", "millrace-fraud");
    JsonNode spec = flink.path("spec");
    JsonNode job = spec.path("job");
    assertThat(job.path("entryClass").asText()).isEqualTo(KafkaFraudJob.class.getName());
    FraudPipelineSettings settings =
        KafkaFraudJob.settings(strings(job.path("args")).toArray(String[]::new));
    assertThat(settings.bootstrapServers()).isEqualTo(bootstrap());
    assertThat(settings.parallelism()).isEqualTo(job.path("parallelism").asInt());
    JsonNode conf = spec.path("flinkConfiguration");
    assertThat(settings.checkpointDir())
        .isEqualTo(conf.path("execution.checkpointing.dir").asText());
    assertThat(settings.stateBackend().flinkName())
        .isEqualTo(conf.path("state.backend.type").asText());
    long brokerMaxMs =
        one("Kafka", "millrace")
            .path("spec")
            .path("kafka")
            .path("config")
            .path("transaction.max.timeout.ms")
            .asLong();
    assertThat(settings.transactionTimeout()).isLessThanOrEqualTo(Duration.ofMillis(brokerMaxMs));
    assertThat(settings.transactionTimeout()).isGreaterThan(settings.checkpointInterval());
    // The cluster gets the same "never Kryo" setting as the local MiniCluster.
    assertThat(conf.path(PipelineOptions.GENERIC_TYPES.key()).asText())
        .isEqualTo(LocalFlink.configuration(0).get(PipelineOptions.GENERIC_TYPES).toString());
    assertThat(conf.path("classloader.parent-first-patterns.additional").asText().split(";"))
        .contains("ai.djl.");
    assertThat(conf.path("env.java.opts.all").asText()).contains("-Dai.djl.offline=true");
    // Prometheus: the reporter's port is the one the pods expose and the PodMonitor scrapes.
    int reporterPort = conf.path("metrics.reporter.prom.port").asInt();
    assertThat(reporterPort).isEqualTo(LocalFlink.DEFAULT_METRICS_PORT);
    JsonNode main = container(spec.path("podTemplate").path("spec"), "flink-main-container");
    assertThat(portNamed(main, "metrics")).isEqualTo(reporterPort);
    JsonNode podMonitor = one("PodMonitor", "millrace-fraud-flink");
    assertThat(podMonitor.path("spec").path("selector").path("matchLabels").path("app").asText())
        .isEqualTo(flink.path("metadata").path("name").asText());
    assertThat(podMonitor.path("spec").path("podMetricsEndpoints").get(0).path("port").asText())
        .isEqualTo("metrics");
    // Checkpoints and savepoints on a durable store, never the JobManager's memory or local disk.
    assertThat(URI.create(settings.checkpointDir()).getScheme()).isEqualTo("s3");
    assertThat(job.path("upgradeMode").asText()).isEqualTo("savepoint");
  }

  private static TrainerSettings trainerSettings(JsonNode deployment) {
    JsonNode c = container(deployment.path("spec").path("template").path("spec"), "trainer");
    assertThat(strings(c.path("command"))).contains("-Dai.djl.offline=true");
    List<String> args = strings(c.path("args"));
    CommandLine.ParseResult parsed = Millrace.commandLine().parseArgs(args.toArray(String[]::new));
    assertThat(parsed.subcommand().commandSpec().name()).isEqualTo("trainer");
    TrainerCommand trainer = (TrainerCommand) parsed.subcommand().commandSpec().userObject();
    return trainer.settings();
  }

  @Test
  void theTrainerReachesKafkaTheModelStoreAndPrometheus() {
    for (String file : List.of("trainer-gpu.yaml", "trainer-cpu.yaml")) {
      List<JsonNode> docs = BY_FILE.get(file);
      assertThat(docs).as(file).hasSize(1);
      JsonNode deployment = docs.get(0);
      assertThat(deployment.path("spec").path("replicas").asInt()).as(file).isEqualTo(1);
      TrainerSettings s = trainerSettings(deployment);
      assertThat(s.bootstrapServers()).as(file).isEqualTo(bootstrap());
      JsonNode pod = deployment.path("spec").path("template").path("spec");
      JsonNode c = container(pod, "trainer");
      // The model store is the shared volume every TaskManager mounts at the same path.
      String mount = c.path("volumeMounts").get(0).path("mountPath").asText();
      assertThat(s.modelStore().getPath()).as(file).isEqualTo(mount);
      String claim =
          pod.path("volumes").get(0).path("persistentVolumeClaim").path("claimName").asText();
      JsonNode flinkPod =
          one("FlinkDeployment", "millrace-fraud").path("spec").path("podTemplate").path("spec");
      assertThat(
              flinkPod
                  .path("volumes")
                  .get(0)
                  .path("persistentVolumeClaim")
                  .path("claimName")
                  .asText())
          .isEqualTo(claim);
      assertThat(
              container(flinkPod, "flink-main-container")
                  .path("volumeMounts")
                  .get(0)
                  .path("mountPath")
                  .asText())
          .isEqualTo(mount);
      assertThat(strings(one("PersistentVolumeClaim", claim).path("spec").path("accessModes")))
          .containsExactly("ReadWriteMany");
      int metricsPort = portNamed(c, "metrics");
      List<String> args = strings(c.path("args"));
      assertThat(args.get(args.indexOf("--metrics-port") + 1))
          .isEqualTo(Integer.toString(metricsPort));
      assertThat(metricsPort).isEqualTo(MetricsEndpoint.DEFAULT_PORT);
    }
    JsonNode gpu = BY_FILE.get("trainer-gpu.yaml").get(0);
    JsonNode cpu = BY_FILE.get("trainer-cpu.yaml").get(0);
    JsonNode gpuLimits =
        container(gpu.path("spec").path("template").path("spec"), "trainer")
            .path("resources")
            .path("limits");
    JsonNode cpuLimits =
        container(cpu.path("spec").path("template").path("spec"), "trainer")
            .path("resources")
            .path("limits");
    assertThat(gpuLimits.path("nvidia.com/gpu").asInt()).isEqualTo(1);
    assertThat(cpuLimits.has("nvidia.com/gpu")).isFalse();
    List<String> gpuArgs =
        strings(container(gpu.path("spec").path("template").path("spec"), "trainer").path("args"));
    List<String> cpuArgs =
        strings(container(cpu.path("spec").path("template").path("spec"), "trainer").path("args"));
    assertThat(gpuArgs.get(gpuArgs.indexOf("--device") + 1)).isEqualTo("auto");
    assertThat(cpuArgs.get(cpuArgs.indexOf("--device") + 1)).isEqualTo("cpu");
  }

  @Test
  void theServiceMonitorFindsTheTrainersMetricsPort() {
    JsonNode service = one("Service", "millrace-trainer-metrics");
    JsonNode trainerLabels =
        BY_FILE
            .get("trainer-gpu.yaml")
            .get(0)
            .path("spec")
            .path("template")
            .path("metadata")
            .path("labels");
    service
        .path("spec")
        .path("selector")
        .fields()
        .forEachRemaining(
            e ->
                assertThat(trainerLabels.path(e.getKey()).asText())
                    .isEqualTo(e.getValue().asText()));
    JsonNode port = service.path("spec").path("ports").get(0);
    assertThat(port.path("port").asInt()).isEqualTo(MetricsEndpoint.DEFAULT_PORT);
    JsonNode monitor = one("ServiceMonitor", "millrace-trainer");
    monitor
        .path("spec")
        .path("selector")
        .path("matchLabels")
        .fields()
        .forEachRemaining(
            e ->
                assertThat(service.path("metadata").path("labels").path(e.getKey()).asText())
                    .isEqualTo(e.getValue().asText()));
    assertThat(monitor.path("spec").path("endpoints").get(0).path("port").asText())
        .isEqualTo(port.path("name").asText());
  }
}
