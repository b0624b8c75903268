package dev.chaperone.streams;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.baseline.BaselineCodec;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.DetectorConfig;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.sim.SampleFleet;
import dev.chaperone.streams.state.BaselineCacheStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The baseline cache in front of the split store (heads rewritten per commit, closed days written
 * once): with room for one baseline, every event evicts and reloads another agent's baseline from
 * the stores, and the alerts must be exactly those of a cache that never evicts. Seeded (5).
 */
class BaselineCacheTest {

  private static List<String> run(int capacity, List<AgentAction> actions) {
    try (DetectionHarness harness =
        new DetectionHarness(Map.of(ChaperoneConfig.BASELINE_CACHE_CAPACITY_CONFIG, capacity))) {
      for (int i = 0; i < 3; i++) {
        harness.register(SampleFleet.registration(i, Instant.parse("2026-01-01T00:00:00Z")));
      }
      harness.configure(
          "global", DetectorConfig.newBuilder().setWarmupDays(1).setWarmupEvents(100L).build());
      for (AgentAction action : actions) {
        harness.send(action);
      }
      assertEquals(actions.size(), (long) harness.metrics.total(ChaperoneMetrics.SCORED));
      return harness.alerts().stream()
          .map(
              a ->
                  a.getRuleId()
                      + "/"
                      + a.getAlertId()
                      + "/"
                      + String.format("%.6f", a.getScore() == null ? 0 : a.getScore()))
          .sorted()
          .toList();
    }
  }

  @Test
  void shouldWriteEveryChangedBaselineBackToItsStoreAtCommit() {
    // Given a cache large enough never to evict
    try (DetectionHarness harness =
        new DetectionHarness(Map.of(ChaperoneConfig.BASELINE_CACHE_CAPACITY_CONFIG, 10_000))) {
      // When three agents act
      for (AgentAction action :
          new SampleFleet(5, 3, Instant.parse("2026-10-01T00:00:00Z")).actions(300)) {
        harness.send(action);
      }

      // Then the commit after each record wrote each agent's learning to the stores (a journal
      // of steps after a snapshot), and a cache loading from them gets the baselines in memory
      org.apache.kafka.streams.state.KeyValueStore<String, byte[]> journal =
          harness.driver.getKeyValueStore(ChaperoneTopology.BASELINE_JOURNAL_STORE);
      java.util.Set<String> agents = new java.util.TreeSet<>();
      journal.all().forEachRemaining(kv -> agents.add(kv.key.substring(0, kv.key.indexOf(0))));
      assertEquals(java.util.Set.of("agent-0000", "agent-0001", "agent-0002"), agents);
      for (String agent : agents) {
        assertArrayEquals(
            BaselineCodec.encode(harness.baseline(agent)),
            BaselineCodec.encode(harness.storedBaseline(agent)),
            agent + ": reloaded from the stores");
      }
    }
  }

  @Test
  void shouldSnapshotOnceTheJournalIsLongAndReloadTheSame() {
    // Given one agent acting more often than a journal holds
    try (DetectionHarness harness =
        new DetectionHarness(Map.of(ChaperoneConfig.BASELINE_CACHE_CAPACITY_CONFIG, 10_000))) {
      List<AgentAction> actions =
          new SampleFleet(5, 1, Instant.parse("2026-10-01T00:00:00Z")).actions(1_000);
      actions.forEach(harness::send);

      // Then a snapshot head was written and the journal after it is shorter than the limit
      String agent = actions.get(0).getAgentId();
      org.apache.kafka.streams.state.KeyValueStore<String, byte[]> journal =
          harness.driver.getKeyValueStore(ChaperoneTopology.BASELINE_JOURNAL_STORE);
      assertNotNull(
          harness
              .driver
              .<String, byte[]>getKeyValueStore(ChaperoneTopology.BASELINES_STORE)
              .get(agent));
      List<String> batches = new java.util.ArrayList<>();
      journal.all().forEachRemaining(kv -> batches.add(kv.key));
      assertTrue(
          batches.size() <= BaselineCacheStore.MAX_JOURNAL_STEPS + 1,
          batches.size() + " journal records");
      assertArrayEquals(
          BaselineCodec.encode(harness.baseline(agent)),
          BaselineCodec.encode(harness.storedBaseline(agent)));
    }
  }

  @Test
  void shouldScoreTheSameWhenEveryBaselineIsReloadedFromTheStore() {
    List<AgentAction> actions =
        new java.util.ArrayList<>(
            new SampleFleet(5, 3, Instant.parse("2026-10-01T00:00:00Z").minus(Duration.ofDays(1)))
                .actions(9_000));
    for (int i = 5_000; i < actions.size(); i += 400) {
      // a tool nobody uses, once the baselines are warm: behavioural alerts to compare
      actions.set(i, AgentAction.newBuilder(actions.get(i)).setTool("shell.exec").build());
    }

    List<String> evicting = run(1, actions);
    List<String> caching = run(10_000, actions);

    assertTrue(
        actions
            .get(actions.size() - 1)
            .getOccurredAt()
            .isAfter(actions.get(0).getOccurredAt().plus(Duration.ofDays(1))),
        "the stream spans more than a day, so days close and are written apart");
    assertTrue(
        caching.stream().filter(a -> a.startsWith("BEHAVIOURAL_DEVIATION/")).count() >= 5,
        "scored alerts to compare: "
            + caching.stream().filter(a -> a.startsWith("BEHAVIOURAL")).count());
    assertEquals(caching, evicting);
  }
}
