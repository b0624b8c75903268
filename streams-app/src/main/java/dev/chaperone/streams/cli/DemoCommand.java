package dev.chaperone.streams.cli;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.Alert;
import dev.chaperone.schema.Credential;
import dev.chaperone.schema.DeadLetter;
import dev.chaperone.schema.DelegationHop;
import dev.chaperone.streams.ChaperoneApp;
import dev.chaperone.streams.ChaperoneTopology;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.embedded.EmbeddedKafka;
import dev.chaperone.streams.fleet.ObservedAgent;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.registry.MockSchemaRegistry;
import dev.chaperone.streams.registry.SchemaRegistries;
import dev.chaperone.streams.registry.SchemaRegistry;
import dev.chaperone.streams.registry.SchemaRegistryServer;
import dev.chaperone.streams.serde.AvroSerde;
import dev.chaperone.streams.sim.MalformedRecords;
import dev.chaperone.streams.sim.SampleFleet;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code chaperone demo}: a real broker in-process, an in-process schema registry, the detector,
 * and a generated stream of agent actions with some malformed records among them. Needs nothing
 * installed but a JDK.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description =
        "Run Chaperone end to end on an embedded Kafka broker with generated agent traffic; no services needed.")
final class DemoCommand implements Callable<Integer> {

  @Option(
      names = "--agents",
      defaultValue = "20",
      description = "Agents in the generated fleet (default ${DEFAULT-VALUE}).")
  int agents;

