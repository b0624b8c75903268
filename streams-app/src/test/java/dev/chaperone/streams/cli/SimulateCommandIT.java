package dev.chaperone.streams.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.streams.KafkaTestSupport;
import dev.chaperone.streams.embedded.EmbeddedKafka;
import dev.chaperone.streams.registry.MockSchemaRegistry;
import dev.chaperone.streams.serde.AvroSerde;
import dev.chaperone.streams.sim.FleetSimulator;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * {@code chaperone simulate} against a real broker: topics created, history, live traffic, attack.
 */
class SimulateCommandIT {

  @Test
  void shouldProduceHistoryLiveTrafficAndTheChosenAttack() {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      int code =
          ChaperoneCli.execute(
              "simulate",
              "--bootstrap-servers",
              kafka.bootstrapServers(),
              "--schema-registry-url",
              "mock://simulate-it",
              "--agents",
              "10",
              "--days-of-history",
              "2",
              "--rate",
              "100",
              "--duration",
              "PT2S",
              "--scenarios",
              "stolen-token",
              "--registry-lead",
              "PT1S");

      assertEquals(0, code);
      List<ConsumerRecord<byte[], byte[]>> records =
          KafkaTestSupport.readRecordsUntilQuiet(
              kafka.bootstrapServers(), "chaperone.agent-actions", r -> r, Duration.ofSeconds(2));
      var deserializer =
          AvroSerde.forValues(AgentAction.class, MockSchemaRegistry.forScope("simulate-it"))
              .deserializer();
      List<AgentAction> actions =
          records.stream().map(r -> deserializer.deserialize(r.topic(), r.value())).toList();
      long live = actions.stream().filter(a -> a.getEventId().contains("@")).count();
      assertEquals(200 + 2, live, "2 s at 100/s, plus the attack's two actions");
      assertTrue(actions.size() > live, "history first: " + actions.size());
      assertTrue(
          actions.stream().anyMatch(a -> a.getEventId().startsWith("s-thief-")),
          "the stolen-token attack");
      assertTrue(
          actions.stream().anyMatch(a -> a.getAgentId().equals(FleetSimulator.SHADOW_AGENT)),
          "the shadow agent among the fleet");
      // the fleet registered a --registry-lead before its first action (producer timestamps)
      long lastRegistered =
          KafkaTestSupport.readRecordsUntilQuiet(
                  kafka.bootstrapServers(),
                  "chaperone.agent-registry",
                  ConsumerRecord::timestamp,
                  Duration.ofSeconds(1))
              .stream()
              .mapToLong(Long::longValue)
              .max()
              .orElseThrow();
      long firstAction = records.stream().mapToLong(ConsumerRecord::timestamp).min().orElseThrow();
      assertTrue(
          firstAction - lastRegistered >= 1_000,
          "registered " + (firstAction - lastRegistered) + " ms before the first action");
    } finally {
      MockSchemaRegistry.dropScope("simulate-it");
    }
  }
}
