package dev.chaperone.streams.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.DetectorConfig;
import dev.chaperone.streams.ChaperoneApp;
import dev.chaperone.streams.ChaperoneTopology;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.embedded.EmbeddedKafka;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.registry.MockSchemaRegistry;
import dev.chaperone.streams.serde.AvroSerde;
import dev.chaperone.streams.sim.SampleFleet;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operations HTTP interface of two instances on a real broker: every endpoint, the token,
 * questions about an agent answered by the instance that owns it whichever is asked, and one
 * instance answering for every agent once the other is stopped.
 */
class OpsServerIT {

  private static final String SCOPE = "ops-it";
  private static final String TOKEN = "s3cret-ops-token";
  private static final int AGENTS = 12;
  private static final int EVENTS = 1_500;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http = HttpClient.newHttpClient();

  @TempDir Path state;

  @Test
  void shouldServeEveryEndpointAndRouteAgentQueriesToTheirOwner() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      var registry = MockSchemaRegistry.forScope(SCOPE);
      int[] ports = {freePort(), freePort()};
      List<ChaperoneApp> apps = new ArrayList<>();
      List<OpsServer> servers = new ArrayList<>();
      try {
        for (int i = 0; i < 2; i++) {
          ChaperoneApp app = new ChaperoneApp(config(kafka, i, ports[i]), metrics());
          app.start();
          apps.add(app);
          servers.add(OpsServer.start(app));
        }
        await(
            () -> apps.stream().allMatch(a -> a.streams().state() == KafkaStreams.State.RUNNING),
            "both instances RUNNING");
        produce(kafka, registry);
        await(
            () ->
                apps.stream().mapToDouble(a -> a.metrics().total(ChaperoneMetrics.SCORED)).sum()
                    >= EVENTS,
            "every event scored");
        String a = servers.get(0).url();
        String b = servers.get(1).url();

        // Probes answer without the token; everything else refuses a request without it
        assertEquals(200, get(a + "/healthz", null).statusCode());
        await(() -> status(a + "/readyz") == 200 && status(b + "/readyz") == 200, "ready");
        assertEquals(401, get(a + "/agents", null).statusCode());
        assertEquals(401, get(a + "/config", "wrong-token").statusCode());

        // The fleet: registered and observed side by side, gathered from both instances
        await(
            () -> get(a + "/agents", TOKEN).body().contains("\"observed\":" + AGENTS + ","),
            "every observed agent in the fleet view (settles after the group's rebalances)");
        JsonNode fleet = json(get(a + "/agents", TOKEN));
        assertEquals(2, fleet.path("instances").size(), fleet.toString());
        assertTrue(fleet.path("complete").asBoolean(), fleet.toString());
        assertEquals(AGENTS - 1, fleet.path("registered").asInt(), fleet.toString());
        assertEquals(AGENTS, fleet.path("observed").asInt(), fleet.toString());
        assertEquals(1, fleet.path("runningButUnregistered").asInt(), fleet.toString());
        JsonNode fromB = json(get(b + "/agents", TOKEN));
        assertEquals(
            fleet.path("agents"), fromB.path("agents"), "the same fleet whichever is asked");

        // One agent, answered by its owner whichever instance is asked
        String remote = ownedBy(apps.get(1), ports[1]);
        JsonNode agent = json(get(a + "/agents/" + remote, TOKEN));
        assertEquals(remote, agent.path("agentId").asText());
        assertEquals("127.0.0.1:" + ports[1], agent.path("servedBy").asText(), agent.toString());
        assertEquals("REGISTERED_AND_RUNNING", agent.path("status").asText());
        assertTrue(agent.path("observed").path("events").asLong() > 0, agent.toString());
        JsonNode baseline = json(get(a + "/agents/" + remote + "/baseline", TOKEN));
        assertTrue(baseline.path("events").asLong() > 0, baseline.toString());
        assertFalse(baseline.path("topTools").isEmpty(), baseline.toString());
        assertEquals(168, baseline.path("hourOfWeek").size());
        assertEquals(404, get(a + "/agents/nobody-at-all", TOKEN).statusCode());

        // Config: the scopes in force and the record that was rejected
        JsonNode config = json(get(b + "/config", TOKEN));
        assertEquals(
            5.5,
            config.path("scopes").path("global").path("eventThresholdSigma").asDouble(),
            config.toString());
        assertTrue(
            config.path("rejectedConfig").toString().contains("warmupDays"), config.toString());

        JsonNode shadow = json(get(b + "/config/shadow", TOKEN));
        assertTrue(shadow.has("byConfigVersion"), shadow.toString());

        // Metrics: Chaperone's and Kafka Streams' own
        String metrics = get(a + "/metrics", TOKEN).body();
        assertTrue(metrics.contains("chaperone_events_total"), "chaperone metrics");
        assertTrue(metrics.contains("chaperone_baseline_cache_lookups_total{"), "cache lookups");
        assertTrue(metrics.contains("chaperone_sharing_lookups_total{"), "sharing lookups");
        assertTrue(metrics.contains("chaperone_events_lag_seconds_count"), "end-to-end lag");
        assertTrue(metrics.contains("chaperone_events_scored_total{"), "scored by state");
        assertTrue(metrics.contains("kafka_stream_thread_"), "Kafka Streams metrics");

        // One instance stopped: the other answers for every agent
        servers.get(1).close();
        apps.get(1).close(Duration.ofSeconds(30));
        await(
            () -> {
              HttpResponse<String> r = get(a + "/agents/" + remote, TOKEN);
              return r.statusCode() == 200
                  && r.body().contains("\"servedBy\":\"127.0.0.1:" + ports[0] + "\"");
            },
            "the remaining instance serves " + remote);
        await(
            () -> get(a + "/agents", TOKEN).body().contains("\"observed\":" + AGENTS + ","),
            "every agent served by the remaining instance once its new tasks are restored");
        JsonNode alone = json(get(a + "/agents", TOKEN));
        assertEquals(1, alone.path("instances").size(), alone.toString());
        assertTrue(alone.path("complete").asBoolean(), alone.toString());
      } finally {
        servers.forEach(OpsServer::close);
        for (ChaperoneApp app : apps) {
          app.close(Duration.ofSeconds(30));
        }
        MockSchemaRegistry.dropScope(SCOPE);
      }
    }
  }

  private ChaperoneConfig config(EmbeddedKafka kafka, int instance, int port) {
    Map<String, Object> settings = new HashMap<>();
    settings.put(ChaperoneConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    settings.put(ChaperoneConfig.APPLICATION_ID_CONFIG, "ops-it");
    settings.put(ChaperoneConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://" + SCOPE);
    settings.put(ChaperoneConfig.TOPICS_PARTITIONS_CONFIG, 4);
    settings.put(ChaperoneConfig.HTTP_PORT_CONFIG, port);
    settings.put(ChaperoneConfig.HTTP_TOKEN_CONFIG, TOKEN);
    settings.put(StreamsConfig.APPLICATION_SERVER_CONFIG, "127.0.0.1:" + port);
    settings.put(StreamsConfig.STATE_DIR_CONFIG, state.resolve("i" + instance).toString());
    settings.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    return new ChaperoneConfig(settings);
  }

  private static ChaperoneMetrics metrics() {
    return new ChaperoneMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }

  /** 11 registered agents and one nobody registered; a valid and an invalid global config. */
  private static void produce(EmbeddedKafka kafka, MockSchemaRegistry registry) {
    Instant start = Instant.now().minus(Duration.ofDays(2));
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    // one batch in flight: right after topic creation a refused first batch would let later ones
    // arrive out of sequence, which the broker refuses until the delivery timeout (2 min)
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      var registrations = AvroSerde.forValues(AgentRegistration.class, registry).serializer();
      for (int i = 0; i < AGENTS - 1; i++) {
        AgentRegistration r = SampleFleet.registration(i, start.minus(Duration.ofDays(30)));
        producer.send(
            new ProducerRecord<>(
                "chaperone.agent-registry",
                r.getAgentId().getBytes(StandardCharsets.UTF_8),
                registrations.serialize("chaperone.agent-registry", r)));
      }
      var configs = AvroSerde.forValues(DetectorConfig.class, registry).serializer();
      producer.send(
          new ProducerRecord<>(
              "chaperone.config",
              "global".getBytes(StandardCharsets.UTF_8),
              configs.serialize(
                  "chaperone.config",
                  DetectorConfig.newBuilder().setEventThresholdSigma(5.5).build())));
      producer.send(
          new ProducerRecord<>(
              "chaperone.config",
              "global".getBytes(StandardCharsets.UTF_8),
              configs.serialize(
                  "chaperone.config", DetectorConfig.newBuilder().setWarmupDays(-3).build())));
      producer.flush();
      var actions = AvroSerde.forValues(AgentAction.class, registry).serializer();
      for (AgentAction action : new SampleFleet(3, AGENTS, start).actions(EVENTS)) {
        producer.send(
            new ProducerRecord<>(
                "chaperone.agent-actions",
                action.getAgentId().getBytes(StandardCharsets.UTF_8),
                actions.serialize("chaperone.agent-actions", action)));
      }
      producer.flush();
    }
  }

  /** An agent whose tasks the given instance owns. */
  private static String ownedBy(ChaperoneApp app, int port) {
    for (int i = 0; i < AGENTS; i++) {
      String agent = SampleFleet.agentId(i);
      HostInfo owner =
          app.streams()
              .queryMetadataForKey(
                  ChaperoneTopology.OBSERVED_FLEET_STORE, agent, Serdes.String().serializer())
              .activeHost();
      if (owner.port() == port) {
        return agent;
      }
    }
    throw new AssertionError("instance on port " + port + " owns no agent");
  }

  private HttpResponse<String> get(String url, String token) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).GET();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError("GET " + url, e);
    }
  }

  private int status(String url) {
    return get(url, null).statusCode();
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    assertEquals(200, response.statusCode(), response.body());
    return JSON.readTree(response.body());
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(200);
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
