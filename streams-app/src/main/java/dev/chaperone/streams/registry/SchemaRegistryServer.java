package dev.chaperone.streams.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * A minimal Confluent-compatible schema registry over HTTP, on a free loopback port, backed by an
 * in-process {@link MockSchemaRegistry}: {@code POST /subjects/{subject}/versions} and {@code GET
 * /schemas/ids/{id}}. It lets other processes on this machine (an {@code alerts tail} in another
 * terminal) read what {@code chaperone demo} writes. Not for production.
 */
public final class SchemaRegistryServer implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

  private final HttpServer server;
  private final MockSchemaRegistry registry;

  private SchemaRegistryServer(HttpServer server, MockSchemaRegistry registry) {
    this.server = server;
    this.registry = registry;
  }

  /** Serves the in-process registry of {@code scope} on a free port of 127.0.0.1. */
  public static SchemaRegistryServer start(String scope) {
    try {
      HttpServer server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      SchemaRegistryServer registryServer =
          new SchemaRegistryServer(server, MockSchemaRegistry.forScope(scope));
      server.createContext("/", registryServer::handle);
      server.start();
      return registryServer;
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot start the demo schema registry: " + e.getMessage(), e);
    }
  }

  /** The URL to give clients: {@code http://127.0.0.1:<port>}. */
  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getRawPath();
    try {
      if (exchange.getRequestMethod().equals("POST")
          && path.startsWith("/subjects/")
          && path.endsWith("/versions")) {
        String subject =
            URLDecoder.decode(
                path.substring("/subjects/".length(), path.length() - "/versions".length()),
                StandardCharsets.UTF_8);
        JsonNode body = JSON.readTree(exchange.getRequestBody());
        Schema schema = new Schema.Parser().parse(body.path("schema").asText());
        answer(exchange, 200, Map.of("id", registry.register(subject, schema)));
      } else if (exchange.getRequestMethod().equals("GET") && path.startsWith("/schemas/ids/")) {
        int id = Integer.parseInt(path.substring("/schemas/ids/".length()));
        answer(exchange, 200, Map.of("schema", registry.schemaById(id).toString()));
      } else {
        answer(exchange, 404, Map.of("error_code", 404, "message", "HTTP 404 Not Found"));
      }
    } catch (SchemaRegistryException e) {
      answer(exchange, 404, Map.of("error_code", e.errorCode(), "message", e.getMessage()));
    } catch (RuntimeException e) {
      answer(
          exchange,
          422,
          Map.of(
              "error_code",
              SchemaRegistryException.INVALID_SCHEMA,
              "message",
              String.valueOf(e.getMessage())));
    }
  }

  private static void answer(HttpExchange exchange, int status, Map<String, ?> body)
      throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().add("Content-Type", CONTENT_TYPE);
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
