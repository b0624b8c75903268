package dev.chaperone.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.DeadLetter;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.embedded.EmbeddedKafka;
import dev.chaperone.streams.fleet.ObservedAgent;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.registry.MockSchemaRegistry;
import dev.chaperone.streams.serde.AvroSerde;
import dev.chaperone.streams.sim.MalformedRecords;
import dev.chaperone.streams.sim.SampleFleet;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decode stage on a real broker under exactly-once: 1,000 valid actions in each wire format and
 * 20 malformed records in between give 2,000 accepted actions and exactly 20 dead letters, each
 * with its reason and original bytes.
 */
class DecodePipelineIT {

  private static final String SCOPE = "decode-pipeline-it";
  private static EmbeddedKafka kafka;

  @TempDir Path stateDir;

  @BeforeAll
  static void startBroker() {
    long started = System.nanoTime();
    kafka = EmbeddedKafka.start();
    System.out.printf(
        "embedded broker started in %d ms%n", (System.nanoTime() - started) / 1_000_000);
  }

  @AfterAll
  static void stopBroker() {
    Path directory = kafka.directory();
    kafka.close();
    MockSchemaRegistry.dropScope(SCOPE);
    assertFalse(Files.exists(directory), "the broker's directory is removed on close");
  }

  @Test
  void shouldAcceptEveryValidActionOnceAndDeadLetterEveryBadRecord() throws Exception {
    // Given a running app on 4-partition topics
    Map<String, Object> settings = new HashMap<>();
    settings.put(ChaperoneConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    settings.put(ChaperoneConfig.APPLICATION_ID_CONFIG, "decode-pipeline-it");
    settings.put(ChaperoneConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://" + SCOPE);
    settings.put(ChaperoneConfig.TOPICS_PARTITIONS_CONFIG, 4);
    settings.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    settings.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    ChaperoneConfig config = new ChaperoneConfig(settings);
    ChaperoneMetrics metrics = ChaperoneMetrics.inMemory();
    MockSchemaRegistry registry = MockSchemaRegistry.forScope(SCOPE);

    try (ChaperoneApp app = new ChaperoneApp(config, metrics)) {
      app.start();
      KafkaTestSupport.awaitState(app.streams(), KafkaStreams.State.RUNNING);

      // When 1,000 Confluent-framed and 1,000 single-object actions arrive with 20 bad records
      // between them
      List<AgentAction> actions =
          new SampleFleet(7, 50, Instant.now().minus(Duration.ofDays(2))).actions(2_000);
      List<MalformedRecords.Malformed> bad =
          MalformedRecords.of(actions.get(0), config.actionsTopic(), registry, Instant.now());
      assertEquals(20, bad.size());
      var confluent = AvroSerde.forValues(AgentAction.class, registry).serializer();
      var singleObject = AvroSerde.forValues(AgentAction.class, null).serializer();
      Map<String, Long> sentPerAgent = new TreeMap<>();
      try (KafkaProducer<byte[], byte[]> producer =
          KafkaTestSupport.idempotentProducer(kafka.bootstrapServers())) {
        for (int i = 0; i < actions.size(); i++) {
          AgentAction action = actions.get(i);
          sentPerAgent.merge(action.getAgentId(), 1L, Long::sum);
          byte[] value =
              (i % 2 == 0 ? confluent : singleObject).serialize(config.actionsTopic(), action);
          byte[] key = i % 7 == 0 ? null : action.getAgentId().getBytes(StandardCharsets.UTF_8);
          producer.send(new ProducerRecord<>(config.actionsTopic(), key, value));
          if (i % 100 == 42) {
            producer.send(
                new ProducerRecord<>(
                    config.actionsTopic(), bytes("bad-" + i / 100), bad.get(i / 100).value()));
          }
        }
        producer.flush();
      }

      // Then exactly 20 dead letters arrive (read committed), each with its reason and original
      // bytes
      List<DeadLetter> letters = readDeadLetters(config, registry, 20, Duration.ofSeconds(60));
      assertEquals(20, letters.size());
      Map<String, Long> reasons =
          letters.stream()
              .collect(
                  Collectors.groupingBy(
                      DeadLetter::getReasonCode, TreeMap::new, Collectors.counting()));
      Map<String, Long> expectedReasons =
          bad.stream()
              .collect(
                  Collectors.groupingBy(
                      MalformedRecords.Malformed::expectedReasonCode,
                      TreeMap::new,
                      Collectors.counting()));
      assertEquals(expectedReasons, reasons);
      List<ByteBuffer> values = letters.stream().map(DeadLetter::getValue).toList();
      for (MalformedRecords.Malformed record : bad) {
        assertTrue(
            values.contains(record.value() == null ? null : ByteBuffer.wrap(record.value())),
            record.kind() + " kept its bytes");
      }

      // and 2,000 actions come out the other side: every agent counted exactly as often as it was
      // sent
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      Map<String, Long> observed = Map.of();
      while (System.nanoTime() < deadline) {
        observed = observedPerAgent(app.streams());
        if (observed.equals(sentPerAgent)) {
          break;
        }
        Thread.sleep(200);
      }
      assertEquals(sentPerAgent, observed, "per-agent counts: nothing lost, nothing duplicated");
      long accepted =
          (long) metrics.count(ChaperoneMetrics.EVENTS, ChaperoneMetrics.TAG_OUTCOME, "accepted");
      System.out.printf(
          "decode pipeline: in=%d accepted=%d dead-letters=%d lost=%d duplicates=%d%n",
          actions.size() + bad.size(),
          accepted,
          letters.size(),
          Math.max(0, actions.size() - observed.values().stream().mapToLong(Long::longValue).sum()),
          Math.max(
              0, observed.values().stream().mapToLong(Long::longValue).sum() - actions.size()));
      assertEquals(2_000, accepted);
      // still running (with several stream threads it may be between rebalances for a moment)
      KafkaTestSupport.awaitState(app.streams(), KafkaStreams.State.RUNNING);
    }
  }

  private static Map<String, Long> observedPerAgent(KafkaStreams streams) {
    ReadOnlyKeyValueStore<String, ObservedAgent> store =
        streams.store(
            StoreQueryParameters.fromNameAndType(
                ChaperoneTopology.OBSERVED_FLEET_STORE, QueryableStoreTypes.keyValueStore()));
    Map<String, Long> counts = new TreeMap<>();
    try (KeyValueIterator<String, ObservedAgent> all = store.all()) {
      all.forEachRemaining(kv -> counts.put(kv.key, kv.value.events()));
    }
    return counts;
  }

  private static List<DeadLetter> readDeadLetters(
      ChaperoneConfig config, MockSchemaRegistry registry, int expected, Duration timeout) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "dead-letter-reader");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    var deserializer = AvroSerde.forValues(DeadLetter.class, registry).deserializer();
    List<DeadLetter> letters = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(config.deadLettersTopic()));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline && letters.size() < expected) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          letters.add(deserializer.deserialize(record.topic(), record.value()));
        }
      }
      // Read a little longer: a 21st dead letter would be a duplicate.
      for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofSeconds(1))) {
        letters.add(deserializer.deserialize(record.topic(), record.value()));
      }
    }
    return letters;
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
