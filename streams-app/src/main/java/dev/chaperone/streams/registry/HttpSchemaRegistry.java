package dev.chaperone.streams.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/**
 * A client for the Confluent Schema Registry REST API v1: {@code POST /subjects/{subject}/versions}
 * to register and {@code GET /schemas/ids/{id}} to look up. Both directions are cached for the life
 * of the client (ids are immutable in the registry).
 *
 * <p>Answers with a 5xx status, and transport failures, are retried with exponential backoff up to
 * {@link Settings#maxRetries()} times, trying each configured base URL in turn. The registry's
 * error bodies ({@code {"error_code": 40403, "message": "Schema not found"}}) become {@link
 * SchemaRegistryException}s carrying the code. Credentials are sent as a header and never appear in
 * messages. Thread-safe.
 */
public final class HttpSchemaRegistry implements SchemaRegistry {

  static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

  /** Connection settings. {@code basicAuthUserInfo} is {@code user:password}. */
  public record Settings(
      List<URI> baseUrls,
      String basicAuthUserInfo,
      String bearerToken,
      Duration timeout,
      int maxRetries,
      Duration initialBackoff) {

    public Settings {
      Objects.requireNonNull(baseUrls, "baseUrls");
      if (baseUrls.isEmpty()) {
        throw new IllegalArgumentException("at least one schema registry URL is required");
      }
      if (maxRetries < 0) {
        throw new IllegalArgumentException("maxRetries must be >= 0, was " + maxRetries);
      }
      Objects.requireNonNull(timeout, "timeout");
      Objects.requireNonNull(initialBackoff, "initialBackoff");
    }

    /** Plain settings for {@code urls} (comma-separated): 10 s timeout, 3 retries, no auth. */
    public static Settings of(String urls) {
      List<URI> parsed =
          java.util.Arrays.stream(urls.split(","))
              .map(String::trim)
              .filter(s -> !s.isEmpty())
              .map(s -> URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s))
              .toList();
      return new Settings(parsed, null, null, Duration.ofSeconds(10), 3, Duration.ofMillis(100));
    }

    public Settings withBasicAuth(String userInfo) {
      return new Settings(baseUrls, userInfo, bearerToken, timeout, maxRetries, initialBackoff);
    }

    public Settings withBearerToken(String token) {
      return new Settings(baseUrls, basicAuthUserInfo, token, timeout, maxRetries, initialBackoff);
    }

    public Settings withTimeout(Duration value) {
      return new Settings(
          baseUrls, basicAuthUserInfo, bearerToken, value, maxRetries, initialBackoff);
    }

    public Settings withRetries(int retries, Duration backoff) {
      return new Settings(baseUrls, basicAuthUserInfo, bearerToken, timeout, retries, backoff);
    }

    @Override
    public String toString() {
      // Never print credentials.
      return "Settings[baseUrls="
          + baseUrls
          + ", auth="
          + (basicAuthUserInfo != null ? "basic" : bearerToken != null ? "bearer" : "none")
          + "]";
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Settings settings;
  private final HttpClient http;
  private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
  private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();

  public HttpSchemaRegistry(Settings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.http = HttpClient.newBuilder().connectTimeout(settings.timeout()).build();
  }

  @Override
  public int register(String subject, Schema schema) {
    Map<Schema, Integer> known =
        idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
    Integer cached = known.get(schema);
    if (cached != null) {
      return cached;
    }
    String body;
    try {
      body = JSON.writeValueAsString(Map.of("schema", schema.toString(), "schemaType", "AVRO"));
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode schema request", e);
    }
    JsonNode answer = call("POST", "/subjects/" + encode(subject) + "/versions", body);
    JsonNode id = answer.get("id");
    if (id == null || !id.canConvertToInt()) {
      throw new SchemaRegistryException(
          -1, "registry answered a registration without an id: " + answer);
    }
    int value = id.intValue();
    known.put(schema, value);
    schemasById.putIfAbsent(value, schema);
    return value;
  }

  @Override
  public Schema schemaById(int id) {
    Schema cached = schemasById.get(id);
    if (cached != null) {
      return cached;
    }
    JsonNode answer = call("GET", "/schemas/ids/" + id, null);
    JsonNode text = answer.get("schema");
    if (text == null || !text.isTextual()) {
      throw new SchemaRegistryException(
          -1, "registry answered schema id " + id + " without a schema");
    }
    String type = answer.path("schemaType").asText("AVRO");
    if (!"AVRO".equals(type)) {
      throw new SchemaRegistryException(
          SchemaRegistryException.INVALID_SCHEMA,
          "schema id " + id + " is a " + type + " schema, not Avro");
    }
    Schema schema;
    try {
      schema = new Schema.Parser().parse(text.asText());
    } catch (SchemaParseException e) {
      throw new SchemaRegistryException(
          SchemaRegistryException.INVALID_SCHEMA,
          "schema id " + id + " is not a valid Avro schema: " + e.getMessage(),
          e);
    }
    Schema raced = schemasById.putIfAbsent(id, schema);
    return raced != null ? raced : schema;
  }

  private JsonNode call(String method, String path, String body) {
    SchemaRegistryException last = null;
    long backoff = settings.initialBackoff().toMillis();
    for (int attempt = 0; attempt <= settings.maxRetries(); attempt++) {
      URI base = settings.baseUrls().get(attempt % settings.baseUrls().size());
      try {
        return callOnce(base, method, path, body);
      } catch (SchemaRegistryException e) {
        if (!e.isRetriable()) {
          throw e;
        }
        last = e;
      }
      if (attempt < settings.maxRetries()) {
        sleep(backoff);
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
    throw last;
  }

  private JsonNode callOnce(URI base, String method, String path, String body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(settings.timeout())
            .header("Accept", CONTENT_TYPE + ", application/json");
    if (settings.basicAuthUserInfo() != null) {
      request.header(
          "Authorization",
          "Basic "
              + Base64.getEncoder()
                  .encodeToString(settings.basicAuthUserInfo().getBytes(StandardCharsets.UTF_8)));
    } else if (settings.bearerToken() != null) {
      request.header("Authorization", "Bearer " + settings.bearerToken());
    }
    if (body != null) {
      request
          .header("Content-Type", CONTENT_TYPE)
          .method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new SchemaRegistryException(
          -1, "schema registry " + base + " unreachable: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SchemaRegistryException(-1, "interrupted while calling schema registry " + base, e);
    }
    JsonNode json = parse(response.body());
    if (response.statusCode() / 100 == 2) {
      if (json == null) {
        throw new SchemaRegistryException(
            -1,
            "schema registry "
                + base
                + " answered "
                + method
                + " "
                + path
                + " with a body that is not JSON");
      }
      return json;
    }
    int code = response.statusCode();
    String message = "HTTP " + code;
    if (json != null && json.has("error_code")) {
      code = json.get("error_code").asInt(code);
      message = json.path("message").asText(message);
    }
    throw new SchemaRegistryException(
        code,
        "schema registry "
            + method
            + " "
            + path
            + " failed: "
            + message
            + " (error code "
            + code
            + ")");
  }

  private static JsonNode parse(String body) {
    if (body == null || body.isBlank()) {
      return null;
    }
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }

  private static String encode(String subject) {
    return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SchemaRegistryException(-1, "interrupted while backing off", e);
    }
  }

  @Override
  public String toString() {
    return "HttpSchemaRegistry" + settings;
  }
}
