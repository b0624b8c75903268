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
import java.util.function.DoubleSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commit pacing on a real broker under exactly-once: the Kafka timestamp of each action reaches the
 * pacer through the timestamp extractor, so actions written a minute ago (a backlog) have their
 * commits held back until the detector has caught up; fresh ones are committed at {@code
 * commit.interval.ms} on the pacer's request, as is a feedback record that comes alone.
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
        new SampleFleet(11, 20, Instant.now().minus(Duration.ofDays(1))).actions(2_500);
    var serializer =
        AvroSerde.forValues(AgentAction.class, MockSchemaRegistry.forScope(SCOPE)).serializer();

    try (ChaperoneApp app = new ChaperoneApp(config, metrics);
        KafkaProducer<byte[], byte[]> producer =
            KafkaTestSupport.idempotentProducer(kafka.bootstrapServers())) {
      app.start();
      KafkaTestSupport.awaitState(app.streams(), KafkaStreams.State.RUNNING);

      // Given 2,000 actions the broker got a minute ago, as if the detector had been down
      long aMinuteAgo = System.currentTimeMillis() - 60_000;
      for (AgentAction action : actions.subList(0, 2_000)) {
        producer.send(record(config, serializer, action, aMinuteAgo));
      }
      producer.flush();
      // Then the detector, behind its input, holds commits back
      await(() -> deferrals.getAsDouble() >= 1, "a commit held back");
      // and once it has read them and waits for input, it has caught up and asks for one
      await(() -> metrics.eventsRead() >= 2_000, "the backlog read");
      await(() -> requests.getAsDouble() >= 1, "a commit asked for once caught up");

      // When fresh actions follow, it asks for commits as they come
      double beforeFresh = requests.getAsDouble();
      for (AgentAction action : actions.subList(2_000, 2_500)) {
        producer.send(record(config, serializer, action, null));
      }
      producer.flush();
      await(() -> metrics.eventsRead() >= 2_500, "the fresh actions read");
      await(() -> requests.getAsDouble() > beforeFresh, "a commit asked for");

      // When, the actions committed, only a feedback record comes (one the decoder dead-letters)
      Thread.sleep(500);
      double beforeFeedback = requests.getAsDouble();
      producer.send(
          new ProducerRecord<>(
              config.feedbackTopic(),
              "agent".getBytes(StandardCharsets.UTF_8),
              "not feedback".getBytes(StandardCharsets.UTF_8)));
      producer.flush();
      // Then its sub-topology asks for a commit too, not waiting for the backlog interval
      await(() -> requests.getAsDouble() > beforeFeedback, "a commit asked for after feedback");
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
}
