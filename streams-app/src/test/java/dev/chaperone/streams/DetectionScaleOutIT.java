package dev.chaperone.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.streams.embedded.EmbeddedKafka;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.registry.MockSchemaRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scale-out and rebalancing on a real broker: 50,000 events from 1,000 agents on 4-partition
 * topics, processed by one instance, by two instances of one application, and by one instance
 * joined by a second (with two stream threads) a third of the way through and then stopped two
 * thirds of the way through (its tasks move twice). All three produce exactly the same alerts (read
 * committed), every event is scored exactly once (the scores topic, read committed), none lost,
 * none duplicated. {@code -Dchaperone.chaos.scale=N} multiplies the events, for the long version.
 */
class DetectionScaleOutIT {

  private static final String SCOPE = "scale-out-it";
  private static final int SCALE = Integer.getInteger("chaperone.chaos.scale", 1);
  private static final int AGENTS = 1_000;
  private static final int REGISTERED = 750;
  private static final int EVENTS = 50_000 * SCALE;
  private static EmbeddedKafka kafka;
  private static MockSchemaRegistry registry;

  @TempDir Path state;

  @BeforeAll
  static void start() throws Exception {
    kafka = EmbeddedKafka.start();
    registry = MockSchemaRegistry.forScope(SCOPE);
    FleetInput.produce(kafka, registry, 11, AGENTS, REGISTERED, EVENTS);
  }

  @AfterAll
  static void stop() {
    kafka.close();
    MockSchemaRegistry.dropScope(SCOPE);
  }

  /**
   * 750 registered agents, 250 unregistered; some wildcard tokens and broken chains among the
   * events.
   */
  /** How a run's instances come and go: started at once, or joined and left mid-stream. */
  private enum Plan {
    ONE,
    TWO,
    JOIN_THEN_LEAVE
  }

  private Map<String, Long> run(String run, Plan plan) throws Exception {
    List<ChaperoneApp> apps = new ArrayList<>();
    List<ChaperoneMetrics> metrics = new ArrayList<>();
    try {
      FleetInput.provision(kafka, FleetInput.config(kafka, SCOPE, run, 0, state));
      int instances = plan == Plan.TWO ? 2 : 1;
      for (int i = 0; i < instances; i++) {
        start(run, i, apps, metrics, Map.of());
      }
      if (plan == Plan.JOIN_THEN_LEAVE) {
        FleetInput.awaitScored(() -> scored(metrics), EVENTS / 3);
        // The first instance holds still while the second joins, so that work is left for the
        // joiner however fast the first runs: a faster detector once scored the whole input
        // before the joiner had been given its tasks.
        apps.get(0).streams().pause();
        // joins with two stream threads: tasks move to it, and serdes serve threads at once
        start(run, 1, apps, metrics, Map.of(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 2));
        awaitActiveTasks(apps.get(1).streams());
        apps.get(0).streams().resume();
        FleetInput.awaitScored(() -> scored(metrics), 2 * EVENTS / 3);
        apps.remove(0).close(Duration.ofSeconds(30)); // leaves: its tasks move back
      }
      FleetInput.awaitScored(() -> scored(metrics), EVENTS);
      for (ChaperoneApp app : apps) {
        // still running: a live instance may be between rebalances for a moment (with several
        // stream threads, a follow-up rebalance can come after the last event), a failed one never
        // comes back
        KafkaTestSupport.awaitState(app.streams(), KafkaStreams.State.RUNNING);
      }
      Map<String, Long> scores =
          KafkaTestSupport.committedScores(kafka.bootstrapServers(), "scores-" + run);
      long duplicates = scores.values().stream().filter(c -> c > 1).count();
      List<Long> perInstance =
          metrics.stream().map(m -> (long) m.total(ChaperoneMetrics.SCORED)).toList();
      System.out.println(run + ": scored per instance " + perInstance);
      if (plan == Plan.JOIN_THEN_LEAVE) {
        assertTrue(perInstance.get(1) > 0, "the joining instance took work: " + perInstance);
        assertTrue(perInstance.get(0) < EVENTS, "the leaving instance handed work: " + perInstance);
      }
      assertEquals(
          EVENTS,
          scores.size(),
          run
              + ": every event scored; metrics: accepted "
              + sum(metrics, ChaperoneMetrics.EVENTS, ChaperoneMetrics.TAG_OUTCOME, "accepted")
              + ", scored "
              + sum(metrics, ChaperoneMetrics.SCORED)
              + ", duplicates "
              + sum(metrics, ChaperoneMetrics.DUPLICATES)
              + ", unregistered not tracked "
              + (sum(
                      metrics,
                      ChaperoneMetrics.UNREGISTERED,
                      ChaperoneMetrics.TAG_ADMISSION,
                      "over-rate")
                  + sum(
                      metrics,
                      ChaperoneMetrics.UNREGISTERED,
                      ChaperoneMetrics.TAG_ADMISSION,
                      "over-cap")));
      assertEquals(0, duplicates, run + ": no event scored twice");
      Map<String, Long> alerts =
          KafkaTestSupport.committedAlerts(kafka.bootstrapServers(), "alerts-" + run, registry);
      KafkaTestSupport.closingFigures(
          "DetectionScaleOutIT " + run,
          EVENTS,
          scores.size(),
          metrics.stream().mapToLong(m -> (long) m.total(ChaperoneMetrics.DEAD_LETTERS)).sum(),
          alerts.size(),
          duplicates + alerts.values().stream().filter(c -> c > 1).count(),
          EVENTS - scores.size());
      // Every agent's baseline was written back to its (logged) store by the commits, not only
      // kept in the in-memory cache.
      assertEquals(AGENTS, baselined(apps).size(), run + ": baselines in the stores");
      return alerts;
    } finally {
      for (ChaperoneApp app : apps) {
        app.close(Duration.ofSeconds(30));
      }
    }
  }

