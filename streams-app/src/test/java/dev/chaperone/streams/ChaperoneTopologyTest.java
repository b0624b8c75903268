package dev.chaperone.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.DeadLetter;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.fleet.ObservedAgent;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.registry.MockSchemaRegistry;
import dev.chaperone.streams.serde.AvroSerde;
import dev.chaperone.streams.sim.MalformedRecords;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChaperoneTopologyTest {

  private static final String SCOPE = "topology-test";
  private static final Instant NOW = Instant.parse("2026-11-02T12:00:00Z");

  private final ChaperoneConfig config =
      new ChaperoneConfig(
          Map.of(
              ChaperoneConfig.SCHEMA_REGISTRY_URL_CONFIG,
              "mock://" + SCOPE,
              ChaperoneConfig.APPLICATION_ID_CONFIG,
              "topology-test"));
  private final ChaperoneMetrics metrics = ChaperoneMetrics.inMemory();
  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> actions;
  private TestOutputTopic<byte[], byte[]> deadLetters;

  /** The driver's state directory, one per test, deleted by JUnit (the driver leaves its top). */
  @TempDir Path state;

  @BeforeEach
  void startDriver() {
    Properties props = config.streamsProperties();
    props.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
    driver = new TopologyTestDriver(ChaperoneTopology.build(config, metrics), props, NOW);
    actions =
        driver.createInputTopic(
            config.actionsTopic(), new ByteArraySerializer(), new ByteArraySerializer());
    deadLetters =
        driver.createOutputTopic(
            config.deadLettersTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void closeDriver() {
    driver.close();
    MockSchemaRegistry.dropScope(SCOPE);
  }

  @Test
  void shouldPassValidActionsOfBothFramingsIntoTheFleetInventory() {
    // Given actions in both framings, one keyed by agent id, one keyed otherwise, one unkeyed
    var registry = MockSchemaRegistry.forScope(SCOPE);
    byte[] confluent =
        serialize(registry, TestActions.action("e-1", "agent-a", NOW.minusSeconds(30)));
    byte[] singleObject =
        serialize(null, TestActions.action("e-2", "agent-a", NOW.minusSeconds(20)));
    byte[] other = serialize(null, TestActions.action("e-3", "agent-b", NOW.minusSeconds(10)));

    // When they arrive
    actions.pipeInput("agent-a".getBytes(StandardCharsets.UTF_8), confluent);
    actions.pipeInput("gateway-7".getBytes(StandardCharsets.UTF_8), singleObject);
    actions.pipeInput(null, other);

    // Then both agents are in the inventory with their counts, and nothing is dead-lettered
    KeyValueStore<String, ObservedAgent> fleet =
        driver.getKeyValueStore(ChaperoneTopology.OBSERVED_FLEET_STORE);
    assertEquals(2, fleet.get("agent-a").events());
    assertEquals(1, fleet.get("agent-b").events());
    assertEquals(List.of("tok-agent-a"), fleet.get("agent-a").tokenIds());
    assertTrue(deadLetters.isEmpty());
    assertEquals(
        3, metrics.count(ChaperoneMetrics.EVENTS, ChaperoneMetrics.TAG_OUTCOME, "accepted"));
  }

  @Test
  void shouldDeadLetterEveryKindOfBadRecordWithItsBytesAndReason() {
    // Given one valid action and one of each kind of bad record
    var registry = MockSchemaRegistry.forScope(SCOPE);
    AgentAction template = TestActions.action("e-1", "agent-a", NOW.minusSeconds(30));
    List<MalformedRecords.Malformed> bad =
        MalformedRecords.of(template, config.actionsTopic(), registry, NOW);

    // When they arrive between valid records
    actions.pipeInput("agent-a".getBytes(StandardCharsets.UTF_8), serialize(registry, template));
    for (MalformedRecords.Malformed record : bad) {
      actions.pipeInput("key".getBytes(StandardCharsets.UTF_8), record.value());
    }
    actions.pipeInput(
        "agent-a".getBytes(StandardCharsets.UTF_8),
        serialize(registry, TestActions.action("e-2", "agent-a", NOW)));

    // Then each lands in dead letters once, with the original bytes, coordinates and reason
    var deserializer = AvroSerde.forValues(DeadLetter.class, registry).deserializer();
    var letters = deadLetters.readRecordsToList();
    assertEquals(bad.size(), letters.size());
    for (int i = 0; i < bad.size(); i++) {
      DeadLetter letter =
          deserializer.deserialize(config.deadLettersTopic(), letters.get(i).value());
      MalformedRecords.Malformed expected = bad.get(i);
      assertEquals(
          expected.expectedReasonCode(),
          letter.getReasonCode(),
          expected.kind() + ": " + letter.getReason());
      assertEquals(config.actionsTopic(), letter.getTopic());
      assertEquals(i + 1L, letter.getOffset());
      assertEquals(
          expected.value() == null ? null : ByteBuffer.wrap(expected.value()),
          letter.getValue(),
          expected.kind());
      assertEquals(ByteBuffer.wrap("key".getBytes(StandardCharsets.UTF_8)), letter.getKey());
      assertTrue(letter.getReason().length() > 10, letter.getReason());
    }
    // and the valid records around them were processed
    assertEquals(
        2,
        driver
            .<String, ObservedAgent>getKeyValueStore(ChaperoneTopology.OBSERVED_FLEET_STORE)
            .get("agent-a")
            .events());
    assertEquals(bad.size(), metrics.total(ChaperoneMetrics.DEAD_LETTERS));
    assertEquals(
        2,
        metrics.count(
            ChaperoneMetrics.DEAD_LETTERS, ChaperoneMetrics.TAG_REASON, "truncated-datum"));
  }

  @Test
  void shouldKeepItsProcessorStoreAndTopicNamesStable() throws IOException {
    Topology topology = ChaperoneTopology.build(config, metrics);

    String expected;
    try (InputStream in = getClass().getResourceAsStream("/topology-description.txt")) {
      expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    String actual = topology.describe().toString().strip();
    if (!expected.strip().equals(actual)) {
      // the whole description, for a reviewer to diff and, if intended, copy over
      java.nio.file.Files.writeString(
          java.nio.file.Path.of("target", "topology-description.actual.txt"), actual + "\n");
    }
    assertEquals(
        expected.strip(),
        actual,
        "the topology changed: if intended, update src/test/resources/topology-description.txt"
            + " (target/topology-description.actual.txt has the new one) and plan the migration of"
            + " renamed changelog or repartition topics");
  }

  private static byte[] serialize(MockSchemaRegistry registry, AgentAction action) {
    return AvroSerde.forValues(AgentAction.class, registry)
        .serializer()
        .serialize("chaperone.agent-actions", action);
  }

  static Map<String, Object> settings() {
    return new HashMap<>();
  }
}
