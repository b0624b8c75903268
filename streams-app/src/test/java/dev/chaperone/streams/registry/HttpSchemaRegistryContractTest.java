package dev.chaperone.streams.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.chaperone.schema.AgentAction;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Contract test of the Confluent Schema Registry REST API v1 client against a local HTTP server
 * that answers with the response bodies the Confluent documentation gives: {@code {"id": N}} for a
 * registration, {@code {"schema": "…"}} for a lookup, {@code {"error_code": 40403, "message":
 * "Schema not found"}} for an unknown id, {@code 409} for an incompatible schema, {@code 50001} for
 * a backend error.
 */
class HttpSchemaRegistryContractTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private HttpServer server;
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final List<String> authorizations = new CopyOnWriteArrayList<>();
  private final Map<Integer, String> schemas = new ConcurrentHashMap<>();
  private final AtomicInteger nextId = new AtomicInteger(1);
  private final AtomicInteger failuresToInject = new AtomicInteger();
  private volatile boolean refuseAsIncompatible;

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  private String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    String method = exchange.getRequestMethod();
    String path = exchange.getRequestURI().getRawPath();
    requests.add(method + " " + path);
    String auth = exchange.getRequestHeaders().getFirst("Authorization");
    authorizations.add(auth == null ? "" : auth);
    if (failuresToInject.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      answer(
          exchange,
          500,
          "{\"error_code\": 50001, \"message\": \"Error in the backend data store\"}");
      return;
    }
    if (method.equals("POST") && path.matches("/subjects/[^/]+/versions")) {
      if (!exchange
          .getRequestHeaders()
          .getFirst("Content-Type")
          .startsWith("application/vnd.schemaregistry.v1+json")) {
        answer(exchange, 415, "{\"error_code\": 415, \"message\": \"Unsupported Media Type\"}");
        return;
      }
      if (refuseAsIncompatible) {
        answer(
            exchange,
            409,
            "{\"error_code\": 409, \"message\": \"Schema being registered is incompatible with an earlier schema\"}");
        return;
      }
      JsonNode body = JSON.readTree(exchange.getRequestBody());
      String schema = body.get("schema").asText();
      int id =
          schemas.entrySet().stream()
              .filter(e -> e.getValue().equals(schema))
              .map(Map.Entry::getKey)
              .findFirst()
              .orElseGet(
                  () -> {
                    int fresh = nextId.getAndIncrement();
                    schemas.put(fresh, schema);
                    return fresh;
                  });
      answer(exchange, 200, "{\"id\": " + id + "}");
    } else if (method.equals("GET") && path.startsWith("/schemas/ids/")) {
      int id = Integer.parseInt(path.substring("/schemas/ids/".length()));
      String schema = schemas.get(id);
      if (schema == null) {
        answer(exchange, 404, "{\"error_code\": 40403, \"message\": \"Schema not found\"}");
      } else {
        answer(exchange, 200, JSON.writeValueAsString(Map.of("schema", schema)));
      }
    } else {
      answer(exchange, 404, "{\"error_code\": 404, \"message\": \"HTTP 404 Not Found\"}");
    }
  }

  private static void answer(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/vnd.schemaregistry.v1+json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  private HttpSchemaRegistry client() {
    return new HttpSchemaRegistry(
        HttpSchemaRegistry.Settings.of(url()).withRetries(3, Duration.ofMillis(1)));
  }

  @Test
  void shouldRegisterUnderTheSubjectAndLookUpById() {
    HttpSchemaRegistry registry = client();

    int id = registry.register("chaperone.agent-actions-value", AgentAction.getClassSchema());
    Schema fetched = new HttpSchemaRegistry(HttpSchemaRegistry.Settings.of(url())).schemaById(id);

    assertEquals(AgentAction.getClassSchema(), fetched);
    assertEquals("POST /subjects/chaperone.agent-actions-value/versions", requests.get(0));
    assertEquals("GET /schemas/ids/" + id, requests.get(1));
  }

  @Test
  void shouldCacheBothDirections() {
    HttpSchemaRegistry registry = client();

    int id = registry.register("t-value", AgentAction.getClassSchema());
    int again = registry.register("t-value", AgentAction.getClassSchema());
    Schema byId = registry.schemaById(id);
    Schema byIdAgain = registry.schemaById(id);

    assertEquals(id, again);
    assertSame(byId, byIdAgain);
    assertEquals(
        1, requests.size(), "one registration, lookups served from the cache: " + requests);
  }

  @Test
  void shouldTurnAnUnknownIdIntoANotFoundError() {
    SchemaRegistryException e =
        assertThrows(SchemaRegistryException.class, () -> client().schemaById(4242));

    assertEquals(SchemaRegistryException.SCHEMA_NOT_FOUND, e.errorCode());
    assertTrue(e.isNotFound());
    assertTrue(e.getMessage().contains("Schema not found"), e.getMessage());
    assertEquals(1, requests.size(), "a 4xx is not retried");
  }

  @Test
  void shouldReportAnIncompatibleSchemaClearly() {
    refuseAsIncompatible = true;

    SchemaRegistryException e =
        assertThrows(
            SchemaRegistryException.class,
            () -> client().register("t-value", AgentAction.getClassSchema()));

    assertEquals(SchemaRegistryException.INCOMPATIBLE_SCHEMA, e.errorCode());
    assertTrue(e.getMessage().contains("incompatible"), e.getMessage());
  }

  @Test
  void shouldRetryServerErrorsAndThenSucceed() {
    failuresToInject.set(2);

    int id = client().register("t-value", AgentAction.getClassSchema());

    assertEquals(1, id);
    assertEquals(3, requests.size(), "two 50001 answers, then success: " + requests);
  }

  @Test
  void shouldGiveUpAfterTheConfiguredRetries() {
    failuresToInject.set(100);

    SchemaRegistryException e =
        assertThrows(
            SchemaRegistryException.class,
            () -> client().register("t-value", AgentAction.getClassSchema()));

    assertEquals(50001, e.errorCode());
    assertEquals(4, requests.size(), "one try and three retries");
  }

  @Test
  void shouldSendBasicAuthOrBearerWithoutLeakingThem() {
    var basic = HttpSchemaRegistry.Settings.of(url()).withBasicAuth("svc:s3cret");
    new HttpSchemaRegistry(basic).register("t-value", AgentAction.getClassSchema());
    var bearer = HttpSchemaRegistry.Settings.of(url()).withBearerToken("tkn-123");
    new HttpSchemaRegistry(bearer).register("u-value", AgentAction.getClassSchema());

    assertEquals(
        "Basic "
            + java.util.Base64.getEncoder()
                .encodeToString("svc:s3cret".getBytes(StandardCharsets.UTF_8)),
        authorizations.get(0));
    assertEquals("Bearer tkn-123", authorizations.get(1));
    assertTrue(!basic.toString().contains("s3cret") && !bearer.toString().contains("tkn-123"));
  }

  @Test
  void shouldReportAnUnreachableRegistryAsRetriable() {
    server.stop(0);
    var settings =
        HttpSchemaRegistry.Settings.of(url())
            .withRetries(1, Duration.ofMillis(1))
            .withTimeout(Duration.ofSeconds(2));

    SchemaRegistryException e =
        assertThrows(
            SchemaRegistryException.class, () -> new HttpSchemaRegistry(settings).schemaById(1));

    assertTrue(e.isRetriable());
    assertTrue(e.getMessage().contains("unreachable"), e.getMessage());
  }

  @Test
  void shouldPickTheImplementationFromTheUrl() {
    assertTrue(
        SchemaRegistries.forUrl("mock://x", null, null, Duration.ofSeconds(1))
            instanceof MockSchemaRegistry);
    assertTrue(
        SchemaRegistries.forUrl(url(), null, null, Duration.ofSeconds(1))
            instanceof HttpSchemaRegistry);
    assertEquals(null, SchemaRegistries.forUrl("", null, null, Duration.ofSeconds(1)));
    assertThrows(
        IllegalArgumentException.class,
        () -> SchemaRegistries.forUrl("ftp://x", null, null, Duration.ofSeconds(1)));
  }
}
