package dev.chaperone.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.Alert;
import dev.chaperone.schema.DetectorConfig;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.embedded.EmbeddedKafka;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.registry.MockSchemaRegistry;
import dev.chaperone.streams.registry.SchemaRegistryServer;
import dev.chaperone.streams.serde.AvroSerde;
import dev.chaperone.streams.sim.SampleFleet;
import java.io.File;
import java.io.IOException;
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
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash without goodbye and state loss, on a real broker under exactly-once: the detector runs in
 * its own JVM and is killed (SIGKILL) a third of the way through and restarted on the same state
 * directory, then killed again two thirds of the way, its state directory wiped, and restarted.
 * Every input event must be scored exactly once (the scores topic, read committed, holds each event
 * id once) and the alert topic must hold the same alerts as a clean run of the same input: none
 * lost, none duplicated. The killed detectors' consumers are throttled by {@link
 * ThrottlingConsumerInterceptor}, so that each kill comes with work still to do.
 */
class CrashRecoveryIT {

  private static final String SCOPE = "crash-it";
  private static final int AGENTS = 40;
  private static final int EVENTS = 6_000 * Integer.getInteger("chaperone.chaos.scale", 1);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void shouldScoreEveryEventOnceAndAlertAsACleanRunAfterAKill() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        SchemaRegistryServer registry = SchemaRegistryServer.start(SCOPE)) {
      ChaperoneConfig clean = config(kafka, registry.url(), "clean");
      try (Admin admin = kafka.admin()) {
        TopicProvisioner.ensureTopics(admin, clean);
        TopicProvisioner.ensureTopics(admin, config(kafka, registry.url(), "crash"));
        KafkaTestSupport.keepForever(
            admin, "scores-clean", "scores-crash", "alerts-clean", "alerts-crash");
      }
      List<String> eventIds = produceInput(kafka);

      // A clean run, in-process
      ChaperoneMetrics metrics = ChaperoneMetrics.inMemory();
      try (ChaperoneApp app = new ChaperoneApp(clean, metrics)) {
        app.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (metrics.total(ChaperoneMetrics.EVENTS) < EVENTS && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        assertEquals(EVENTS, (long) metrics.total(ChaperoneMetrics.EVENTS), "clean run complete");
      }
      Map<String, Long> cleanAlerts = alerts(kafka, "alerts-clean");

      // The same input through a detector that is killed a third of the way, then restarted
      Process first = detector(kafka, registry.url(), "first.log");
      awaitScores(kafka, EVENTS / 3, Duration.ofSeconds(120));
      first.destroyForcibly();
      first.waitFor();
      int seenAtKill = scores(kafka).size();
      Process second = detector(kafka, registry.url(), "second.log");
      awaitScores(kafka, 2 * EVENTS / 3, Duration.ofSeconds(180));
      second.destroyForcibly();
      second.waitFor();
      int seenAtSecondKill = scores(kafka).size();
      // State loss: the instance's state directory is wiped while it is down
      KafkaTestSupport.deleteTree(dir.resolve("state-crash"));
      Process third = detector(kafka, registry.url(), "third.log");
      try {
        awaitScores(kafka, EVENTS, Duration.ofSeconds(180));
      } finally {
        third.destroy(); // SIGTERM: a clean stop this time
        third.waitFor();
      }

      List<String> scored = scores(kafka);
      Map<String, String> cleanScores = scoreValues(kafka, "scores-clean");
      Map<String, String> crashScores = scoreValues(kafka, "scores-crash");
      Map<String, Long> crashAlerts = alerts(kafka, "alerts-crash");
      long duplicates = scored.size() - new TreeSet<>(scored).size();
      List<String> lost = new ArrayList<>(eventIds);
      lost.removeAll(new TreeSet<>(scored));
      System.out.printf(
          "crash-without-goodbye: events in %d, scored before the kills %d and %d (state wiped"
              + " after the second), scored %d, alerts %d (clean run %d), duplicates %d, lost %d%n",
          EVENTS,
          seenAtKill,
          seenAtSecondKill,
          scored.size(),
          crashAlerts.values().stream().mapToLong(Long::longValue).sum(),
          cleanAlerts.values().stream().mapToLong(Long::longValue).sum(),
          duplicates,
          lost.size());
      KafkaTestSupport.closingFigures(
          "CrashRecoveryIT",
          EVENTS,
          scored.size(),
          0, // the input is all valid; the child JVMs' dead-letter metric is not visible here
          crashAlerts.values().stream().mapToLong(Long::longValue).sum(),
          duplicates + crashAlerts.values().stream().filter(c -> c > 1).count(),
          lost.size());
      assertTrue(seenAtKill < EVENTS, "killed mid-stream: " + seenAtKill);
      assertTrue(seenAtSecondKill < EVENTS, "killed again mid-stream: " + seenAtSecondKill);
      assertEquals(0, duplicates, "no event scored twice");
      assertEquals(List.of(), lost, "no event lost");
      assertEquals(EVENTS, scored.size());
      assertTrue(cleanAlerts.size() > 10, "alerts to compare: " + cleanAlerts.size());
      assertEquals(cleanAlerts, crashAlerts, "the same alerts as the clean run");
      // Baselines restored from the changelog score every event exactly as the clean run did
      assertTrue(
          cleanScores.values().stream().filter(v -> v.startsWith("BASELINED")).count() > 1_000,
          "behavioural scores to compare");
      assertEquals(cleanScores, crashScores, "the same score for every event");
    } finally {
      MockSchemaRegistry.dropScope(SCOPE);
    }
  }

  private ChaperoneConfig config(EmbeddedKafka kafka, String registryUrl, String run) {
    Map<String, Object> settings = new HashMap<>();
    settings.put(ChaperoneConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    settings.put(ChaperoneConfig.SCHEMA_REGISTRY_URL_CONFIG, registryUrl);
    settings.putAll(runSettings(run));
    return new ChaperoneConfig(settings);
  }

  private Map<String, String> runSettings(String run) {
    Map<String, String> settings = new TreeMap<>();
    settings.put(ChaperoneConfig.APPLICATION_ID_CONFIG, "crash-it-" + run);
    settings.put(ChaperoneConfig.ALERTS_TOPIC_CONFIG, "alerts-" + run);
    settings.put(ChaperoneConfig.VIOLATIONS_TOPIC_CONFIG, "violations-" + run);
    settings.put(ChaperoneConfig.DEAD_LETTERS_TOPIC_CONFIG, "dead-letters-" + run);
    settings.put(ChaperoneConfig.SCORES_TOPIC_CONFIG, "scores-" + run);
    settings.put(ChaperoneConfig.SCORES_ENABLED_CONFIG, "true");
    settings.put(ChaperoneConfig.RENDER_OCSF_CONFIG, "false");
    settings.put(ChaperoneConfig.RENDER_ECS_CONFIG, "false");
    settings.put(ChaperoneConfig.TOPICS_PARTITIONS_CONFIG, "3");
    settings.put(ChaperoneConfig.HTTP_ENABLED_CONFIG, "false");
    settings.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state-" + run).toString());
    settings.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
    // paced, as by default, but at most 150 ms apart while behind, so that a kill finds a few
    // commits behind it
    settings.put(ChaperoneConfig.COMMIT_BACKLOG_INTERVAL_MS_CONFIG, "150");
    settings.put("session.timeout.ms", "6000");
    settings.put("heartbeat.interval.ms", "1000");
    return settings;
  }

  /** {@code chaperone run} in a JVM of its own, which the test can kill. */
  private Process detector(EmbeddedKafka kafka, String registryUrl, String log) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx512m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("dev.chaperone.streams.cli.ChaperoneCli");
    command.add("run");
    command.add("--bootstrap-servers");
    command.add(kafka.bootstrapServers());
    command.add("--schema-registry-url");
    command.add(registryUrl);
    runSettings("crash").forEach((k, v) -> command.add("--set=" + k + "=" + v));
    // at most 400 records a second per consumer, in polls of 50: unthrottled, the restarted
    // detector scored the 2,000 events between the two kills' marks faster than the test saw the
    // first of them (the second kill found all 6,000 scored in two CI runs, at commit pacing's 1 s
    // and at 150 ms); in polls of up to 1,000 the scores appear a thousand at a time
    command.add(
        "--set=main.consumer.interceptor.classes=" + ThrottlingConsumerInterceptor.class.getName());
    command.add("--set=main.consumer.max.poll.records=50");
    File output = dir.resolve(log).toFile();
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output).start();
  }

  /** 30 of 40 agents registered; some wildcard tokens and broken chains: alerts to compare. */
  private static List<String> produceInput(EmbeddedKafka kafka) {
    // about 15 s between events: 6,000 span about a day
    Instant start = Instant.now().minus(Duration.ofDays(EVENTS / 6_000 * 2L + 1));
    List<AgentAction> actions = new SampleFleet(17, AGENTS, start).actions(EVENTS);
    var registry = MockSchemaRegistry.forScope(SCOPE);
    var actionSerializer = AvroSerde.forValues(AgentAction.class, registry).serializer();
    var registrationSerializer =
        AvroSerde.forValues(AgentRegistration.class, registry).serializer();
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    // one batch in flight: right after topic creation a refused first batch would let later ones
    // arrive out of sequence, which the broker refuses until the delivery timeout (2 min)
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    List<String> ids = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < 30; i++) {
        AgentRegistration r = SampleFleet.registration(i, start.minus(Duration.ofDays(30)));
        producer.send(
            new ProducerRecord<>(
                "chaperone.agent-registry",
                r.getAgentId().getBytes(StandardCharsets.UTF_8),
                registrationSerializer.serialize("chaperone.agent-registry", r)));
      }
      // a short warm-up, so that most of the run is scored against the agents' own baselines
      producer.send(
          new ProducerRecord<>(
              "chaperone.config",
              "global".getBytes(StandardCharsets.UTF_8),
              AvroSerde.forValues(DetectorConfig.class, registry)
                  .serializer()
                  .serialize(
                      "chaperone.config",
                      DetectorConfig.newBuilder().setWarmupDays(1).setWarmupEvents(40L).build())));
      producer.flush();
      for (int i = 0; i < actions.size(); i++) {
        AgentAction action = KafkaTestSupport.withViolations(actions.get(i), i);
        ids.add(action.getEventId());
        producer.send(
            new ProducerRecord<>(
                "chaperone.agent-actions",
                action.getAgentId().getBytes(StandardCharsets.UTF_8),
                actionSerializer.serialize("chaperone.agent-actions", action)));
      }
      producer.flush();
    }
    return ids;
  }

  private static void awaitScores(EmbeddedKafka kafka, int atLeast, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (scores(kafka).size() < atLeast) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + atLeast + " scores");
      Thread.sleep(200);
    }
  }

  /** The event id of every committed score of the crash run. */
  private static List<String> scores(EmbeddedKafka kafka) {
    List<String> ids = new ArrayList<>();
    for (byte[] value : readCommitted(kafka, "scores-crash")) {
      try {
        ids.add(JSON.readTree(value).path("eventId").asText());
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }
    return ids;
  }

  /** Each committed score of {@code topic}: event id to state, event and session score. */
  private static Map<String, String> scoreValues(EmbeddedKafka kafka, String topic) {
    Map<String, String> out = new TreeMap<>();
    for (byte[] value : readCommitted(kafka, topic)) {
      try {
        var score = JSON.readTree(value);
        out.put(
            score.path("eventId").asText(),
            score.path("state").asText()
                + " "
                + score.path("eventScore").asText()
                + " "
                + score.path("sessionScore").asText());
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }
    return out;
  }

  /** Committed alerts keyed by id and count: a record emitted twice shows as a 2. */
  private static Map<String, Long> alerts(EmbeddedKafka kafka, String topic) {
    var deserializer =
        AvroSerde.forValues(Alert.class, MockSchemaRegistry.forScope(SCOPE)).deserializer();
    return readCommitted(kafka, topic).stream()
        .map(v -> deserializer.deserialize(topic, v))
        .collect(
            Collectors.groupingBy(
                a -> a.getRuleId() + "/" + a.getAlertId() + "#" + a.getCount(),
                TreeMap::new,
                Collectors.counting()));
  }

  /** Every committed record of {@code topic} up to its current end. */
  private static List<byte[]> readCommitted(EmbeddedKafka kafka, String topic) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "crash-it-" + UUID.randomUUID());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    List<byte[]> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      var partitions =
          consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
              .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      // read_committed: the end offsets are the last stable offsets
      Map<org.apache.kafka.common.TopicPartition, Long> end =
          consumer.endOffsets(partitions, Duration.ofSeconds(10));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        assertTrue(System.nanoTime() < deadline, "reading " + topic);
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          out.add(r.value());
        }
      }
    }
    return out;
  }
}
