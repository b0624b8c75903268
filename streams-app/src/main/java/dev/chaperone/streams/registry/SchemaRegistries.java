package dev.chaperone.streams.registry;

import java.time.Duration;

/** Picks the {@link SchemaRegistry} implementation a URL names. */
public final class SchemaRegistries {

  /** The URL prefix of in-process registries. */
  public static final String MOCK_PREFIX = "mock://";

  private SchemaRegistries() {}

  /**
   * {@code mock://scope} gives the in-process registry of that scope; {@code http://…} or {@code
   * https://…} (comma-separated for several) gives a REST client. Null or blank gives null: no
   * registry, single-object encoding only.
   */
  public static SchemaRegistry forUrl(
      String url, String basicAuthUserInfo, String bearerToken, Duration timeout) {
    if (url == null || url.isBlank()) {
      return null;
    }
    String trimmed = url.trim();
    if (trimmed.startsWith(MOCK_PREFIX)) {
      String scope = trimmed.substring(MOCK_PREFIX.length());
      if (scope.isEmpty()) {
        throw new IllegalArgumentException("mock:// registry URL needs a scope, e.g. mock://demo");
      }
      return MockSchemaRegistry.forScope(scope);
    }
    if (!trimmed.startsWith("http://") && !trimmed.startsWith("https://")) {
      throw new IllegalArgumentException(
          "schema registry URL must start with http://, https:// or mock://, was " + trimmed);
    }
    HttpSchemaRegistry.Settings settings =
        HttpSchemaRegistry.Settings.of(trimmed).withTimeout(timeout);
    if (basicAuthUserInfo != null && !basicAuthUserInfo.isBlank()) {
      settings = settings.withBasicAuth(basicAuthUserInfo);
    } else if (bearerToken != null && !bearerToken.isBlank()) {
      settings = settings.withBearerToken(bearerToken);
    }
    return new HttpSchemaRegistry(settings);
  }
}
