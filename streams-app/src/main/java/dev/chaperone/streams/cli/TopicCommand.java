package dev.chaperone.streams.cli;

import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.registry.SchemaRegistries;
import dev.chaperone.streams.registry.SchemaRegistry;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What the commands that maintain a compacted topic (config, registry) share: the cluster options,
 * reading the topic from its start to its current end, and producing keyed records.
 */
abstract class TopicCommand {

  @Mixin ClusterOptions cluster;

  @Option(
      names = "--timeout",
      defaultValue = "PT15S",
      description = "How long to read the topic for (default ${DEFAULT-VALUE}).")
  Duration timeout;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  ChaperoneConfig config() {
    return new ChaperoneConfig(cluster.settings());
  }

  SchemaRegistry registry(ChaperoneConfig config) {
    return SchemaRegistries.forUrl(
        config.schemaRegistryUrl(),
        config.schemaRegistryBasicAuth(),
        config.schemaRegistryBearerToken(),
        config.schemaRegistryTimeout());
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  /** Hands every committed record of {@code topic}, oldest first, up to its current end. */
  void readToEnd(
      ChaperoneConfig config, String topic, Consumer<ConsumerRecord<byte[], byte[]>> each) {
    Properties props = config.clientProperties(ConsumerConfig.configNames());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "chaperone-cli-" + UUID.randomUUID());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      consumer
          .partitionsFor(topic, timeout)
          .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.nanoTime() > deadline) {
          err().println("warning: " + topic + " not read to its end within " + timeout);
          return;
        }
        consumer.poll(Duration.ofMillis(200)).forEach(each);
      }
    }
  }

  /** Produces {@code values} keyed by their keys, idempotently; returns the last one's metadata. */
  RecordMetadata produce(ChaperoneConfig config, String topic, Map<String, byte[]> values)
      throws Exception {
    Properties props = config.clientProperties(ProducerConfig.configNames());
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    RecordMetadata last = null;
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>();
      values.forEach(
          (key, value) ->
              sent.add(
                  producer.send(
                      new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value))));
      for (var future : sent) {
        last = future.get();
      }
    }
    return last;
  }
}