  @Option(
      names = "--events",
      defaultValue = "2000",
      description = "Valid events to generate (default ${DEFAULT-VALUE}).")
  int events;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description = "Seed of the generator (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--keep-running",
      description =
          "Leave the broker and the detector up at the end, and print how to attach the console.")
  boolean keepRunning;

  @Option(
      names = "--timeout",
      defaultValue = "PT60S",
      description = "How long to wait for processing (default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() throws Exception {
    Console.info("Starting an embedded Kafka broker …");
    Path stateDir = Files.createTempDirectory("chaperone-demo-state-");
    String scope = "demo-" + ProcessHandle.current().pid();
    // An in-process registry served over HTTP on loopback, so a console in another terminal can
    // read what the demo writes.
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        SchemaRegistryServer schemaRegistry = SchemaRegistryServer.start(scope)) {
      Map<String, Object> settings = new HashMap<>();
      settings.put(ChaperoneConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      settings.put(ChaperoneConfig.APPLICATION_ID_CONFIG, "chaperone-demo");
      settings.put(ChaperoneConfig.SCHEMA_REGISTRY_URL_CONFIG, schemaRegistry.url());
      settings.put(ChaperoneConfig.TOPICS_PARTITIONS_CONFIG, 3);
      settings.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
      settings.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
      ChaperoneConfig config = new ChaperoneConfig(settings);
      ChaperoneMetrics metrics =
          new ChaperoneMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
      try (ChaperoneApp app = new ChaperoneApp(config, metrics)) {
        app.start();
        awaitRunning(app.streams());
        Console.info(
            "Broker "
                + kafka.bootstrapServers()
                + ", detector RUNNING. Producing "
                + events
                + " actions from "
                + agents
                + " agents, plus malformed records …");
        int malformed =
            produce(kafka.bootstrapServers(), config, MockSchemaRegistry.forScope(scope));
        long total = (long) events + malformed;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (processed(metrics) < total && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        int code = report(app, metrics, kafka.bootstrapServers(), config, total, malformed);
        if (keepRunning) {
          Console.info("");
          Console.info(
              "Still running (Ctrl-C to stop). Attach the SOC console from another terminal:");
          Console.info(
              "  bin/chaperone alerts tail --from-beginning --explain --bootstrap-servers "
                  + kafka.bootstrapServers()
                  + " --schema-registry-url "
                  + schemaRegistry.url());
          java.util.concurrent.CountDownLatch stop = new java.util.concurrent.CountDownLatch(1);
          Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "chaperone-demo-stop"));
          stop.await();
        }
        return code;
      }
    } finally {
      MockSchemaRegistry.dropScope(scope);
      deleteTree(stateDir);
    }
  }

  private int produce(String bootstrap, ChaperoneConfig config, SchemaRegistry registry) {
    List<AgentAction> actions =
        new SampleFleet(seed, agents, Instant.now().minus(Duration.ofDays(1))).actions(events);
    var confluent = AvroSerde.forValues(AgentAction.class, registry).serializer();
    var singleObject = AvroSerde.forValues(AgentAction.class, null).serializer();
    List<MalformedRecords.Malformed> bad =
        MalformedRecords.of(actions.get(0), config.actionsTopic(), registry, Instant.now());
    // Every agent but the last is registered; the last one is a shadow agent nobody registered.
    var registrations = AvroSerde.forValues(AgentRegistration.class, registry).serializer();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(bootstrap))) {
      for (int a = 0; a < agents - 1; a++) {
        AgentRegistration r = SampleFleet.registration(a, Instant.now().minus(Duration.ofDays(30)));
        producer.send(
            new ProducerRecord<>(
                config.registryTopic(),
                r.getAgentId().getBytes(StandardCharsets.UTF_8),
                registrations.serialize(config.registryTopic(), r)));
      }
      producer.flush();
    }
    // A few actions go wrong: a long-lived wildcard token, a broken delegation chain, a post
    // outside the request the human made.
    for (int i = 200; i < actions.size(); i += 400) {
      AgentAction a = actions.get(i);
      actions.set(
          i,
          AgentAction.newBuilder(a)
              .setCredential(
                  Credential.newBuilder(a.getCredential())
                      .setScopes(List.of("write:*"))
                      .setExpiresAt(null)
                      .build())
              .build());
    }
    for (int i = 300; i < actions.size(); i += 400) {
      AgentAction a = actions.get(i);
      List<DelegationHop> chain = new ArrayList<>(a.getDelegation());
      chain.set(1, DelegationHop.newBuilder(chain.get(1)).setDelegatedBy("mallory").build());
      actions.set(i, AgentAction.newBuilder(a).setDelegation(chain).build());
    }
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(bootstrap))) {
      for (int i = 0; i < actions.size(); i++) {
        AgentAction action = actions.get(i);
        byte[] value =
            (i % 2 == 0 ? confluent : singleObject).serialize(config.actionsTopic(), action);
        // Every tenth record comes without a key, as some gateways send them: the app re-keys it.
        byte[] key = i % 10 == 9 ? null : action.getAgentId().getBytes(StandardCharsets.UTF_8);
        producer.send(new ProducerRecord<>(config.actionsTopic(), key, value));
        if (i % 100 == 50 && i / 100 < bad.size()) {
          producer.send(
              new ProducerRecord<>(
                  config.actionsTopic(),
                  "bad".getBytes(StandardCharsets.UTF_8),
                  bad.get(i / 100).value()));
        }
      }
      int sent = Math.min(bad.size(), (actions.size() + 49) / 100);
      for (int i = sent; i < bad.size(); i++) {
        producer.send(
            new ProducerRecord<>(
                config.actionsTopic(), "bad".getBytes(StandardCharsets.UTF_8), bad.get(i).value()));
      }
      producer.flush();
    }
    return bad.size();
  }

  private int report(
      ChaperoneApp app,
      ChaperoneMetrics metrics,
      String bootstrap,
      ChaperoneConfig config,
      long total,
      int malformed)
      throws Exception {
    double accepted =
        metrics.count(ChaperoneMetrics.EVENTS, ChaperoneMetrics.TAG_OUTCOME, "accepted");
    double dead =
        metrics.count(ChaperoneMetrics.EVENTS, ChaperoneMetrics.TAG_OUTCOME, "dead-lettered");
    Console.info("");
    Console.info(
        String.format(
            "Processed %d of %d records: %d accepted, %d dead-lettered.",
            (long) (accepted + dead), total, (long) accepted, (long) dead));
    Console.info("");
    Console.info("Dead letters (" + config.deadLettersTopic() + "):");
    for (DeadLetter letter : readDeadLetters(bootstrap, config, malformed)) {
      Console.info(
          String.format(
              "  %s-%d@%-5d %s",
              letter.getTopic(), letter.getPartition(), letter.getOffset(), letter.getReason()));
    }
    Console.info("");
    List<Alert> alerts = readAll(bootstrap, config, config.alertsTopic(), Alert.class);
    Map<String, Long> byRule = new TreeMap<>();
    alerts.forEach(a -> byRule.merge(a.getRuleId(), 1L, Long::sum));
    Console.info("Alerts (" + config.alertsTopic() + "): " + alerts.size() + " " + byRule);
    alerts.stream()
        .collect(
            java.util.stream.Collectors.toMap(Alert::getRuleId, a -> a, (x, y) -> x, TreeMap::new))
        .values()
        .forEach(
            a -> {
              Console.info("  " + AlertsTailCommand.line(a, false));
              Console.info("      " + abbreviate(a.getExplanation(), 110));
            });
    Console.info("");
    Console.info("Observed fleet (first agents):");
    ReadOnlyKeyValueStore<String, ObservedAgent> fleet =
        app.streams()
            .store(
                StoreQueryParameters.fromNameAndType(
                    ChaperoneTopology.OBSERVED_FLEET_STORE, QueryableStoreTypes.keyValueStore()));
    Map<String, ObservedAgent> sorted = new TreeMap<>();
    try (KeyValueIterator<String, ObservedAgent> all = fleet.all()) {
      all.forEachRemaining(kv -> sorted.put(kv.key, kv.value));
    }
    sorted.entrySet().stream()
        .limit(8)
        .forEach(
            e ->
                Console.info(
                    String.format(
                        "  %-12s %5d actions  tools %s",
                        e.getKey(), e.getValue().events(), e.getValue().tools())));
    long observed = sorted.values().stream().mapToLong(ObservedAgent::events).sum();
    Console.info(
        String.format("  … %d agents, %d actions in the inventory.", sorted.size(), observed));
    boolean complete = accepted == events && dead == malformed && observed == events;
    Console.info("");
    Console.info(
        complete
            ? "Every record is accounted for: nothing lost, nothing duplicated."
            : "MISMATCH: not every record was accounted for in time.");
    return complete ? 0 : 1;
  }

  private static String abbreviate(String text, int max) {
    return text.length() <= max ? text : text.substring(0, max - 1) + "…";
  }

  /** Every committed record of {@code topic}, read until it stays quiet for two seconds. */
  private static <T extends org.apache.avro.specific.SpecificRecord> List<T> readAll(
      String bootstrap, ChaperoneConfig config, String topic, Class<T> type) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "chaperone-demo-" + topic);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    var deserializer =
        AvroSerde.forValues(
                type,
                SchemaRegistries.forUrl(
                    config.schemaRegistryUrl(), null, null, Duration.ofSeconds(5)))
            .deserializer();
    List<T> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      long quietSince = System.nanoTime();
      while (System.nanoTime() - quietSince < Duration.ofSeconds(2).toNanos()) {
        var records = consumer.poll(Duration.ofMillis(200));
        for (ConsumerRecord<byte[], byte[]> record : records) {
          out.add(deserializer.deserialize(record.topic(), record.value()));
        }
        if (!records.isEmpty()) {
          quietSince = System.nanoTime();
        }
      }
    }
    return out;
  }

  private static List<DeadLetter> readDeadLetters(
      String bootstrap, ChaperoneConfig config, int expected) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "chaperone-demo-reader");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    var deserializer =
        AvroSerde.forValues(
                DeadLetter.class,
                SchemaRegistries.forUrl(
                    config.schemaRegistryUrl(), null, null, Duration.ofSeconds(5)))
            .deserializer();
    List<DeadLetter> letters = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(config.deadLettersTopic()));
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (letters.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          letters.add(deserializer.deserialize(record.topic(), record.value()));
        }
      }
    }
    return letters;
  }

  private static double processed(ChaperoneMetrics metrics) {
    return metrics.total(ChaperoneMetrics.EVENTS);
  }

  private static void awaitRunning(KafkaStreams streams) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (streams.state() != KafkaStreams.State.RUNNING) {
      if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR) {
        throw new IllegalStateException(
            "Kafka Streams did not reach RUNNING, state " + streams.state());
      }
      Thread.sleep(50);
    }
  }

  private static Properties producerProps(String bootstrap) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    return props;
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
