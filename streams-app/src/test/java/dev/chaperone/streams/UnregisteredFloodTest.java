package dev.chaperone.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.alerting.Rule;
import dev.chaperone.schema.Alert;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.fleet.ObservedAgent;
import dev.chaperone.streams.fleet.UnregisteredAgents;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A flood of made-up agent ids: 100,000 distinct unregistered agents in one minute. State for
 * unknown agents stays bounded by the per-task cap and hourly admissions, the SOC gets one
 * fleet-level alert (plus the few agents admitted one by one) instead of 100,000, every action is
 * accounted for, registered agents in between are processed, and silent unknown agents are
 * forgotten with their state after the TTL.
 */
class UnregisteredFloodTest {

  private static final int FLOOD = 100_000;
  private static final int ADMISSIONS_PER_HOUR = 20;
  private static final int MAX_TRACKED = 50;

  private final DetectionHarness harness =
      new DetectionHarness(
          Map.of(
              ChaperoneConfig.UNREGISTERED_ADMISSIONS_PER_HOUR_CONFIG,
              Integer.toString(ADMISSIONS_PER_HOUR),
              ChaperoneConfig.UNREGISTERED_MAX_TRACKED_CONFIG,
              Integer.toString(MAX_TRACKED),
              ChaperoneConfig.UNREGISTERED_TTL_MS_CONFIG,
              Long.toString(Duration.ofDays(7).toMillis())));

  @AfterEach
  void close() {
    harness.close();
  }

  @Test
  void shouldBoundStateAndPageOnceForAHundredThousandUnknownAgentsInAMinute() {
    Instant start = DetectionHarness.NOW;
    harness.register(DetectionHarness.registration("known-agent"));

    // Given 100,000 distinct unregistered ids, one action each, within one minute, and a
    // registered agent acting every 1,000 of them
    int known = 0;
    for (int i = 0; i < FLOOD; i++) {
      Instant at = start.plusMillis(i * 60_000L / FLOOD);
      harness.send(harness.action(String.format("ghost-%06d", i), at).build());
      if (i % 1_000 == 0) {
        harness.send(harness.action("known-agent", at).build());
        known++;
      }
    }
    // and, two hours on, the known agent again: stream time closes the aggregation windows
    harness.send(harness.action("known-agent", start.plus(Duration.ofHours(2))).build());
    known++;

    List<Alert> alerts = harness.alerts();
    List<Alert> unregisteredNew =
        alerts.stream()
            .filter(a -> a.getRuleId().equals(Rule.UNREGISTERED_AGENT.name()) && !a.getUpdate())
            .toList();
    List<Alert> fleet =
        alerts.stream().filter(a -> a.getAgentId().equals(UnregisteredAgents.FLEET_KEY)).toList();
    Alert fleetFinal = fleet.get(fleet.size() - 1);
    double tracked = count("tracked") + count("admitted");
    double refused = count("over-rate") + count("over-cap");
    KeyValueStore<String, ObservedAgent> inventory =
        harness.driver.getKeyValueStore(ChaperoneTopology.OBSERVED_FLEET_STORE);
    long ghostsInInventory = ghosts(inventory);
    long ghostBaselines =
        ghosts(harness.driver.getKeyValueStore(ChaperoneTopology.BASELINES_STORE));
    System.out.printf(
        "unregistered flood: in=%d ids, admitted=%.0f refused=%.0f, new UNREGISTERED_AGENT"
            + " alerts=%d (fleet-level %d, final count %d), alert records=%d, tracked in"
            + " inventory=%d, baselines=%d, known agent processed %d of %d%n",
        FLOOD,
        count("admitted"),
        refused,
        unregisteredNew.size(),
        fleet.stream().filter(a -> !a.getUpdate()).count(),
        fleetFinal.getCount(),
        alerts.size(),
        ghostsInInventory,
        ghostBaselines,
        inventory.get("known-agent").events(),
        known);

    KafkaTestSupport.closingFigures(
        "UnregisteredFloodTest",
        FLOOD + known,
        (long) harness.metrics.total(ChaperoneMetrics.SCORED),
        (long) harness.metrics.total(ChaperoneMetrics.DEAD_LETTERS),
        alerts.size(),
        (long) harness.metrics.total(ChaperoneMetrics.DUPLICATES),
        FLOOD - (long) (tracked + refused));

    // Then every action is accounted for: followed one by one or counted in the fleet alert
    assertEquals(FLOOD, tracked + refused);
    assertEquals(ADMISSIONS_PER_HOUR, count("admitted"));
    assertEquals(FLOOD - ADMISSIONS_PER_HOUR, fleetFinal.getCount());
    // and the SOC is paged for the admitted agents and once for the rest, not 100,000 times
    assertEquals(ADMISSIONS_PER_HOUR + 1, unregisteredNew.size());
    assertEquals(1, fleet.stream().filter(a -> !a.getUpdate()).count());
    assertTrue(alerts.size() < 100, "alert records " + alerts.size());
    assertTrue(fleetFinal.getExplanation().contains("ghost-"), fleetFinal.getExplanation());
    // and state for unknown agents is bounded
    assertEquals(ADMISSIONS_PER_HOUR, ghostsInInventory);
    assertTrue(ghostBaselines <= ADMISSIONS_PER_HOUR, "baselines " + ghostBaselines);
    // and the registered agent in between was processed
    assertEquals(known, inventory.get("known-agent").events());

    // When a tracked unknown agent is registered, and the others go silent for longer than the TTL
    harness.register(DetectionHarness.registration("ghost-000000"));
    harness.send(harness.action("known-agent", start.plus(Duration.ofDays(8))).build());
    harness.send(
        harness.action("known-agent", start.plus(Duration.ofDays(8)).plusSeconds(3_700)).build());

    // Then they are forgotten with their state; the registered one keeps its history
    assertEquals(1, ghosts(inventory));
    assertNotNull(inventory.get("ghost-000000"));
    assertNull(inventory.get("ghost-000001"));
    assertEquals(0, ghosts(harness.driver.getKeyValueStore(ChaperoneTopology.UNREGISTERED_STORE)));
    assertEquals(
        ADMISSIONS_PER_HOUR - 1,
        harness.metrics.count(
            ChaperoneMetrics.UNREGISTERED_FORGOTTEN, ChaperoneMetrics.TAG_REASON, "expired"));
    assertEquals(
        1,
        harness.metrics.count(
            ChaperoneMetrics.UNREGISTERED_FORGOTTEN, ChaperoneMetrics.TAG_REASON, "registered"));
    long baselinesLeft = ghosts(harness.driver.getKeyValueStore(ChaperoneTopology.BASELINES_STORE));
    assertTrue(baselinesLeft <= 1, "baselines left " + baselinesLeft);
    for (String store :
        List.of(
            ChaperoneTopology.BASELINE_DAYS_STORE,
            ChaperoneTopology.BASELINE_JOURNAL_STORE,
            ChaperoneTopology.SIGHTINGS_STORE)) {
      assertEquals(
          0,
          ghosts(harness.driver.getKeyValueStore(store)) - entries(store, "ghost-000000"),
          store + " keeps nothing of the forgotten agents");
    }
  }

