package dev.chaperone.streams.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;

/** What the commands that run Chaperone in-process (demo, bench, replay) share. */
final class LocalRuns {

  private LocalRuns() {}

  /** Waits up to a minute for {@code streams} to be RUNNING; throws when it fails instead. */
  static void awaitRunning(KafkaStreams streams) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (streams.state() != KafkaStreams.State.RUNNING) {
      if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR) {
        throw new IllegalStateException(
            "Kafka Streams did not reach RUNNING, state " + streams.state());
      }
      Thread.sleep(50);
    }
  }

  /**
   * An idempotent byte-array producer's settings for {@code bootstrap}, with one request in flight
   * per broker: local runs write to topics created moments before (the demo's and the bench's
   * inputs, the bench's changelogs). Right after a topic is created a first batch can be refused
   * (NOT_LEADER_OR_FOLLOWER) while the next one to the partition is accepted, and the broker then
   * refuses the first as out of sequence until the delivery timeout drops it (KAFKA-15591; in one
   * CI run that cost the bench 120 s and its pre-built baselines). One in flight cannot be
   * overtaken. {@code simulate} does the same.
   */
  static Properties producerProps(String bootstrap) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    return props;
  }

  /** Deletes {@code root} and everything under it, if it exists. */
  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