  /**
   * The agents with a baseline in the instances' stores. A store cannot be queried while its stream
   * thread takes up newly assigned tasks (after an instance joined or left, a thread may still be
   * restoring when the last score is readable): read again until every thread runs.
   */
  private static java.util.Set<String> baselined(List<ChaperoneApp> apps)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try {
        java.util.Set<String> baselined = new java.util.TreeSet<>();
        for (ChaperoneApp app : apps) {
          app.streams()
              .store(
                  org.apache.kafka.streams.StoreQueryParameters.fromNameAndType(
                      dev.chaperone.streams.ChaperoneTopology.BASELINES_STORE,
                      org.apache.kafka.streams.state.QueryableStoreTypes
                          .<String, byte[]>keyValueStore()))
              .all()
              .forEachRemaining(kv -> baselined.add(kv.key));
        }
        return baselined;
      } catch (org.apache.kafka.streams.errors.InvalidStateStoreException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  /** Waits until {@code streams} runs with active tasks of its own. */
  private static void awaitActiveTasks(KafkaStreams streams) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (streams.state() != KafkaStreams.State.RUNNING
        || streams.metadataForLocalThreads().stream().allMatch(t -> t.activeTasks().isEmpty())) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the joining instance was given no tasks: " + streams.state());
      }
      Thread.sleep(100);
    }
  }

  private static long sum(List<ChaperoneMetrics> metrics, String name, String... tags) {
    return (long) metrics.stream().mapToDouble(m -> m.total(name, tags)).sum();
  }

  /** Events scored by the instances between them (work, including any redone after an abort). */
  private static long scored(List<ChaperoneMetrics> metrics) {
    return (long) metrics.stream().mapToDouble(m -> m.total(ChaperoneMetrics.SCORED)).sum();
  }

  private void start(
      String run,
      int instance,
      List<ChaperoneApp> apps,
      List<ChaperoneMetrics> all,
      Map<String, Object> extra)
      throws Exception {
    ChaperoneMetrics m = ChaperoneMetrics.inMemory();
    ChaperoneApp app =
        new ChaperoneApp(FleetInput.config(kafka, SCOPE, run, instance, state, extra), m);
    app.start();
    apps.add(app);
    all.add(m);
  }

  @Test
  void shouldProduceTheSameAlertsOnTwoInstancesAndThroughARebalanceAsOnOne() throws Exception {
    Map<String, Long> single = run("single", Plan.ONE);
    Map<String, Long> pair = run("pair", Plan.TWO);
    Map<String, Long> moved = run("rebalance", Plan.JOIN_THEN_LEAVE);

    Map<String, Long> byRule =
        single.keySet().stream()
            .collect(
                Collectors.groupingBy(
                    k -> k.substring(0, k.indexOf('/')), TreeMap::new, Collectors.counting()));
    long duplicatesSingle = single.values().stream().filter(c -> c > 1).count();
    long duplicatesPair = pair.values().stream().filter(c -> c > 1).count();
    long lost = single.keySet().stream().filter(k -> !pair.containsKey(k)).count();
    long extra = pair.keySet().stream().filter(k -> !single.containsKey(k)).count();
    long duplicatesMoved = moved.values().stream().filter(c -> c > 1).count();
    long lostMoved = single.keySet().stream().filter(k -> !moved.containsKey(k)).count();
    long extraMoved = moved.keySet().stream().filter(k -> !single.containsKey(k)).count();
    System.out.printf(
        "scale-out: events=%d alerts single=%d pair=%d rebalance=%d duplicates=%d/%d/%d"
            + " lost=%d/%d extra=%d/%d by rule %s%n",
        EVENTS,
        single.size(),
        pair.size(),
        moved.size(),
        duplicatesSingle,
        duplicatesPair,
        duplicatesMoved,
        lost,
        lostMoved,
        extra,
        extraMoved,
        byRule);

    assertTrue(single.size() > 100, "the input raises alerts: " + byRule);
    assertTrue(
        byRule.containsKey("UNREGISTERED_AGENT")
            && byRule.containsKey("CREDENTIAL_WILDCARD_SCOPE")
            && byRule.containsKey("BROKEN_LINK"),
        byRule.toString());
    assertEquals(0, duplicatesSingle);
    assertEquals(0, duplicatesPair);
    assertEquals(0, lost, "alerts of the single instance missing from the pair");
    assertEquals(0, extra, "alerts of the pair that the single instance did not raise");
    assertEquals(single.size(), pair.size());
    assertEquals(0, duplicatesMoved);
    assertEquals(0, lostMoved, "alerts of the single instance missing after the rebalances");
    assertEquals(
        0, extraMoved, "alerts after the rebalances that the single instance did not raise");
  }
}
