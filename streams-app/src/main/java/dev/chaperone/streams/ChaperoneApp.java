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
  private final ChaperoneTopology.Rejections rejections = new ChaperoneTopology.Rejections();
  private final java.util.concurrent.atomic.AtomicInteger restoring =
      new java.util.concurrent.atomic.AtomicInteger();
  private KafkaStreams streams;
  private io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics streamsMetrics;

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
    Topology topology = ChaperoneTopology.build(config, metrics, rejections);
    streams = new KafkaStreams(topology, props);
    streams.setStateListener((now, before) -> LOG.info("streams state {} -> {}", before, now));
    streams.setGlobalStateRestoreListener(new RestoreTracker());
    streamsMetrics = new io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics(streams);
    streamsMetrics.bindTo(metrics.registry());
    streams.start();
    LOG.info(
        "Chaperone {} started against {} with {} stream threads",
        config.applicationId(),
        config.bootstrapServers(),
        props.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG));
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

  public ChaperoneConfig config() {
    return config;
  }

  /** The registry and config records this instance rejected, newest first. */
  public ChaperoneTopology.Rejections rejections() {
    return rejections;
  }

  /** Ready: RUNNING, with no state store being restored from its changelog. */
  public synchronized boolean isReady() {
    return streams != null && streams.state() == KafkaStreams.State.RUNNING && restoring.get() == 0;
  }

  /** Counts the state stores being restored, for readiness. */
  private final class RestoreTracker
      implements org.apache.kafka.streams.processor.StateRestoreListener {
    @Override
    public void onRestoreStart(
        org.apache.kafka.common.TopicPartition partition, String store, long start, long end) {
      restoring.incrementAndGet();
    }

    @Override
    public void onBatchRestored(
        org.apache.kafka.common.TopicPartition partition, String store, long end, long restored) {}

    @Override
    public void onRestoreEnd(
        org.apache.kafka.common.TopicPartition partition, String store, long restored) {
      restoring.decrementAndGet();
    }

    @Override
    public void onRestoreSuspended(
        org.apache.kafka.common.TopicPartition partition, String store, long restored) {
      restoring.decrementAndGet();
    }
  }

  /**
   * Stops processing, committing what was processed and leaving the group, waiting at most {@code
   * timeout}.
   */
  public synchronized void close(Duration timeout) {
    if (streams != null) {
      // Leave the group: the others take this instance's agents over at once, not after the
      // session times out.
      streams.close(
          org.apache.kafka.streams.CloseOptions.groupMembershipOperation(
                  org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
              .withTimeout(timeout));
      streams = null;
    }
    if (streamsMetrics != null) {
      streamsMetrics.close();
      streamsMetrics = null;
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }
}
