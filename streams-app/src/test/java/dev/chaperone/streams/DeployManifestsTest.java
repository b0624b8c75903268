package dev.chaperone.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.http.OpsServer;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import java.io.StringReader;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The files under {@code deploy/} agree with the code: every topic the app would create is a
 * KafkaTopic with the same cleanup policy and retention, the pod's port and probe paths are the
 * ones the HTTP interface serves, the ConfigMap is a valid Chaperone config, and the dashboard asks
 * only for metrics the app publishes.
 */
class DeployManifestsTest {

  private static final Path DEPLOY = Path.of("..", "deploy");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static List<JsonNode> documents(Path file) throws Exception {
    List<JsonNode> docs = new ArrayList<>();
    try (var parser = YAML.getFactory().createParser(Files.readString(file))) {
      var iterator = YAML.readValues(parser, JsonNode.class);
      while (iterator.hasNext()) {
        JsonNode doc = iterator.next();
        if (doc != null && !doc.isNull() && !doc.isEmpty()) {
          docs.add(doc);
        }
      }
    }
    return docs;
  }

  private static JsonNode kind(List<JsonNode> docs, String kind) {
    return docs.stream()
        .filter(d -> d.path("kind").asText().equals(kind))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind));
  }

  @Test
  void shouldDeclareEveryTopicAsTheAppWouldCreateIt() throws Exception {
    Map<String, Object> settings = new HashMap<>();
    settings.put(ChaperoneConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    settings.put(ChaperoneConfig.SCORES_ENABLED_CONFIG, true);
    Map<String, Map<String, String>> required =
        TopicProvisioner.requiredTopics(new ChaperoneConfig(settings));

    Map<String, JsonNode> declared = new TreeMap<>();
    for (JsonNode doc : documents(DEPLOY.resolve("strimzi/topics.yaml"))) {
      assertEquals("KafkaTopic", doc.path("kind").asText());
      declared.put(doc.path("spec").path("topicName").asText(), doc.path("spec").path("config"));
    }

    assertEquals(new TreeSet<>(required.keySet()), declared.keySet());
    required.forEach(
        (topic, configs) ->
            configs.forEach(
                (key, value) ->
                    assertEquals(
                        value, declared.get(topic).path(key).asText(), topic + " " + key)));
  }

  @Test
  void shouldProbeAndExposeWhatTheHttpInterfaceServes() throws Exception {
    List<JsonNode> docs = documents(DEPLOY.resolve("k8s/chaperone.yaml"));
    JsonNode configMap = kind(docs, "ConfigMap");
    Properties props = new Properties();
    props.load(new StringReader(configMap.path("data").path("app.properties").asText()));
    Map<String, Object> settings = new HashMap<>();
    props.forEach((k, v) -> settings.put(k.toString(), v));
    ChaperoneConfig config = new ChaperoneConfig(settings); // throws when invalid
    int port = config.httpPort();
    assertEquals("0.0.0.0", config.httpHost(), "reachable by the kubelet and the other pods");

    JsonNode statefulSet = kind(docs, "StatefulSet");
    JsonNode pod = statefulSet.path("spec").path("template").path("spec");
    JsonNode container = pod.path("containers").get(0);
    assertEquals(port, container.path("ports").get(0).path("containerPort").asInt());
    assertEquals(
        OpsServer.READY_PATH,
        container.path("readinessProbe").path("httpGet").path("path").asText());
    assertEquals(
        OpsServer.HEALTH_PATH,
        container.path("livenessProbe").path("httpGet").path("path").asText());
    assertEquals(
        OpsServer.METRICS_PATH,
        statefulSet
            .path("spec")
            .path("template")
            .path("metadata")
            .path("annotations")
            .path("prometheus.io/path")
            .asText());
    assertFalse(container.path("resources").path("limits").isMissingNode(), "limits");
    assertFalse(container.path("resources").path("requests").isMissingNode(), "requests");

    // state on the persistent volume
    String args = container.path("args").toString();
    String stateDir = container.path("volumeMounts").get(0).path("mountPath").asText();
    assertTrue(args.contains("state.dir=" + stateDir), args);
    assertEquals(
        container.path("volumeMounts").get(0).path("name").asText(),
        statefulSet
            .path("spec")
            .path("volumeClaimTemplates")
            .get(0)
            .path("metadata")
            .path("name")
            .asText());

    // query routing through the headless Service
    JsonNode service = kind(docs, "Service");
    assertEquals("None", service.path("spec").path("clusterIP").asText());
    assertEquals(port, service.path("spec").path("ports").get(0).path("port").asInt());
    String serviceName = statefulSet.path("spec").path("serviceName").asText();
    assertEquals(service.path("metadata").path("name").asText(), serviceName);
    assertTrue(args.contains("application.server=$(POD_NAME)." + serviceName + ":" + port), args);
    assertNotNull(kind(docs, "PodDisruptionBudget"));
  }

  @Test
  void shouldChartOnlyMetricsTheAppPublishes() throws Exception {
    Set<String> published = new TreeSet<>();
    for (Field field : ChaperoneMetrics.class.getFields()) {
      if (Modifier.isStatic(field.getModifiers())
          && field.getType() == String.class
          && field.get(null).toString().startsWith("chaperone.")) {
        String name = field.get(null).toString().replace('.', '_');
        published.add(name + "_total");
        for (String suffix : List.of("_bucket", "_count", "_sum", "_max")) {
          published.add(name + "_sigma" + suffix);
        }
      }
    }
    String dashboard = Files.readString(DEPLOY.resolve("grafana/chaperone-dashboard.json"));
    new ObjectMapper().readTree(dashboard); // valid JSON
    Matcher metric = Pattern.compile("chaperone_[a-z_]+").matcher(dashboard);
    int charted = 0;
    while (metric.find()) {
      assertTrue(published.contains(metric.group()), metric.group() + " is not published");
      charted++;
    }
    assertTrue(charted >= 6, "charted " + charted);
  }
}
