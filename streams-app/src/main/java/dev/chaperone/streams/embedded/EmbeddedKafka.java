package dev.chaperone.streams.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) started in-process on
 * free loopback ports, with its logs in a temporary directory that {@link #close()} removes. Backs
 * {@code chaperone demo} and the integration tests. Configured for one node: internal topics with
 * replication factor 1 and transactions enabled, so exactly-once works.
 */
public final class EmbeddedKafka implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

  private final KafkaClusterTestKit cluster;
  private final Path directory;

  private EmbeddedKafka(KafkaClusterTestKit cluster, Path directory) {
    this.cluster = cluster;
    this.directory = directory;
  }

  /** Starts a broker with default settings. */
  public static EmbeddedKafka start() {
    return start(Map.of());
  }

  /** Starts a broker, applying {@code brokerProps} over the single-node defaults. */
  public static EmbeddedKafka start(Map<String, String> brokerProps) {
    Path directory;
    try {
      directory = Files.createTempDirectory("chaperone-kafka-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the broker's directory", e);
    }
    long started = System.nanoTime();
    try {
      TestKitNodes nodes =
          new TestKitNodes.Builder()
              .setCombined(true)
              .setNumBrokerNodes(1)
              .setNumControllerNodes(1)
              .setBaseDirectory(directory)
              .build();
      KafkaClusterTestKit.Builder builder =
          new KafkaClusterTestKit.Builder(nodes)
              .setConfigProp("offsets.topic.replication.factor", "1")
              .setConfigProp("offsets.topic.num.partitions", "5")
              .setConfigProp("transaction.state.log.replication.factor", "1")
              .setConfigProp("transaction.state.log.min.isr", "1")
              .setConfigProp("transaction.state.log.num.partitions", "5")
              .setConfigProp("group.initial.rebalance.delay.ms", "0")
              .setConfigProp("share.coordinator.state.topic.replication.factor", "1")
              .setConfigProp("share.coordinator.state.topic.min.isr", "1")
              .setConfigProp("auto.create.topics.enable", "false")
              .setConfigProp("log.flush.interval.messages", Long.toString(Long.MAX_VALUE))
              .setDeleteOnClose(true);
      brokerProps.forEach(builder::setConfigProp);
      KafkaClusterTestKit cluster = builder.build();
      format(cluster);
      cluster.startup();
      cluster.waitForReadyBrokers();
      EmbeddedKafka kafka = new EmbeddedKafka(cluster, directory);
      LOG.info(
          "embedded Kafka ready at {} in {} ms",
          kafka.bootstrapServers(),
          (System.nanoTime() - started) / 1_000_000);
      return kafka;
    } catch (Exception e) {
      deleteQuietly(directory);
      throw new IllegalStateException(
          "cannot start the embedded Kafka broker: " + e.getMessage(), e);
    }
  }

  /**
   * Formats the node's storage. Kafka's storage formatter prints what it does to {@code System.out}
   * (the test kit offers no way to give it another stream), which put two lines of metadata records
   * ahead of {@code chaperone demo}'s own output; they go to this class's log at DEBUG instead.
   * Anything else printed meanwhile goes there too, so the swap is kept to the format; brokers
   * starting at once take turns.
   */
  private static void format(KafkaClusterTestKit cluster) throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    synchronized (EmbeddedKafka.class) {
      PrintStream out = System.out;
      System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
      try {
        cluster.format();
      } finally {
        System.setOut(out);
      }
    }
    LOG.debug("storage formatted: {}", printed.toString(StandardCharsets.UTF_8).strip());
  }

  /** host:port of the broker's listener. */
  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  /** An admin client for the broker; the caller closes it. */
  public Admin admin() {
    return cluster.admin();
  }

  /** The directory holding the broker's data. */
  public Path directory() {
    return directory;
  }

  /**
   * Stops the broker without deleting anything, waits {@code down}, and starts it again on the same
   * port: a broker restart, for fault tests. Clients are left to notice and recover by themselves.
   */
  public void restartBroker(java.time.Duration down) throws InterruptedException {
    for (var broker : cluster.brokers().values()) {
      broker.shutdown();
      broker.awaitShutdown();
    }
    LOG.info("embedded Kafka broker stopped; restarting in {} ms", down.toMillis());
    Thread.sleep(down.toMillis());
    for (var broker : cluster.brokers().values()) {
      broker.startup();
    }
    LOG.info("embedded Kafka broker restarted at {}", bootstrapServers());
  }

  /** Stops the broker and removes its directory. */
  @Override
  public void close() {
    try {
      cluster.close();
    } catch (Exception e) {
      LOG.warn("error while stopping the embedded broker: {}", e.toString());
    } finally {
      deleteQuietly(directory);
    }
  }

  private static void deleteQuietly(Path directory) {
    if (!Files.exists(directory)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(directory)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.warn("cannot remove {}: {}", directory, e.toString());
    }
  }
}