  @Test
  void shouldStopAdmittingAtTheCapAcrossHours() {
    // Given unknown agents arriving over five hours, 20 admitted per hour but the cap at 50
    Instant start = DetectionHarness.NOW;
    for (int i = 0; i < 500; i++) {
      harness.send(
          harness.action("drip-" + i, start.plus(Duration.ofMinutes(i * 300L / 500))).build());
    }

    // Then 50 are tracked and the rest refused for the cap once it is reached
    assertEquals(MAX_TRACKED, count("admitted"));
    assertTrue(count("over-cap") > 0);
    assertEquals(500, count("admitted") + count("over-rate") + count("over-cap"));
    assertEquals(
        MAX_TRACKED, ghosts(harness.driver.getKeyValueStore(ChaperoneTopology.UNREGISTERED_STORE)));
  }

  private double count(String admission) {
    return harness.metrics.count(
        ChaperoneMetrics.UNREGISTERED, ChaperoneMetrics.TAG_ADMISSION, admission);
  }

  private long entries(String store, String agentId) {
    KeyValueStore<String, byte[]> days = harness.driver.getKeyValueStore(store);
    long n = 0;
    try (KeyValueIterator<String, byte[]> it = days.range(agentId + '\u0000', agentId + '\u0001')) {
      while (it.hasNext()) {
        it.next();
        n++;
      }
    }
    return n;
  }

  /** Entries of a store keyed by unknown agent ids (or starting with one). */
  private static long ghosts(KeyValueStore<String, ?> store) {
    long n = 0;
    try (KeyValueIterator<String, ?> it = store.all()) {
      while (it.hasNext()) {
        String key = it.next().key;
        if (key.startsWith("ghost-") || key.startsWith("drip-")) {
          n++;
        }
      }
    }
    return n;
  }
}
