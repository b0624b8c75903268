package dev.chaperone.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.Alert;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scale-out and rebalancing on a real broker: 50,000 events from 1,000 agents on 4-partition
 * topics, processed by one instance, by two instances of one application, and by one instance
 * joined by a second a third of the way through and then stopped two thirds of the way through (its
 * tasks move twice). All three produce exactly the same alerts (read committed), every event is
 * scored exactly once (the scores topic, read committed), none lost, none duplicated. {@code
 * -Dchaperone.chaos.scale=N} multiplies the events, for the long version.
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
    try (Admin admin = kafka.admin()) {
      admin
          .createTopics(
              List.of(
                  new NewTopic("actions", 4, (short) 1),
                  new NewTopic("registry", 4, (short) 1)
                      .configs(Map.of("cleanup.policy", "compact"))))
          .all()
          .get();
    }
    produceInput();
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
  private static void produceInput() {
    // about 15 s between events: 50,000 span about 9 days
    Instant start = Instant.now().minus(Duration.ofDays(10L * SCALE));
    List<AgentAction> actions = new SampleFleet(11, AGENTS, start).actions(EVENTS);
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    // one batch in flight: right after topic creation a refused first batch would let later ones
    // arrive out of sequence, which the broker refuses until the delivery timeout (2 min)
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    var actionSerializer = AvroSerde.forValues(AgentAction.class, registry).serializer();
    var registrationSerializer =
        AvroSerde.forValues(AgentRegistration.class, registry).serializer();
    try (KafkaProducer<String, byte[]> registrations =
            new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        KafkaProducer<byte[], byte[]> producer =
            new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < REGISTERED; i++) {
        AgentRegistration r = SampleFleet.registration(i, start.minus(Duration.ofDays(30)));
        registrations.send(
            new ProducerRecord<>(
                "registry", r.getAgentId(), registrationSerializer.serialize("registry", r)));
      }
      registrations.flush();
      for (int i = 0; i < actions.size(); i++) {
        AgentAction action = KafkaTestSupport.withViolations(actions.get(i), i);
        // Keyed by agent id as the contract asks: an agent's order is then its partition's order.
        // (Mis-keyed records are re-keyed, but their order relative to well-keyed ones of the same
        // agent is not fixed; DecodePipelineIT covers that path.)
        byte[] key = action.getAgentId().getBytes(StandardCharsets.UTF_8);
        producer.send(
            new ProducerRecord<>("actions", key, actionSerializer.serialize("actions", action)));
      }
      producer.flush();
    }
  }

  private ChaperoneConfig config(String run, int instance) {
    Map<String, Object> settings = new HashMap<>();
    settings.put(ChaperoneConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    settings.put(ChaperoneConfig.APPLICATION_ID_CONFIG, "scale-" + run);
    settings.put(ChaperoneConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://" + SCOPE);
    settings.put(ChaperoneConfig.ACTIONS_TOPIC_CONFIG, "actions");
    settings.put(ChaperoneConfig.REGISTRY_TOPIC_CONFIG, "registry");
    settings.put(ChaperoneConfig.CONFIG_TOPIC_CONFIG, "config-" + run);
    settings.put(ChaperoneConfig.ALERTS_TOPIC_CONFIG, "alerts-" + run);
    settings.put(ChaperoneConfig.VIOLATIONS_TOPIC_CONFIG, "violations-" + run);
    settings.put(ChaperoneConfig.DEAD_LETTERS_TOPIC_CONFIG, "dead-letters-" + run);
    settings.put(ChaperoneConfig.FEEDBACK_TOPIC_CONFIG, "feedback-" + run);
    settings.put(ChaperoneConfig.SCORES_ENABLED_CONFIG, true);
    settings.put(ChaperoneConfig.SCORES_TOPIC_CONFIG, "scores-" + run);
    settings.put(ChaperoneConfig.TOPICS_PARTITIONS_CONFIG, 4);
    settings.put(StreamsConfig.STATE_DIR_CONFIG, state.resolve(run + "-" + instance).toString());
    settings.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    return new ChaperoneConfig(settings);
  }

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
      int instances = plan == Plan.TWO ? 2 : 1;
      for (int i = 0; i < instances; i++) {
        start(run, i, apps, metrics);
      }
      if (plan == Plan.JOIN_THEN_LEAVE) {
        awaitScored(metrics, EVENTS / 3);
        start(run, 1, apps, metrics); // joins: tasks move to it
        awaitScored(metrics, 2 * EVENTS / 3);
        apps.remove(0).close(Duration.ofSeconds(30)); // leaves: its tasks move back
      }
      awaitScored(metrics, EVENTS);
      for (ChaperoneApp app : apps) {
        assertEquals(KafkaStreams.State.RUNNING, app.streams().state());
      }
      Map<String, Long> scores = readScores("scores-" + run);
      long duplicates = scores.values().stream().filter(c -> c > 1).count();
      List<Long> perInstance =
          metrics.stream().map(m -> (long) m.total(ChaperoneMetrics.SCORED)).toList();
      System.out.printf(
          "%s: events in %d, scored (committed) %d, duplicates %d, lost %d; scored per instance"
              + " %s%n",
          run, EVENTS, scores.size(), duplicates, EVENTS - scores.size(), perInstance);
      if (plan == Plan.JOIN_THEN_LEAVE) {
        assertTrue(perInstance.get(1) > 0, "the joining instance took work: " + perInstance);
        assertTrue(perInstance.get(0) < EVENTS, "the leaving instance handed work: " + perInstance);
      }
      assertEquals(EVENTS, scores.size(), run + ": every event scored");
      assertEquals(0, duplicates, run + ": no event scored twice");
      Map<String, Long> alerts = readAlerts("alerts-" + run);
      // Every agent's baseline was written back to its (logged) store by the commits, not only
      // kept in the in-memory cache.
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
      assertEquals(AGENTS, baselined.size(), run + ": baselines in the stores");
      return alerts;
    } finally {
      for (ChaperoneApp app : apps) {
        app.close(Duration.ofSeconds(30));
      }
    }
  }

  private void start(String run, int instance, List<ChaperoneApp> apps, List<ChaperoneMetrics> all)
      throws Exception {
    ChaperoneMetrics m = ChaperoneMetrics.inMemory();
    ChaperoneApp app = new ChaperoneApp(config(run, instance), m);
    app.start();
    apps.add(app);
    all.add(m);
  }

  /**
   * Waits until the instances have scored {@code atLeast} events between them (the metric counts
   * work, including any redone after an abort: the scores topic is what proves exactly once).
   */
  private static void awaitScored(List<ChaperoneMetrics> metrics, int atLeast)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
    while (metrics.stream().mapToDouble(m -> m.total(ChaperoneMetrics.SCORED)).sum() < atLeast) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + atLeast + " scored");
      Thread.sleep(100);
    }
  }

  /** Committed scores by event id, with how often each appears. */
  private static Map<String, Long> readScores(String topic) {
    ObjectMapper json = new ObjectMapper();
    return KafkaTestSupport.readUntilQuiet(
            kafka.bootstrapServers(),
            topic,
            (t, bytes) -> {
              try {
                return json.readTree(bytes).get("eventId").asText();
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            },
            Duration.ofSeconds(3))
        .stream()
        .collect(Collectors.groupingBy(id -> id, HashMap::new, Collectors.counting()));
  }

  /**
   * Every committed alert id with how often it appears, read until the topic stays quiet for 3 s.
   */
  private static Map<String, Long> readAlerts(String topic) {
    List<Alert> alerts =
        KafkaTestSupport.readUntilQuiet(
            kafka.bootstrapServers(),
            topic,
            AvroSerde.forValues(Alert.class, registry).deserializer(),
            Duration.ofSeconds(3));
    // Aggregated alerts appear several times (the alert, then its updates): key them by alert and
    // by count, so a record emitted twice shows up as a duplicate; the final count is the largest.
    return alerts.stream()
        .collect(
            Collectors.groupingBy(
                a -> a.getRuleId() + "/" + a.getAlertId() + "#" + a.getCount(),
                TreeMap::new,
                Collectors.counting()));
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
