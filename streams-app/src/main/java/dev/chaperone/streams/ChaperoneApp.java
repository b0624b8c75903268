package dev.chaperone.streams;

import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Chaperone instance: provisions topics (when configured to), builds the topology and
 * runs it in Kafka Streams until closed.
 */
public final class ChaperoneApp implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ChaperoneApp.class);

  private final ChaperoneConfig config;
  private final ChaperoneMetrics metrics;
  private KafkaStreams streams;

  public ChaperoneApp(ChaperoneConfig config, ChaperoneMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
  }

  /** Creates missing topics if configured to, then starts processing; returns at once. */
  public synchronized void start() {
    if (streams != null) {
      throw new IllegalStateException("already started");
    }
    Properties props = config.streamsProperties();
    if (config.createTopics()) {
      Map<String, Object> adminProps = new HashMap<>();
      props.forEach((k, v) -> adminProps.put(k.toString(), v));
      try (Admin admin = Admin.create(adminClientProps(adminProps))) {
        TopicProvisioner.ensureTopics(admin, config);
      }
    }
    Topology topology = ChaperoneTopology.build(config, metrics);
    streams = new KafkaStreams(topology, props);
    streams.setStateListener((now, before) -> LOG.info("streams state {} -> {}", before, now));
    streams.start();
    LOG.info("Chaperone {} started against {}", config.applicationId(), config.bootstrapServers());
  }

  private static Map<String, Object> adminClientProps(Map<String, Object> streamsProps) {
    // Admin accepts every common client setting (security included); drop Streams-only keys to keep
    // its log free of "unknown config" warnings.
    Map<String, Object> admin = new HashMap<>(streamsProps);
    StreamsConfig.configDef()
        .names()
        .forEach(
            name -> {
              if (!org.apache.kafka.clients.admin.AdminClientConfig.configNames().contains(name)) {
                admin.remove(name);
              }
            });
    return admin;
  }

  /** The running Kafka Streams client, for state and interactive queries. */
  public synchronized KafkaStreams streams() {
    if (streams == null) {
      throw new IllegalStateException("not started");
    }
    return streams;
  }

  public ChaperoneMetrics metrics() {
    return metrics;
  }

  /** Stops processing, committing what was processed, waiting at most {@code timeout}. */
  public synchronized void close(Duration timeout) {
    if (streams != null) {
      streams.close(timeout);
      streams = null;
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }
}
