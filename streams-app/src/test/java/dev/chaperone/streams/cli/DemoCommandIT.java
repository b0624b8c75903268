package dev.chaperone.streams.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chaperone.streams.sim.AttackScenarios;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, end to end on its own broker: every attack detected, every record
 * accounted for, the summary written as JSON.
 */
class DemoCommandIT {

  @TempDir Path dir;

  @Test
  void shouldDetectEveryAttackOfTheDemo() throws Exception {
    Path summary = dir.resolve("summary.json");

    int code =
        ChaperoneCli.execute(
            "demo", "--agents", "20", "--days", "21", "--summary-json", summary.toString());

    JsonNode json = new ObjectMapper().readTree(summary.toFile());
    assertEquals(0, code, json.toString());
    List<String> names = new ArrayList<>();
    for (JsonNode scenario : json.path("scenarios")) {
      names.add(scenario.path("name").asText());
      assertTrue(scenario.path("detected").asBoolean(), scenario.toString());
      assertTrue(scenario.path("rules").size() >= 1, scenario.toString());
      assertTrue(scenario.path("latencyMs").asLong() >= 0, scenario.toString());
    }
    assertEquals(AttackScenarios.NAMES, names);
    assertTrue(json.path("shadowAgentDetected").asBoolean(), json.toString());
    assertTrue(json.path("events").asLong() > 5_000, json.toString());
    assertTrue(json.path("falseAlerts").isNumber(), json.toString());
    long byRule = 0;
    for (JsonNode count : json.path("falseAlertsByRule")) {
      byRule += count.asLong();
    }
    assertEquals(json.path("falseAlerts").asLong(), byRule, json.toString());
    // every agent of the fleet is registered before the detector starts: none is flagged as
    // unregistered (the shadow agent's alerts are not false ones)
    assertTrue(
        json.path("falseAlertsByRule").path("UNREGISTERED_AGENT").isMissingNode(), json.toString());
  }
}
