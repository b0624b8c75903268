package dev.chaperone.streams.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
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

  /** The end offsets of the partitions of every topic of {@code topics} now. */
  static Map<TopicPartition, Long> endOffsets(Admin admin, Collection<String> topics)
      throws Exception {
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    admin
        .describeTopics(topics)
        .allTopicNames()
        .get()
        .forEach(
            (topic, description) ->
                description
                    .partitions()
                    .forEach(
                        p ->
                            latest.put(
                                new TopicPartition(topic, p.partition()), OffsetSpec.latest())));
    Map<TopicPartition, Long> ends = new HashMap<>();
    admin.listOffsets(latest).all().get().forEach((p, info) -> ends.put(p, info.offset()));
    return ends;
  }

  /**
   * Waits until the application {@code group} has committed its input up to {@code inputEnd}, and
   * its repartition topics up to what is readable in them, checked afresh until one pass finds
   * nothing left: the backlog's last transaction and the work it repartitioned (credential uses,
   * shared-credential alerts) are done. Paced commits leave up to a backlog interval of that to the
   * end of a backlog: the bench's throughput counts it, and the demo plays its attacks only once
   * its history is done with, so that their latency is that of a detector keeping up.
   */
  static void awaitCommitted(Admin admin, String group, Map<TopicPartition, Long> inputEnd)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (true) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      Map<TopicPartition, OffsetSpec> repartitioned = new HashMap<>();
      for (TopicPartition p : committed.keySet()) {
        if (p.topic().startsWith(group + "-") && p.topic().endsWith("-repartition")) {
          repartitioned.put(p, OffsetSpec.latest());
        }
      }
      Map<TopicPartition, Long> wanted = new HashMap<>(inputEnd);
      admin
          .listOffsets(repartitioned, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
          .all()
          .get()
          .forEach((p, info) -> wanted.put(p, info.offset()));
      boolean done =
          wanted.entrySet().stream()
              .allMatch(
                  e ->
                      e.getValue() == 0
                          || (committed.get(e.getKey()) != null
                              && committed.get(e.getKey()).offset() >= e.getValue()));
      if (done) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(group + " has not committed its input within 120 s");
      }
      Thread.sleep(20);
    }
  }
}
