package dev.chaperone.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.embedded.EmbeddedKafka;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.registry.MockSchemaRegistry;
import dev.chaperone.streams.serde.AvroSerde;
import dev.chaperone.streams.sim.SampleFleet;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.DoubleSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commit pacing on a real broker under exactly-once: the Kafka timestamp of each action reaches the
 * pacer through the timestamp extractor, so actions written a minute ago (a backlog) leave the
 * commits to Kafka Streams' backlog interval, and fresh ones are committed at {@code
 * commit.interval.ms} on the pacer's request.
 */
class CommitPacingIT {

  private static final String SCOPE = "commit-pacing-it";
  private static EmbeddedKafka kafka;

  @TempDir Path stateDir;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
    MockSchemaRegistry.dropScope(SCOPE);
  }

  @Test
  void shouldHoldCommitsBackWhileBehindAndAskForThemOnceCaughtUp() throws Exception {
    Map<String, Object> settings = new HashMap<>();
    settings.put(ChaperoneConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    settings.put(ChaperoneConfig.APPLICATION_ID_CONFIG, "commit-pacing-it");
    settings.put(ChaperoneConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://" + SCOPE);
    settings.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    settings.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    settings.put(ChaperoneConfig.COMMIT_BACKLOG_INTERVAL_MS_CONFIG, 1_000);
    ChaperoneConfig config = new ChaperoneConfig(settings);
    assertEquals(1_000L, config.streamsProperties().get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
    ChaperoneMetrics metrics = ChaperoneMetrics.inMemory();
    DoubleSupplier requests = () -> metrics.count(ChaperoneMetrics.COMMIT_REQUESTS);
    DoubleSupplier deferrals = () -> metrics.count(ChaperoneMetrics.COMMIT_DEFERRALS);
    List<AgentAction> actions =
        new SampleFleet(11, 20, Instant.now().minus(Duration.ofDays(1))).actions(1_000);
    var serializer =
        AvroSerde.forValues(AgentAction.class, MockSchemaRegistry.forScope(SCOPE)).serializer();

    try (ChaperoneApp app = new ChaperoneApp(config, metrics);
        KafkaProducer<byte[], byte[]> producer = producer()) {
      app.start();
      awaitState(app.streams(), KafkaStreams.State.RUNNING);

      // Given 500 actions the broker got a minute ago, as if the detector had been down
      long aMinuteAgo = System.currentTimeMillis() - 60_000;
      for (AgentAction action : actions.subList(0, 500)) {
        producer.send(record(config, serializer, action, aMinuteAgo));
      }
      producer.flush();
      // Then the detector, behind its input, holds commits back and asks for none
      await(() -> metrics.eventsRead() >= 500, "the backlog read");
      await(() -> deferrals.getAsDouble() >= 1, "a commit held back");
      assertEquals(0, requests.getAsDouble(), "no commit asked for while behind");

      // When fresh actions follow
      for (AgentAction action : actions.subList(500, 1_000)) {
        producer.send(record(config, serializer, action, null));
      }
      producer.flush();
      // Then it asks for commits again
      await(() -> metrics.eventsRead() >= 1_000, "the fresh actions read");
      await(() -> requests.getAsDouble() >= 1, "a commit asked for");
    }
  }

  private static ProducerRecord<byte[], byte[]> record(
      ChaperoneConfig config,
      org.apache.kafka.common.serialization.Serializer<AgentAction> serializer,
      AgentAction action,
      Long timestamp) {
    return new ProducerRecord<>(
        config.actionsTopic(),
        null,
        timestamp,
        action.getAgentId().getBytes(StandardCharsets.UTF_8),
        serializer.serialize(config.actionsTopic(), action));
  }

  private static void await(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(condition.getAsBoolean(), "timed out waiting for " + what);
  }

  private static KafkaProducer<byte[], byte[]> producer() {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    // one batch in flight: right after topic creation a refused first batch would let later ones
    // arrive out of sequence, which the broker refuses until the delivery timeout (2 min)
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static void awaitState(KafkaStreams streams, KafkaStreams.State state)
      throws InterruptedException {
    await(() -> streams.state() == state, "state " + state);
  }
}
