package dev.chaperone.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.DeadLetter;
import dev.chaperone.schema.DelegationHop;
import dev.chaperone.schema.PrincipalType;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.fleet.ObservedAgent;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.registry.MockSchemaRegistry;
import dev.chaperone.streams.serde.AvroSerde;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input on the actions topic, through the whole topology: 100,000 mutated records (bit
 * flips, truncations at every kind of length, appended and overwritten bytes, random bytes, foreign
 * schema ids; seeded, 2026) with a valid record every 500. No exception escapes, every record is
 * either accepted or dead-lettered with a reason, and every valid record in between is processed.
 * Then records as large as a topic takes: a 900 KB string, a 20,000-hop chain, 50,000 attributes.
 */
class HostileInputTest {

  private static final String SCOPE = "hostile-input";
  private static final Instant NOW = Instant.parse("2026-11-02T12:00:00Z");
  private final ChaperoneConfig config =
      new ChaperoneConfig(
          Map.of(
              ChaperoneConfig.SCHEMA_REGISTRY_URL_CONFIG,
              "mock://" + SCOPE,
              ChaperoneConfig.APPLICATION_ID_CONFIG,
              "hostile",
              ChaperoneConfig.RENDER_OCSF_CONFIG,
              false,
              ChaperoneConfig.RENDER_ECS_CONFIG,
              false));
  private final ChaperoneMetrics metrics = ChaperoneMetrics.inMemory();
  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> actions;
  private TestOutputTopic<byte[], byte[]> deadLetters;
  private MockSchemaRegistry registry;

  /** The driver's state directory, one per test, deleted by JUnit (the driver leaves its top). */
  @TempDir Path state;

  @BeforeEach
  void start() {
    registry = MockSchemaRegistry.forScope(SCOPE);
    Properties props = config.streamsProperties();
    props.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
    driver = new TopologyTestDriver(ChaperoneTopology.build(config, metrics), props, NOW);
    actions =
        driver.createInputTopic(
            config.actionsTopic(), new ByteArraySerializer(), new ByteArraySerializer());
    deadLetters =
        driver.createOutputTopic(
            config.deadLettersTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    // the control agent is registered: mutated agent ids are a flood of unknown agents, which
    // Chaperone stops following one by one (see UnregisteredFloodTest)
    driver
        .createInputTopic(
            config.registryTopic(),
            new org.apache.kafka.common.serialization.StringSerializer(),
            new ByteArraySerializer())
        .pipeInput(
            "control-agent",
            AvroSerde.forValues(dev.chaperone.schema.AgentRegistration.class, registry)
                .serializer()
                .serialize(config.registryTopic(), DetectionHarness.registration("control-agent")));
  }

  @AfterEach
  void stop() {
    driver.close();
    MockSchemaRegistry.dropScope(SCOPE);
  }

  @Test
  void shouldDeadLetterOrAcceptEveryMutatedRecordAndKeepProcessingTheValidOnes() {
    SplittableRandom random = new SplittableRandom(2026);
    var confluent = AvroSerde.forValues(AgentAction.class, registry).serializer();
    var singleObject = AvroSerde.forValues(AgentAction.class, null).serializer();
    int foreignId = registry.register("foreign-value", DeadLetter.getClassSchema());
    int mutated = 100_000 * Integer.getInteger("chaperone.chaos.scale", 1);
    int valid = 0;
    for (int i = 0; i < mutated; i++) {
      AgentAction base =
          TestActions.action("m-" + i, "agent-" + (i % 50), NOW.minusSeconds(mutated - i));
      byte[] bytes = (i % 2 == 0 ? confluent : singleObject).serialize(config.actionsTopic(), base);
      actions.pipeInput(
          ("k" + i % 7).getBytes(StandardCharsets.UTF_8), mutate(bytes, random, foreignId), NOW);
      if (i % 500 == 0) {
        AgentAction control =
            TestActions.action("control-" + i, "control-agent", NOW.minusSeconds(mutated - i));
        actions.pipeInput(
            "control-agent".getBytes(StandardCharsets.UTF_8),
            singleObject.serialize(config.actionsTopic(), control),
            NOW);
        valid++;
      }
    }

    double accepted =
        metrics.count(ChaperoneMetrics.EVENTS, ChaperoneMetrics.TAG_OUTCOME, "accepted");
    double dead =
        metrics.count(ChaperoneMetrics.EVENTS, ChaperoneMetrics.TAG_OUTCOME, "dead-lettered");
    long letters = deadLetters.getQueueSize();
    KeyValueStore<String, ObservedAgent> fleet =
        driver.getKeyValueStore(ChaperoneTopology.OBSERVED_FLEET_STORE);
    System.out.printf(
        "hostile input: in=%d accepted=%.0f dead-letters=%.0f (on topic %d) controls processed=%d of %d%n",
        mutated + valid, accepted, dead, letters, fleet.get("control-agent").events(), valid);

    KafkaTestSupport.closingFigures(
        "HostileInputTest",
        mutated + valid,
        (long) metrics.total(ChaperoneMetrics.SCORED),
        letters,
        (long) metrics.total(ChaperoneMetrics.ALERTS),
        0, // the mutated records carry unique event ids: none is a duplicate
        mutated + valid - (long) (accepted + dead));
    assertEquals(
        mutated + valid, (long) (accepted + dead), "every record accepted or dead-lettered");
    assertEquals((long) dead, letters, "every rejection is on the dead-letter topic");
    assertEquals(
        valid, fleet.get("control-agent").events(), "every valid record in between processed");
    assertTrue(dead > mutated / 2.0, "most mutations are caught: " + dead);
    for (var record : deadLetters.readValuesToList().subList(0, 1000)) {
      DeadLetter letter =
          AvroSerde.forValues(DeadLetter.class, registry)
              .deserializer()
              .deserialize(config.deadLettersTopic(), record);
      assertTrue(
          letter.getReason().length() > 10 && !letter.getReasonCode().isBlank(),
          letter.getReason());
    }
  }

  private static byte[] mutate(byte[] valid, SplittableRandom random, int foreignId) {
    byte[] out = valid.clone();
    switch (random.nextInt(7)) {
      case 0 -> { // flip 1 to 3 bits
        for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
          int bit = random.nextInt(out.length * 8);
          out[bit / 8] ^= (byte) (1 << (bit % 8));
        }
      }
      case 1 -> out = java.util.Arrays.copyOf(out, random.nextInt(out.length)); // truncate
      case 2 -> { // append junk
        byte[] junk = new byte[1 + random.nextInt(40)];
        random.nextBytes(junk);
        byte[] longer = java.util.Arrays.copyOf(out, out.length + junk.length);
        System.arraycopy(junk, 0, longer, out.length, junk.length);
        out = longer;
      }
      case 3 -> { // overwrite a run of bytes
        int at = random.nextInt(out.length);
        for (int i = at; i < Math.min(out.length, at + 1 + random.nextInt(16)); i++) {
          out[i] = (byte) random.nextInt(256);
        }
      }
      case 4 -> { // random bytes
        out = new byte[random.nextInt(300)];
        random.nextBytes(out);
      }
      case 5 -> { // a valid schema id of an unrelated schema
        if (out[0] == 0 && out.length > 5) {
          ByteBuffer.wrap(out, 1, 4).putInt(foreignId);
        } else {
          out[random.nextInt(out.length)] ^= (byte) 0x80;
        }
      }
      default -> { // max varint bytes in the middle: huge lengths and counts
        int at = 10 + random.nextInt(Math.max(1, out.length - 20));
        for (int i = at; i < Math.min(out.length, at + 5); i++) {
          out[i] = (byte) 0xFF;
        }
      }
    }
    return out;
  }

