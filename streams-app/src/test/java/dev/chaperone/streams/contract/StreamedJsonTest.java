package dev.chaperone.streams.contract;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.streams.sim.AttackScenarios;
import dev.chaperone.streams.sim.FleetSimulator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link StreamedJson} against the tree {@link JsonContractCodec} converts through: for every
 * document, {@link JsonContractCodec#readAction(byte[], int, int)} gives what {@link
 * JsonContractCodec#readAction(String)} gives, the same action or the same violation.
 */
class StreamedJsonTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");

  @Test
  void shouldStreamEveryActionOfAFleetAndItsAttacksToTheActionTheTreeReads() throws Exception {
    // Given three days of a 12-agent fleet and every attack scenario, in their JSON form
    FleetSimulator fleet = new FleetSimulator(3, 12);
    List<AgentAction> actions = new ArrayList<>(fleet.traffic(NOW.minus(Duration.ofDays(3)), NOW));
    AttackScenarios.all(fleet, NOW).forEach(attack -> actions.addAll(attack.events()));

    for (AgentAction action : actions) {
      byte[] json = JsonContractCodec.write(action).getBytes(UTF_8);

      // When each is streamed, Then it is read without the tree, as the action written
      AgentAction streamed = StreamedJson.action(JSON.getFactory(), json, 0, json.length);
      assertNotNull(streamed, action.getEventId());
      assertEquals(action, streamed);
    }
    assertTrue(actions.size() > 1_000, actions.size() + " actions");
  }

  @Test
  void shouldAnswerEveryMutatedDocumentAsTheTreeDoes() throws Exception {
    // Given documents made from a few actions: each field anywhere in them removed, set to null, to
    // each wrong kind of value, or duplicated; an unknown field; timestamps as epoch milliseconds,
    // with an offset or not a time; an unknown enum symbol; broken, empty and non-object documents
    List<String> documents = new ArrayList<>();
    FleetSimulator fleet = new FleetSimulator(5, 10);
    List<AgentAction> bases = new ArrayList<>();
    AttackScenarios.all(fleet, NOW).forEach(attack -> bases.add(attack.events().get(0)));
    for (AgentAction base : bases) {
      ObjectNode tree = (ObjectNode) JSON.readTree(JsonContractCodec.write(base));
      documents.add(tree.toString());
      mutate(tree, tree, documents);
      String text = tree.toString();
      documents.add("{\"agentId\":\"first-of-two\"," + text.substring(1));
      documents.add("{\"agentId\":42," + text.substring(1));
      documents.add(text.substring(0, text.length() / 2));
      documents.add(text + " trailing");
    }
    documents.addAll(List.of("", " ", "null", "[]", "\"text\"", "{", "{}", "{\"x\":1}"));

    // When each is read both ways, Then both give the same action or the same violation
    int valid = 0;
    int violations = 0;
    for (String document : documents) {
      Object tree = outcome(() -> JsonContractCodec.readAction(document));
      byte[] bytes = ("  " + document + "\n").getBytes(UTF_8);
      Object streamed = outcome(() -> JsonContractCodec.readAction(bytes, 2, bytes.length - 3));
      assertEquals(tree, streamed, document);
      if (tree instanceof AgentAction) {
        valid++;
      } else {
        violations++;
      }
    }
    assertTrue(valid > 20 && violations > 100, valid + " valid, " + violations + " violations");
  }

  /** Every variant of {@code root} with one field of {@code node} (or below it) changed. */
  private static void mutate(ObjectNode root, JsonNode node, List<String> out) {
    if (node instanceof ObjectNode object) {
      List<String> names = new ArrayList<>();
      object.fieldNames().forEachRemaining(names::add);
      for (String name : names) {
        JsonNode original = object.get(name);
        object.remove(name);
        out.add(root.toString());
        for (JsonNode replacement : replacements(original)) {
          object.set(name, replacement);
          out.add(root.toString());
        }
        object.set(name, original);
        mutate(root, original, out);
      }
      object.put("noSuchField", 1);
      out.add(root.toString());
      object.remove("noSuchField");
    } else if (node instanceof ArrayNode array && !array.isEmpty()) {
      JsonNode first = array.get(0);
      for (JsonNode replacement : replacements(first)) {
        array.set(0, replacement);
        out.add(root.toString());
      }
      array.set(0, first);
      mutate(root, first, out);
    }
  }

  private static List<JsonNode> replacements(JsonNode original) {
    List<JsonNode> values =
        new ArrayList<>(
            List.of(
                NODES.nullNode(),
                NODES.numberNode(5),
                NODES.numberNode(1.5),
                NODES.numberNode(new java.math.BigInteger("123456789012345678901234567890")),
                NODES.numberNode(3_000_000_000L),
                NODES.textNode("x"),
                NODES.textNode("UNKNOWN_SYMBOL"),
                NODES.booleanNode(true),
                NODES.arrayNode(),
                NODES.objectNode()));
    if (original.isTextual()) {
      Instant at = JsonContractCodec.instant(original.textValue());
      if (at != null) {
        values.add(NODES.numberNode(at.toEpochMilli()));
        values.add(NODES.textNode(at.atOffset(java.time.ZoneOffset.ofHours(2)).toString()));
        values.add(NODES.textNode("2026-13-45T99:00:00Z"));
      }
    }
    if (original.isObject()) {
      ObjectNode copy = original.deepCopy();
      Iterator<Map.Entry<String, JsonNode>> fields = original.fields();
      if (fields.hasNext()) {
        copy.remove(fields.next().getKey());
        values.add(copy);
      }
    }
    return values;
  }

  private interface Read {
    AgentAction read() throws ContractViolationException;
  }

  /**
   * The action read, or the violation's path and reason; for broken JSON only where it broke, since
   * Jackson words the rest differently for bytes and for text.
   */
  private static Object outcome(Read read) {
    try {
      return read.read();
    } catch (ContractViolationException e) {
      String reason = e.reason();
      if (reason.startsWith("not valid JSON at ")) {
        reason = reason.substring(0, reason.indexOf(':'));
      }
      return List.of(e.path(), reason);
    }
  }
}
