package dev.chaperone.streams.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.schema.ActionType;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.AgentStatus;
import dev.chaperone.streams.TestActions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class JsonContractCodecTest {

  private static final String MINIMAL =
      "{\"eventId\":\"e-1\",\"occurredAt\":\"2026-11-02T09:15:00Z\",\"agentId\":\"a-1\",\"tool\":\"forum.read\"}";

  @Test
  void shouldReadAMinimalActionWithDefaults() throws Exception {
    AgentAction action = JsonContractCodec.readAction(MINIMAL);

    assertEquals("a-1", action.getAgentId());
    assertEquals(Instant.parse("2026-11-02T09:15:00Z"), action.getOccurredAt());
    assertEquals(ActionType.OTHER, action.getActionType());
    assertNull(action.getCredential());
    assertTrue(action.getDelegation().isEmpty());
    assertTrue(action.getAttributes().isEmpty());
  }

  @Test
  void shouldAcceptEpochMillisAndOffsetsForTimestamps() throws Exception {
    AgentAction millis =
        JsonContractCodec.readAction(MINIMAL.replace("\"2026-11-02T09:15:00Z\"", "1793618100000"));
    AgentAction offset =
        JsonContractCodec.readAction(
            MINIMAL.replace("2026-11-02T09:15:00Z", "2026-11-02T10:15:00+01:00"));

    assertEquals(Instant.ofEpochMilli(1793618100000L), millis.getOccurredAt());
    assertEquals(Instant.parse("2026-11-02T09:15:00Z"), offset.getOccurredAt());
  }

  @Test
  void shouldRoundTripAFullAction() throws Exception {
    AgentAction action =
        TestActions.action("e-9", "agent-9", Instant.parse("2026-11-02T09:15:00.123Z"));

    String json = JsonContractCodec.write(action);

    assertEquals(action, JsonContractCodec.readAction(json));
    assertTrue(json.contains("\"occurredAt\":\"2026-11-02T09:15:00.123Z\""), json);
    assertTrue(json.contains("\"principalType\":\"HUMAN\""), json);
  }

  @Test
  void shouldNameThePathAndReasonOfAnUnknownSymbol() {
    String json =
        "{\"eventId\":\"e\",\"occurredAt\":0,\"agentId\":\"a\",\"tool\":\"t\",\"delegation\":["
            + hop("HUMAN")
            + ","
            + hop("AGENT")
            + ","
            + hop("ROBOT")
            + "]}";

    ContractViolationException e =
        assertThrows(ContractViolationException.class, () -> JsonContractCodec.readAction(json));

    assertEquals("delegation[2].principalType", e.path());
    assertTrue(
        e.getMessage().startsWith("delegation[2].principalType: unknown symbol \"ROBOT\""),
        e.getMessage());
  }

  @Test
  void shouldNameMissingWrongAndUnknownFields() {
    assertViolation(MINIMAL.replace("\"agentId\":\"a-1\",", ""), "agentId: missing required field");
    assertViolation(
        MINIMAL.replace("\"2026-11-02T09:15:00Z\"", "\"yesterday\""),
        "occurredAt: not a timestamp: \"yesterday\"");
    assertViolation(
        MINIMAL.replace("}", ",\"sesionId\":\"s\"}"), "sesionId: unknown field of AgentAction");
    assertViolation(
        MINIMAL.replace("}", ",\"credential\":{\"scopes\":[1]}}"),
        "credential.tokenId: missing required field");
    assertViolation(
        MINIMAL.replace("}", ",\"credential\":{\"tokenId\":\"t\",\"scopes\":[1]}}"),
        "credential.scopes[0]: expected a string, found number 1");
    assertViolation(
        MINIMAL.replace("}", ",\"attributes\":{\"k\":true}}"),
        "attributes.k: expected a string, found true");
    assertViolation("{\"eventId\": ", "not valid JSON at line 1");
    assertViolation("[]", "expected an object (AgentAction), found an array");
  }

  @Test
  void shouldMapAnUnknownActionTypeToItsDefault() throws Exception {
    AgentAction action =
        JsonContractCodec.readAction(MINIMAL.replace("}", ",\"actionType\":\"TELEPORT\"}"));

    assertEquals(ActionType.OTHER, action.getActionType());
  }

  @Test
  void shouldReadTheExamplesInTheEventContractDocs() throws Exception {
    List<String> examples = jsonBlocks(Path.of("..", "docs", "event-contract.md"));

    AgentAction incident = JsonContractCodec.readAction(examples.get(0));
    AgentRegistration registration = JsonContractCodec.readRegistration(examples.get(1));

    assertEquals("PERMISSION_CHANGE_INSTRUCTION", incident.getOutput().getContentClass());
    assertEquals(List.of("write:*"), incident.getCredential().getScopes());
    assertNull(incident.getCredential().getExpiresAt());
    assertEquals(2, incident.getDelegation().size());
    assertEquals(AgentStatus.ACTIVE, registration.getStatus());
    assertEquals(
        List.of(ActionType.PERMISSION_CHANGE, ActionType.DATA_EXPORT),
        registration.getApprovalRequiredFor());
    assertEquals(
        registration, JsonContractCodec.readRegistration(JsonContractCodec.write(registration)));
  }

  private static String hop(String type) {
    return "{\"principal\":\"p\",\"principalType\":\"" + type + "\",\"issuedAt\":0}";
  }

  private static void assertViolation(String json, String expectedStart) {
    ContractViolationException e =
        assertThrows(ContractViolationException.class, () -> JsonContractCodec.readAction(json));
    assertTrue(
        e.getMessage().startsWith(expectedStart),
        () -> "expected '" + expectedStart + "…' but got: " + e.getMessage());
  }

  static List<String> jsonBlocks(Path markdown) throws IOException {
    Matcher m =
        Pattern.compile("```json\\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(markdown));
    List<String> blocks = new ArrayList<>();
    while (m.find()) {
      blocks.add(m.group(1));
    }
    return blocks;
  }
}
