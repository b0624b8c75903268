package dev.chaperone.streams.cli;

import dev.chaperone.streams.config.ChaperoneConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/**
 * How a command reaches a cluster: a properties file (any Kafka client setting, SASL and TLS
 * included, plus Chaperone's own keys) and flags that override it.
 */
public final class ClusterOptions {

  @Option(
      names = "--bootstrap-servers",
      description = "Kafka brokers, host:port,… (overrides the file).")
  String bootstrapServers;

  @Option(
      names = {"-c", "--config"},
      paramLabel = "FILE",
      description = "Properties file with Kafka client and Chaperone settings.")
  Path configFile;

  @Option(
      names = "--schema-registry-url",
      description = "Schema registry URL (http(s)://… or mock://scope).")
  String schemaRegistryUrl;

  @Option(
      names = {"-D", "--set"},
      paramLabel = "KEY=VALUE",
      description = "Any setting, repeatable; wins over the file.")
  Map<String, String> overrides = new LinkedHashMap<>();

  /** The merged settings: file, then flags. */
  public Map<String, Object> settings() {
    Map<String, Object> settings = new HashMap<>();
    if (configFile != null) {
      Properties props = new Properties();
      try (Reader reader = Files.newBufferedReader(configFile)) {
        props.load(reader);
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "cannot read config file " + configFile + ": " + e.getMessage(), e);
      }
      props.forEach((k, v) -> settings.put(k.toString(), v));
    }
    settings.putAll(overrides);
    if (bootstrapServers != null) {
      settings.put(ChaperoneConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    }
    if (schemaRegistryUrl != null) {
      settings.put(ChaperoneConfig.SCHEMA_REGISTRY_URL_CONFIG, schemaRegistryUrl);
    }
    return settings;
  }
}
