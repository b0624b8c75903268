package dev.chaperone.streams;

import static dev.chaperone.streams.DetectionHarness.NOW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chaperone.schema.Alert;
import dev.chaperone.streams.config.ChaperoneConfig;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.Test;

/** The OCSF and ECS renderings beside the Avro alert topic, switchable in config. */
class SocRenderingTopologyTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static List<JsonNode> read(DetectionHarness harness, String topic) throws Exception {
    TestOutputTopic<String, byte[]> out =
        harness.driver.createOutputTopic(
            topic, new StringDeserializer(), new ByteArrayDeserializer());
    List<JsonNode> nodes = new java.util.ArrayList<>();
    for (byte[] value : out.readValuesToList()) {
      nodes.add(JSON.readTree(value));
    }
    return nodes;
  }

  @Test
  void shouldWriteEveryAlertAsOcsfAndEcsToo() throws Exception {
    try (DetectionHarness harness = new DetectionHarness()) {
      harness.register(DetectionHarness.registration("agent-a"));
      harness.send(harness.action("agent-a", NOW).setResource("forum://thread/9920").build());

      List<Alert> alerts = harness.alerts();
      List<JsonNode> ocsf = read(harness, harness.config.ocsfTopic());
      List<JsonNode> ecs = read(harness, harness.config.ecsTopic());

      assertEquals(1, alerts.size());
      assertEquals(1, ocsf.size());
      assertEquals(1, ecs.size());
      assertEquals(2004, ocsf.get(0).path("class_uid").asInt());
      assertEquals(
          alerts.get(0).getAlertId(), ocsf.get(0).path("finding_info").path("uid").asText());
      assertEquals(
          "REQUEST_DRIFT", ocsf.get(0).path("finding_info").path("analytic").path("uid").asText());
      assertEquals(
          alerts.get(0).getAlertId(),
          ecs.get(0).path("kibana").path("alert").path("uuid").asText());
      assertEquals("alert", ecs.get(0).path("event").path("kind").asText());
      assertEquals("eng.alice", ecs.get(0).path("user").path("effective").path("id").asText());
    }
  }

  @Test
  void shouldLeaveARenderingOutWhenSwitchedOff() throws Exception {
    try (DetectionHarness harness =
        new DetectionHarness(Map.of(ChaperoneConfig.RENDER_OCSF_CONFIG, false))) {
      harness.register(DetectionHarness.registration("agent-a"));
      harness.send(harness.action("agent-a", NOW).setResource("forum://thread/9920").build());

      assertEquals(1, harness.alerts().size());
      assertTrue(read(harness, harness.config.ocsfTopic()).isEmpty());
      assertEquals(1, read(harness, harness.config.ecsTopic()).size());
    }
  }
}
