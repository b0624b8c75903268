package dev.chaperone.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.streams.embedded.EmbeddedKafka;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.registry.MockSchemaRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker restarts mid-stream, under exactly-once: the app is not touched and recovers by
 * itself; every event is scored exactly once (scores topic, read committed) and the alert topic
 * holds the same alerts as a run without the restart. {@code -Dchaperone.chaos.scale=N} multiplies
 * the events and restarts the broker N times.
 */
class BrokerRestartIT {

  private static final String SCOPE = "broker-restart-it";
  private static final int SCALE = Integer.getInteger("chaperone.chaos.scale", 1);
  private static final int AGENTS = 200;
  private static final int EVENTS = 20_000 * SCALE;
  private static EmbeddedKafka kafka;
  private static MockSchemaRegistry registry;

  @TempDir Path state;

  @BeforeAll
  static void start() throws Exception {
    kafka = EmbeddedKafka.start();
    registry = MockSchemaRegistry.forScope(SCOPE);
    FleetInput.produce(kafka, registry, 5, AGENTS, AGENTS * 3 / 4, EVENTS);
  }

  @AfterAll
  static void stop() {
    kafka.close();
    MockSchemaRegistry.dropScope(SCOPE);
  }

  /** Runs the app over the whole input, restarting the broker {@code restarts} times on the way. */
  private Map<String, Long> run(String run, int restarts) throws Exception {
    FleetInput.provision(kafka, FleetInput.config(kafka, SCOPE, run, 0, state));
    ChaperoneMetrics metrics = ChaperoneMetrics.inMemory();
    try (ChaperoneApp app =
        new ChaperoneApp(FleetInput.config(kafka, SCOPE, run, 0, state), metrics)) {
      app.start();
      for (int r = 1; r <= restarts; r++) {
        FleetInput.awaitScored(
            () -> (long) metrics.total(ChaperoneMetrics.SCORED),
            (long) EVENTS * r / (restarts + 1));
        kafka.restartBroker(Duration.ofSeconds(5));
      }
      FleetInput.awaitScored(() -> (long) metrics.total(ChaperoneMetrics.SCORED), EVENTS);
      Map<String, Long> scores =
          KafkaTestSupport.committedScores(kafka.bootstrapServers(), "scores-" + run);
      Map<String, Long> alerts =
          KafkaTestSupport.committedAlerts(kafka.bootstrapServers(), "alerts-" + run, registry);
      long duplicates =
          scores.values().stream().filter(c -> c > 1).count()
              + alerts.values().stream().filter(c -> c > 1).count();
      KafkaTestSupport.closingFigures(
          "BrokerRestartIT " + run + " (" + restarts + " broker restarts)",
          EVENTS,
          scores.size(),
          (long) metrics.total(ChaperoneMetrics.DEAD_LETTERS),
          alerts.size(),
          duplicates,
          EVENTS - scores.size());

      // recovered (with several stream threads it may be between rebalances for a moment)
      KafkaTestSupport.awaitState(app.streams(), KafkaStreams.State.RUNNING);
      assertEquals(EVENTS, scores.size(), run + ": every event scored");
      assertEquals(0, duplicates, run + ": nothing twice");
      return alerts;
    }
  }

  @Test
  void shouldRecoverFromABrokerRestartWithTheAlertsOfARunWithout() throws Exception {
    Map<String, Long> clean = run("clean", 0);
    Map<String, Long> restarted = run("restarted", SCALE);

    long lost = clean.keySet().stream().filter(k -> !restarted.containsKey(k)).count();
    long extra = restarted.keySet().stream().filter(k -> !clean.containsKey(k)).count();
    System.out.printf(
        "broker restart: alerts clean=%d restarted=%d lost=%d extra=%d%n",
        clean.size(), restarted.size(), lost, extra);
    assertTrue(clean.size() > 100, "alerts to compare: " + clean.size());
    assertEquals(0, lost, "alerts of the clean run missing after the restart");
    assertEquals(0, extra, "alerts after the restart that the clean run did not raise");
  }
}