  @Test
  void shouldDeadLetterRecordsAsLargeAsATopicTakes() {
    var serializer = AvroSerde.forValues(AgentAction.class, null).serializer();
    AgentAction base = TestActions.action("big", "agent-big", NOW.minusSeconds(60));
    List<DelegationHop> chain = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      chain.add(
          DelegationHop.newBuilder()
              .setPrincipal("p-" + i)
              .setPrincipalType(PrincipalType.AGENT)
              .setDelegatedBy(i == 0 ? null : "p-" + (i - 1))
              .setIssuedAt(NOW.minusSeconds(120))
              .build());
    }
    Map<String, String> attributes = new HashMap<>();
    for (int i = 0; i < 50_000; i++) {
      attributes.put("attr-" + i, "v");
    }
    List<byte[]> huge =
        List.of(
            serializer.serialize(
                "t",
                AgentAction.newBuilder(base)
                    .setEventId("s")
                    .setResource("r".repeat(900_000))
                    .build()),
            serializer.serialize(
                "t", AgentAction.newBuilder(base).setEventId("c").setDelegation(chain).build()),
            serializer.serialize(
                "t",
                AgentAction.newBuilder(base).setEventId("a").setAttributes(attributes).build()),
            serializer.serialize(
                "t",
                AgentAction.newBuilder(base)
                    .setEventId("n")
                    .setOccurredAt(Instant.ofEpochMilli(-1))
                    .build()),
            serializer.serialize(
                "t",
                AgentAction.newBuilder(base)
                    .setEventId("f")
                    .setOccurredAt(NOW.plus(Duration.ofDays(3650)))
                    .build()));

    for (byte[] value : huge) {
      actions.pipeInput("agent-big".getBytes(StandardCharsets.UTF_8), value, NOW);
    }
    actions.pipeInput(
        "agent-big".getBytes(StandardCharsets.UTF_8), serializer.serialize("t", base), NOW);

    List<DeadLetter> letters =
        deadLetters.readValuesToList().stream()
            .map(
                v ->
                    AvroSerde.forValues(DeadLetter.class, registry)
                        .deserializer()
                        .deserialize(config.deadLettersTopic(), v))
            .toList();
    assertEquals(5, letters.size());
    assertTrue(
        letters.get(0).getReason().contains("resource: 900000 characters"),
        letters.get(0).getReason());
    assertTrue(
        letters.get(1).getReason().contains("delegation: 20000 hops"), letters.get(1).getReason());
    assertTrue(
        letters.get(2).getReason().contains("attributes: 50000 entries"),
        letters.get(2).getReason());
    assertTrue(
        letters.get(3).getReason().contains("negative timestamp"), letters.get(3).getReason());
    assertTrue(
        letters.get(4).getReason().contains("occurredAt: dated"), letters.get(4).getReason());
    assertEquals(
        1,
        driver
            .<String, ObservedAgent>getKeyValueStore(ChaperoneTopology.OBSERVED_FLEET_STORE)
            .get("agent-big")
            .events());
  }
}
