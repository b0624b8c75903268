package dev.chaperone.streams.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.chaperone.baseline.Baseline;
import dev.chaperone.baseline.BaselineCodec;
import dev.chaperone.baseline.BaselineConfig;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.DetectorConfig;
import dev.chaperone.streams.ChaperoneApp;
import dev.chaperone.streams.ChaperoneTopology;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.contract.JsonContractCodec;
import dev.chaperone.streams.detect.EffectiveConfig;
import dev.chaperone.streams.detect.Globs;
import dev.chaperone.streams.fleet.ObservedAgent;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.processor.RejectionLog;
import dev.chaperone.streams.registry.SchemaRegistries;
import dev.chaperone.streams.serde.AvroSerde;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operations HTTP interface of one instance: probes, Prometheus metrics, the fleet (registered
 * and observed side by side), one agent and its baseline, the detector config and what was
 * rejected. Binds to loopback unless told otherwise; with a token configured, every request but the
 * probes must carry it as a bearer token. With several instances ({@code application.server} set on
 * each), a question about one agent is answered by the instance that owns it, whichever is asked,
 * and the fleet view gathers every instance's share.
 */
public final class OpsServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(OpsServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String FORWARDED = "X-Chaperone-Forwarded";

  /** Liveness probe. */
  public static final String HEALTH_PATH = "/healthz";

  /** Readiness probe. */
  public static final String READY_PATH = "/readyz";

  /** Prometheus scrape. */
  public static final String METRICS_PATH = "/metrics";

  private final HttpServer server;
  private final ExecutorService executor;
  private final ChaperoneApp app;
  private final String token;
  private final String host;
  private final HostInfo self;
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
  private final Deserializer<AgentRegistration> registrations;
  private final Deserializer<DetectorConfig> configs;

  private OpsServer(HttpServer server, ChaperoneApp app, ChaperoneConfig http) {
    this.server = server;
    this.app = app;
    this.host = http.httpHost();
    this.token = http.httpToken();
    Object advertised = app.config().originals().get(StreamsConfig.APPLICATION_SERVER_CONFIG);
    this.self =
        advertised == null || advertised.toString().isBlank()
            ? null
            : HostInfo.buildFromEndpoint(advertised.toString());
    var registry =
        SchemaRegistries.forUrl(
            app.config().schemaRegistryUrl(),
            app.config().schemaRegistryBasicAuth(),
            app.config().schemaRegistryBearerToken(),
            app.config().schemaRegistryTimeout());
    this.registrations = AvroSerde.forValues(AgentRegistration.class, registry).deserializer();
    this.configs = AvroSerde.forValues(DetectorConfig.class, registry).deserializer();
    this.executor =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "chaperone-http");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
  }

  /** Starts serving {@code app} on its configured host and port. */
  public static OpsServer start(ChaperoneApp app) throws IOException {
    return start(app, app.config());
  }

  /** Starts serving {@code app} with the HTTP settings (host, port, token) of {@code http}. */
  public static OpsServer start(ChaperoneApp app, ChaperoneConfig http) throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(http.httpHost(), http.httpPort()), 0);
    OpsServer ops = new OpsServer(server, app, http);
    server.start();
    LOG.info(
        "HTTP interface on http://{}:{} ({})",
        http.httpHost(),
        ops.port(),
        ops.token == null ? "no token" : "bearer token required");
    return ops;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** The base URL, e.g. {@code http://127.0.0.1:8080}. */
  public String url() {
    return "http://" + host + ":" + port();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private record Reply(int status, String contentType, byte[] body) {
    static Reply json(int status, Object tree) throws IOException {
      return new Reply(status, "application/json", JSON.writeValueAsBytes(tree));
    }

    static Reply error(int status, String message) throws IOException {
      return json(status, Map.of("error", message));
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    Reply reply;
    try {
      String path = exchange.getRequestURI().getPath();
      if (!"GET".equals(exchange.getRequestMethod())) {
        reply = Reply.error(405, "only GET is served");
      } else if (path.equals(HEALTH_PATH)) {
        reply = health();
      } else if (path.equals(READY_PATH)) {
        reply = ready();
      } else if (!authorised(exchange)) {
        exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer");
        reply = Reply.error(401, "a bearer token is required");
      } else {
        reply = route(exchange, path);
      }
    } catch (org.apache.kafka.streams.errors.InvalidStateStoreException e) {
      reply = Reply.error(503, "state is not queryable yet: " + e.getMessage());
    } catch (RuntimeException e) {
      LOG.warn("HTTP {} failed", exchange.getRequestURI(), e);
      reply = Reply.error(500, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    exchange.getResponseHeaders().add("Content-Type", reply.contentType());
    exchange.sendResponseHeaders(reply.status(), reply.body().length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(reply.body());
    }
  }

  private boolean authorised(HttpExchange exchange) {
    if (token == null) {
      return true;
    }
    String header = exchange.getRequestHeaders().getFirst("Authorization");
    if (header == null || !header.startsWith("Bearer ")) {
      return false;
    }
    return MessageDigest.isEqual(
        header.substring("Bearer ".length()).trim().getBytes(StandardCharsets.UTF_8),
        token.getBytes(StandardCharsets.UTF_8));
  }

  private Reply route(HttpExchange exchange, String path) throws IOException {
    if (path.equals(METRICS_PATH)) {
      if (app.metrics().registry() instanceof PrometheusMeterRegistry prometheus) {
        return new Reply(
            200,
            "text/plain; version=0.0.4; charset=utf-8",
            prometheus.scrape().getBytes(StandardCharsets.UTF_8));
      }
      return Reply.error(404, "metrics are not kept in a Prometheus registry here");
    }
    if (path.equals("/config")) {
      return Reply.json(200, config());
    }
    if (path.equals("/config/shadow")) {
      return Reply.json(200, shadow());
    }
    if (path.equals("/agents")) {
      boolean local = "true".equals(query(exchange, "local"));
      return Reply.json(200, fleet(local));
    }
    if (path.startsWith("/agents/")) {
      String rest = path.substring("/agents/".length());
      boolean baseline = rest.endsWith("/baseline");
      String agentId =
          URLDecoder.decode(
              baseline ? rest.substring(0, rest.length() - "/baseline".length()) : rest,
              StandardCharsets.UTF_8);
      if (agentId.isEmpty() || agentId.contains("/")) {
        return Reply.error(404, "no such resource: " + path);
      }
      HostInfo owner = owner(agentId);
      if (owner != null && exchange.getRequestHeaders().getFirst(FORWARDED) == null) {
        String query = exchange.getRequestURI().getRawQuery();
        return forward(owner, path + (query == null ? "" : "?" + query));
      }
      return baseline ? baselineOf(agentId) : agent(agentId);
    }
    return Reply.error(404, "no such resource: " + path);
  }

  private Reply health() throws IOException {
    KafkaStreams.State state = app.streams().state();
    boolean alive =
        state != KafkaStreams.State.ERROR
            && state != KafkaStreams.State.PENDING_ERROR
            && state != KafkaStreams.State.NOT_RUNNING
            && state != KafkaStreams.State.PENDING_SHUTDOWN;
    return Reply.json(alive ? 200 : 503, Map.of("status", alive ? "UP" : "DOWN", "streams", state));
  }

  private Reply ready() throws IOException {
    boolean ready = app.isReady();
    return Reply.json(
        ready ? 200 : 503, Map.of("ready", ready, "streams", app.streams().state().toString()));
  }

  // ---------------------------------------------------------------- routing

  /** The instance owning {@code agentId} when it is another one; null when it is this one. */
  private HostInfo owner(String agentId) {
    if (self == null) {
      return null;
    }
    KeyQueryMetadata metadata =
        app.streams()
            .queryMetadataForKey(
                ChaperoneTopology.OBSERVED_FLEET_STORE, agentId, Serdes.String().serializer());
    if (metadata == null || metadata.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
      return null;
    }
    HostInfo active = metadata.activeHost();
    return active == null || active.equals(self) || active.port() < 0 ? null : active;
  }

  private Reply forward(HostInfo owner, String pathAndQuery) throws IOException {
    URI uri = URI.create("http://" + owner.host() + ":" + owner.port() + pathAndQuery);
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).header(FORWARDED, "1").GET();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    try {
      HttpResponse<byte[]> response =
          client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Reply(
          response.statusCode(),
          response.headers().firstValue("Content-Type").orElse("application/json"),
          response.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Reply.error(503, "interrupted while asking " + owner);
    } catch (IOException e) {
      return Reply.error(
          502, "the owning instance " + owner + " did not answer: " + e.getMessage());
    }
  }

  // ---------------------------------------------------------------- views

  private Map<String, Object> fleet(boolean localOnly) throws IOException {
    Map<String, AgentRegistration> registered = registered();
    Map<String, JsonNode> observed = new TreeMap<>();
    localObserved().forEach((id, agent) -> observed.put(id, JSON.valueToTree(observedTree(agent))));
    List<String> unreachable = new ArrayList<>();
    List<String> answered = new ArrayList<>();
    answered.add(self == null ? "this instance" : self.host() + ":" + self.port());
    if (!localOnly && self != null) {
      for (StreamsMetadata instance : app.streams().metadataForAllStreamsClients()) {
        HostInfo host = instance.hostInfo();
        if (host.equals(self) || host.port() < 0) {
          continue;
        }
        Reply reply = forward(host, "/agents?local=true");
        if (reply.status() != 200) {
          unreachable.add(host.host() + ":" + host.port());
          continue;
        }
        answered.add(host.host() + ":" + host.port());
        JSON.readTree(reply.body())
            .path("agents")
            .forEach(
                a -> {
                  if (a.hasNonNull("observed")) {
                    observed.put(a.path("agentId").asText(), a.get("observed"));
                  }
                });
      }
    }
    TreeMap<String, Map<String, Object>> agents = new TreeMap<>();
    for (String id : registered.keySet()) {
      agents.put(id, entry(id, registered.get(id), observed.get(id)));
    }
    for (String id : observed.keySet()) {
      agents.computeIfAbsent(id, k -> entry(k, null, observed.get(k)));
    }
    long silent =
        agents.values().stream()
            .filter(a -> "REGISTERED_BUT_SILENT".equals(a.get("status")))
            .count();
    long shadow =
        agents.values().stream()
            .filter(a -> "RUNNING_BUT_UNREGISTERED".equals(a.get("status")))
            .count();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("registered", registered.size());
    out.put("observed", observed.size());
    out.put("registeredButSilent", silent);
    out.put("runningButUnregistered", shadow);
    out.put("instances", answered);
    // During a rebalance or a restore an instance's share of the fleet may be in transit: say so.
    out.put("complete", unreachable.isEmpty() && app.isReady());
    if (!unreachable.isEmpty()) {
      out.put("unreachableInstances", unreachable);
    }
    out.put("agents", new ArrayList<>(agents.values()));
    return out;
  }

  private Map<String, Object> entry(
      String agentId, AgentRegistration registration, JsonNode observed) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("agentId", agentId);
    String status;
    if (registration != null && observed != null) {
      status = "REGISTERED_AND_RUNNING";
    } else if (registration != null) {
      status = "REGISTERED_BUT_SILENT";
    } else {
      status = "RUNNING_BUT_UNREGISTERED";
    }
    out.put("status", status);
    out.put("registryStatus", registration == null ? null : registration.getStatus().toString());
    out.put("owner", registration == null ? null : registration.getOwner());
    out.put("role", registration == null ? null : registration.getRole());
    out.put("declaredTools", registration == null ? List.of() : registration.getTools());
    out.put("observed", observed);
    if (registration != null && observed != null) {
      List<String> undeclared = new ArrayList<>();
      observed
          .path("tools")
          .forEach(
              t -> {
                if (!Globs.anyMatch(registration.getTools(), t.asText())) {
                  undeclared.add(t.asText());
                }
              });
      out.put("undeclaredToolsObserved", undeclared);
    }
    return out;
  }

  private static Map<String, Object> observedTree(ObservedAgent agent) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("firstSeen", Instant.ofEpochMilli(agent.firstSeenMs()).toString());
    out.put("lastSeen", Instant.ofEpochMilli(agent.lastSeenMs()).toString());
    out.put("events", agent.events());
    out.put("tools", agent.tools());
    out.put("credentialsSeen", agent.tokenIds());
    return out;
  }

  private Reply agent(String agentId) throws IOException {
    AgentRegistration registration = registered().get(agentId);
    ObservedAgent observed = localObservedAgent(agentId);
    if (registration == null && observed == null) {
      return Reply.error(404, "agent " + agentId + " is neither registered nor observed");
    }
    Map<String, Object> out =
        entry(
            agentId,
            registration,
            observed == null ? null : JSON.valueToTree(observedTree(observed)));
    out.put(
        "registration",
        registration == null ? null : JSON.readTree(JsonContractCodec.write(registration)));
    out.put("servedBy", self == null ? "this instance" : self.host() + ":" + self.port());
    return Reply.json(200, out);
  }

  private Reply baselineOf(String agentId) throws IOException {
    ReadOnlyKeyValueStore<String, byte[]> heads = local(ChaperoneTopology.BASELINES_STORE);
    ReadOnlyKeyValueStore<String, byte[]> days = local(ChaperoneTopology.BASELINE_DAYS_STORE);
    byte[] head = heads.get(agentId);
    if (head == null) {
      return Reply.error(404, "no baseline for " + agentId + " (yet)");
    }
    BaselineConfig config = BaselineConfig.defaults();
    Baseline baseline =
        BaselineCodec.isHead(head)
            ? BaselineCodec.decodeHead(head, day -> days.get(agentId + '\u0000' + day), config)
            : BaselineCodec.decode(head, config);
    Baseline.Profile profile = baseline.profile(10);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("agentId", agentId);
    out.put("state", profile.warm() ? "BASELINED" : "WARMING_UP");
    out.put("events", profile.events());
    out.put("activeDays", profile.activeDays());
    out.put(
        "newestDay",
        baseline.newestDay() < 0
            ? null
            : java.time.LocalDate.ofEpochDay(baseline.newestDay()).toString());
    out.put("topActionTypes", counts(profile.actionTypes()));
    out.put("topTools", counts(profile.tools()));
    out.put("topResources", counts(profile.resources()));
    out.put("topOutputs", counts(profile.outputs()));
    out.put("hourOfWeek", profile.hourOfWeek());
    out.put("hourOfWeekStarts", "Monday 00:00 UTC");
    out.put("calibrationSamples", profile.calibrationSamples());
    out.put("storedBytes", head.length);
    out.put("servedBy", self == null ? "this instance" : self.host() + ":" + self.port());
    return Reply.json(200, out);
  }

  private static List<Map<String, Object>> counts(List<Map.Entry<String, Long>> entries) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map.Entry<String, Long> e : entries) {
      out.add(Map.of("name", e.getKey(), "count", e.getValue()));
    }
    return out;
  }

  private Map<String, Object> config() throws IOException {
    ReadOnlyKeyValueStore<String, byte[]> store = local(ChaperoneTopology.CONFIG_STORE);
    Map<String, Object> scopes = new TreeMap<>();
    try (KeyValueIterator<String, byte[]> all = store.all()) {
      while (all.hasNext()) {
        var kv = all.next();
        DetectorConfig config = configs.deserialize(app.config().configTopic(), kv.value);
        scopes.put(kv.key, JSON.readTree(JsonContractCodec.write(config)));
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("scopes", scopes);
    out.put("defaults", JSON.valueToTree(EffectiveConfig.DEFAULTS));
    out.put("rejectedConfig", rejections(app.rejections().config()));
    out.put("rejectedRegistrations", rejections(app.rejections().registry()));
    return out;
  }

  /**
   * Behavioural alerts this instance raised under the live thresholds beside those the scopes'
   * candidate {@code shadowThresholdSigma} would have raised, by config version in force.
   */
  private Map<String, Object> shadow() {
    Map<String, Map<String, Object>> byScope = new TreeMap<>();
    for (var counter :
        app.metrics().registry().find(ChaperoneMetrics.THRESHOLD_ALERTS).counters()) {
      String scope = counter.getId().getTag(ChaperoneMetrics.TAG_SCOPE);
      String threshold = counter.getId().getTag(ChaperoneMetrics.TAG_THRESHOLD);
      byScope
          .computeIfAbsent(scope, k -> new TreeMap<>(Map.of("live", 0L, "shadow", 0L)))
          .merge(threshold, (long) counter.count(), (a, b) -> (Long) a + (Long) b);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("instance", self == null ? "this instance" : self.host() + ":" + self.port());
    out.put("byConfigVersion", byScope);
    return out;
  }

  private static List<Map<String, Object>> rejections(RejectionLog log) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (RejectionLog.Rejection r : log.latest()) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("key", r.key());
      entry.put("offset", r.offset());
      entry.put("reason", r.reason());
      out.add(entry);
    }
    return out;
  }

  // ---------------------------------------------------------------- stores

  private Map<String, AgentRegistration> registered() {
    Map<String, AgentRegistration> out = new TreeMap<>();
    ReadOnlyKeyValueStore<String, byte[]> store = local(ChaperoneTopology.REGISTRY_STORE);
    try (KeyValueIterator<String, byte[]> all = store.all()) {
      while (all.hasNext()) {
        var kv = all.next();
        out.put(kv.key, registrations.deserialize(app.config().registryTopic(), kv.value));
      }
    }
    return out;
  }

  private Map<String, ObservedAgent> localObserved() {
    Map<String, ObservedAgent> out = new TreeMap<>();
    ReadOnlyKeyValueStore<String, ObservedAgent> store =
        local(ChaperoneTopology.OBSERVED_FLEET_STORE);
    try (KeyValueIterator<String, ObservedAgent> all = store.all()) {
      all.forEachRemaining(kv -> out.put(kv.key, kv.value));
    }
    return out;
  }

  private ObservedAgent localObservedAgent(String agentId) {
    ReadOnlyKeyValueStore<String, ObservedAgent> store =
        local(ChaperoneTopology.OBSERVED_FLEET_STORE);
    return store.get(agentId);
  }

  /** A key-value store of this instance: its partitions of a task store, or a global store. */
  private <V> ReadOnlyKeyValueStore<String, V> local(String name) {
    return app.streams()
        .store(
            StoreQueryParameters.fromNameAndType(
                name, QueryableStoreTypes.<String, V>keyValueStore()));
  }

  private static String query(HttpExchange exchange, String name) {
    String raw = exchange.getRequestURI().getRawQuery();
    if (raw == null) {
      return null;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      if (key.equals(name)) {
        return eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      }
    }
    return null;
  }
}
