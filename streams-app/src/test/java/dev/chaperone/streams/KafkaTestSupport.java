package dev.chaperone.streams;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KafkaStreams;

/** What the integration tests share: reading a topic as the SOC would (read committed). */
public final class KafkaTestSupport {

  private KafkaTestSupport() {}

  /**
   * A byte-array producer with one batch in flight: right after topic creation a refused first
   * batch would let later ones arrive out of sequence, which the broker refuses until the delivery
   * timeout (2 min).
   */
  public static KafkaProducer<byte[], byte[]> idempotentProducer(String bootstrap) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Waits up to 60 s for {@code streams} to reach {@code state}, and fails if it does not. */
  public static void awaitState(KafkaStreams streams, KafkaStreams.State state)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (streams.state() != state && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    org.junit.jupiter.api.Assertions.assertEquals(state, streams.state());
  }

  /**
   * Every committed record of {@code topic} from the beginning, read until it stays quiet for
   * {@code quiet}.
   */
  public static <T> List<T> readUntilQuiet(
      String bootstrap, String topic, Deserializer<T> deserializer, Duration quiet) {
    return readRecordsUntilQuiet(
        bootstrap, topic, r -> deserializer.deserialize(r.topic(), r.value()), quiet);
  }

  /** Every committed record of {@code topic}, as {@code read} maps it, until it has been quiet. */
  public static <T> List<T> readRecordsUntilQuiet(
      String bootstrap,
      String topic,
      Function<ConsumerRecord<byte[], byte[]>, T> read,
      Duration quiet) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "test-reader-" + UUID.randomUUID());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<T> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      long quietSince = System.nanoTime();
      while (System.nanoTime() - quietSince < quiet.toNanos()) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
        records.forEach(r -> out.add(read.apply(r)));
        if (!records.isEmpty()) {
          quietSince = System.nanoTime();
        }
      }
    }
    return out;
  }

  /**
   * Action {@code i} of a sample stream, with some violations that raise alerts to compare: every
   * 97th carries a {@code write:*} token, every 131st a delegation link from "mallory".
   */
  public static dev.chaperone.schema.AgentAction withViolations(
      dev.chaperone.schema.AgentAction action, int i) {
    if (i % 97 == 0) {
      action =
          dev.chaperone.schema.AgentAction.newBuilder(action)
              .setCredential(
                  dev.chaperone.schema.Credential.newBuilder(action.getCredential())
                      .setScopes(List.of("write:*"))
                      .build())
              .build();
    }
    if (i % 131 == 0) {
      List<dev.chaperone.schema.DelegationHop> chain =
          new java.util.ArrayList<>(action.getDelegation());
      chain.set(
          1,
          dev.chaperone.schema.DelegationHop.newBuilder(chain.get(1))
              .setDelegatedBy("mallory")
              .build());
      action = dev.chaperone.schema.AgentAction.newBuilder(action).setDelegation(chain).build();
    }
    return action;
  }

  /**
   * Committed alerts of {@code topic}, keyed by rule, alert id and count, with how often each
   * appears: an aggregated alert appears as the alert and its updates, so a record emitted twice
   * shows as a 2. Read until the topic stays quiet for 3 s.
   */
  public static java.util.Map<String, Long> committedAlerts(
      String bootstrap, String topic, dev.chaperone.streams.registry.SchemaRegistry registry) {
    return readUntilQuiet(
            bootstrap,
            topic,
            dev.chaperone.streams.serde.AvroSerde.forValues(
                    dev.chaperone.schema.Alert.class, registry)
                .deserializer(),
            Duration.ofSeconds(3))
        .stream()
        .collect(
            java.util.stream.Collectors.groupingBy(
                a -> a.getRuleId() + "/" + a.getAlertId() + "#" + a.getCount(),
                java.util.TreeMap::new,
                java.util.stream.Collectors.counting()));
  }

  /** Committed scores of {@code topic} by event id, with how often each appears. */
  public static java.util.Map<String, Long> committedScores(String bootstrap, String topic) {
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    return readUntilQuiet(
            bootstrap,
            topic,
            (t, bytes) -> {
              try {
                return json.readTree(bytes).get("eventId").asText();
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            },
            Duration.ofSeconds(3))
        .stream()
        .collect(
            java.util.stream.Collectors.groupingBy(
                id -> id, java.util.HashMap::new, java.util.stream.Collectors.counting()));
  }

  /**
   * Prints a fault test's closing figures in one line, the same for every test: events in, scored,
   * dead letters, alerts, duplicates, lost.
   */
  public static void closingFigures(
      String test,
      long in,
      long scored,
      long deadLetters,
      long alerts,
      long duplicates,
      long lost) {
    System.out.printf(
        "closing figures %s: events in %d, scored %d, dead letters %d, alerts %d, duplicates %d,"
            + " lost %d%n",
        test, in, scored, deadLetters, alerts, duplicates, lost);
  }

  /**
   * Sets {@code retention.ms=-1} on {@code topics}. Output records carry the event time of the
   * action that caused them; inputs dated weeks back would otherwise be deleted by the broker's
   * time retention before a test reads them back.
   */
  public static void keepForever(org.apache.kafka.clients.admin.Admin admin, String... topics)
      throws Exception {
    java.util.Map<
            org.apache.kafka.common.config.ConfigResource,
            java.util.Collection<org.apache.kafka.clients.admin.AlterConfigOp>>
        changes = new java.util.HashMap<>();
    for (String topic : topics) {
      changes.put(
          new org.apache.kafka.common.config.ConfigResource(
              org.apache.kafka.common.config.ConfigResource.Type.TOPIC, topic),
          List.of(
              new org.apache.kafka.clients.admin.AlterConfigOp(
                  new org.apache.kafka.clients.admin.ConfigEntry("retention.ms", "-1"),
                  org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET)));
    }
    admin.incrementalAlterConfigs(changes).all().get();
  }

  /** Deletes {@code root} and everything under it, if it exists. */
  public static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
