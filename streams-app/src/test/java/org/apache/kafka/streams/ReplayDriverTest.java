package org.apache.kafka.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.streams.ChaperoneTopology;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.serde.AvroSerde;
import dev.chaperone.streams.sim.AttackScenarios;
import dev.chaperone.streams.sim.FleetSimulator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ReplayDriver} against {@link TopologyTestDriver}: the same topology over the same records
 * produces the same records, while committing every few hundred records instead of after each.
 */
class ReplayDriverTest {

  private static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");
  private static final long WALL_CLOCK = NOW.plus(Duration.ofDays(1)).toEpochMilli();
  private static final int COMMIT_EVERY = 300;

  @TempDir Path dir;

  private ChaperoneConfig config;
  private final List<String> outputs = new ArrayList<>();

  @BeforeEach
  void configure() {
    Map<String, Object> settings = new HashMap<>();
    settings.put(ChaperoneConfig.APPLICATION_ID_CONFIG, "replay-driver-test");
    settings.put(ChaperoneConfig.SCORES_ENABLED_CONFIG, true);
    config = new ChaperoneConfig(settings);
    outputs.addAll(
        List.of(
            config.alertsTopic(),
            config.scoresTopic(),
            config.deadLettersTopic(),
            config.violationsTopic()));
  }

  @Test
  void shouldProduceWhatTopologyTestDriverProducesForTheSameRecords() {
    // Given 12 agents' registrations, 8 days of their traffic and every attack scenario, with a
    // stolen token (whose uses cross the credential repartition) and one undecodable record
    FleetSimulator fleet = new FleetSimulator(11, 12);
    List<AgentAction> actions = new ArrayList<>(fleet.traffic(NOW.minus(Duration.ofDays(8)), NOW));
    AttackScenarios.all(fleet, NOW).forEach(attack -> actions.addAll(attack.events()));
    actions.sort(FleetSimulator.EVENT_TIME_ORDER);
    assertTrue(
        actions.size() > 5 * COMMIT_EVERY,
        actions.size() + " actions: commits fall inside the trace");
    var registrations = AvroSerde.forValues(AgentRegistration.class, null).serializer();
    var encoder = AvroSerde.forValues(AgentAction.class, null).serializer();
    List<TestRecord<byte[], byte[]>> registry = new ArrayList<>();
    for (AgentRegistration r : fleet.registrations(NOW.minus(Duration.ofDays(20)))) {
      registry.add(
          new TestRecord<>(
              bytes(r.getAgentId()),
              registrations.serialize(config.registryTopic(), r),
              Instant.EPOCH));
    }
    List<TestRecord<byte[], byte[]>> events = new ArrayList<>();
    for (AgentAction action : actions) {
      events.add(
          new TestRecord<>(
              bytes(action.getAgentId()),
              encoder.serialize(config.actionsTopic(), action),
              action.getOccurredAt()));
    }
    events.add(
        actions.size() / 2,
        new TestRecord<>(
            bytes("agent-x"), bytes("not avro"), actions.get(actions.size() / 2).getOccurredAt()));

    // When both drivers run them
    Map<String, List<String>> expected = withTopologyTestDriver(registry, events);
    Map<String, List<String>> actual = withReplayDriver(registry, events);

    // Then every output topic holds the same records, and the trace did reach each kind of output
    for (String topic : outputs) {
      assertEquals(expected.get(topic).size(), actual.get(topic).size(), topic);
      assertEquals(expected.get(topic), actual.get(topic), topic);
    }
    assertEquals(events.size() - 1, actual.get(config.scoresTopic()).size(), "a score per event");
    assertEquals(1, actual.get(config.deadLettersTopic()).size(), "the undecodable record");
    assertTrue(
        actual.get(config.alertsTopic()).stream().anyMatch(a -> a.contains("CREDENTIAL_SHARED")),
        "the stolen token, raised after the credential repartition");
    assertTrue(!actual.get(config.violationsTopic()).isEmpty(), "the runaway delegation chain");
  }

  @Test
  void shouldRefuseATopicTheTopologyDoesNotReadOrCapture() {
    try (ReplayDriver driver = new ReplayDriver(topology(), properties(), WALL_CLOCK)) {
      IllegalArgumentException notRead =
          assertThrows(
              IllegalArgumentException.class,
              () -> driver.pipe("no-such-topic", null, new byte[0], 0L));
      assertTrue(notRead.getMessage().contains("no-such-topic"), notRead.getMessage());
      assertThrows(IllegalArgumentException.class, () -> driver.drain(config.alertsTopic()));
    }
  }

  private Map<String, List<String>> withTopologyTestDriver(
      List<TestRecord<byte[], byte[]>> registry, List<TestRecord<byte[], byte[]>> events) {
    Map<String, List<String>> produced = new HashMap<>();
    try (TopologyTestDriver driver =
        new TopologyTestDriver(topology(), properties(), Instant.ofEpochMilli(WALL_CLOCK))) {
      ByteArraySerializer bytes = new ByteArraySerializer();
      driver.createInputTopic(config.registryTopic(), bytes, bytes).pipeRecordList(registry);
      driver.createInputTopic(config.actionsTopic(), bytes, bytes).pipeRecordList(events);
      for (String topic : outputs) {
        List<String> records = new ArrayList<>();
        driver
            .createOutputTopic(topic, new ByteArrayDeserializer(), new ByteArrayDeserializer())
            .readRecordsToList()
            .forEach(r -> records.add(describe(r.key(), r.value(), r.timestamp())));
        produced.put(topic, records);
      }
    }
    return produced;
  }

  private Map<String, List<String>> withReplayDriver(
      List<TestRecord<byte[], byte[]>> registry, List<TestRecord<byte[], byte[]>> events) {
    Map<String, List<String>> produced = new HashMap<>();
    try (ReplayDriver driver =
        new ReplayDriver(topology(), properties(), WALL_CLOCK, COMMIT_EVERY)) {
      outputs.forEach(driver::capture);
      for (TestRecord<byte[], byte[]> r : registry) {
        driver.pipe(config.registryTopic(), r.key(), r.value(), r.timestamp());
      }
      for (TestRecord<byte[], byte[]> r : events) {
        driver.pipe(config.actionsTopic(), r.key(), r.value(), r.timestamp());
      }
      for (String topic : outputs) {
        List<String> records = new ArrayList<>();
        for (ProducerRecord<byte[], byte[]> r : driver.drain(topic)) {
          records.add(describe(r.key(), r.value(), r.timestamp()));
        }
        produced.put(topic, records);
      }
    }
    return produced;
  }

  private Topology topology() {
    return ChaperoneTopology.build(
        config,
        ChaperoneMetrics.inMemory(),
        new ChaperoneTopology.Rejections(),
        ChaperoneTopology.StateStorage.EPHEMERAL);
  }

  private Properties properties() {
    Properties props = config.streamsProperties();
    props.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0L);
    return props;
  }

  /** A record's key, value and timestamp; values as text where they are (scores, alerts' ids). */
  private static String describe(byte[] key, byte[] value, long timestamp) {
    return (key == null ? "null" : new String(key, StandardCharsets.ISO_8859_1))
        + " @"
        + timestamp
        + " "
        + (value == null ? "null" : new String(value, StandardCharsets.ISO_8859_1))
        + " "
        + Arrays.hashCode(value);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
