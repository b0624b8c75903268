package dev.chaperone.streams;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.embedded.EmbeddedKafka;
import dev.chaperone.streams.registry.MockSchemaRegistry;
import dev.chaperone.streams.serde.AvroSerde;
import dev.chaperone.streams.sim.SampleFleet;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The input the fault tests share: a {@link SampleFleet} on 4-partition {@code actions} and {@code
 * registry} topics, some agents registered, some wildcard tokens and broken chains among the events
 * ({@link KafkaTestSupport#withViolations}); and the app config of one run over it, with its own
 * output topics and the scores topic on.
 */
final class FleetInput {

  static final int PARTITIONS = 4;

  private FleetInput() {}

  /** Creates the input topics and produces the input; returns nothing, the topics hold it. */
  static void produce(
      EmbeddedKafka kafka,
      MockSchemaRegistry registry,
      long seed,
      int agents,
      int registered,
      int events)
      throws Exception {
    try (Admin admin = kafka.admin()) {
      admin
          .createTopics(
              List.of(
                  new org.apache.kafka.clients.admin.NewTopic("actions", PARTITIONS, (short) 1),
                  new org.apache.kafka.clients.admin.NewTopic("registry", PARTITIONS, (short) 1)
                      .configs(Map.of("cleanup.policy", "compact"))))
          .all()
          .get();
    }
    // about 15 s between events: 5,760 a day; start early enough that none is in the future
    Instant start = Instant.now().minus(Duration.ofDays(events / 5_000 + 1));
    List<AgentAction> actions = new SampleFleet(seed, agents, start).actions(events);
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    // one batch in flight: right after topic creation a refused first batch would let later ones
    // arrive out of sequence, which the broker refuses until the delivery timeout (2 min)
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    var actionSerializer = AvroSerde.forValues(AgentAction.class, registry).serializer();
    var registrationSerializer =
        AvroSerde.forValues(AgentRegistration.class, registry).serializer();
    try (KafkaProducer<String, byte[]> registrations =
            new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        KafkaProducer<byte[], byte[]> producer =
            new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < registered; i++) {
        AgentRegistration r = SampleFleet.registration(i, start.minus(Duration.ofDays(30)));
        registrations.send(
            new ProducerRecord<>(
                "registry", r.getAgentId(), registrationSerializer.serialize("registry", r)));
      }
      registrations.flush();
      for (int i = 0; i < actions.size(); i++) {
        AgentAction action = KafkaTestSupport.withViolations(actions.get(i), i);
        // Keyed by agent id as the contract asks: an agent's order is then its partition's order.
        // (Mis-keyed records are re-keyed, but their order relative to well-keyed ones of the same
        // agent is not fixed; DecodePipelineIT covers that path.)
        byte[] key = action.getAgentId().getBytes(StandardCharsets.UTF_8);
        producer.send(
            new ProducerRecord<>("actions", key, actionSerializer.serialize("actions", action)));
      }
      producer.flush();
    }
  }

  /** The config of instance {@code instance} of run {@code run} (its own app id and outputs). */
  static ChaperoneConfig config(
      EmbeddedKafka kafka, String scope, String run, int instance, Path state) {
    return config(kafka, scope, run, instance, state, Map.of());
  }

  /** As above, with {@code extra} settings on top. */
  static ChaperoneConfig config(
      EmbeddedKafka kafka,
      String scope,
      String run,
      int instance,
      Path state,
      Map<String, Object> extra) {
    Map<String, Object> settings = new HashMap<>();
    settings.put(ChaperoneConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    settings.put(ChaperoneConfig.APPLICATION_ID_CONFIG, scope + "-" + run);
    settings.put(ChaperoneConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://" + scope);
    settings.put(ChaperoneConfig.ACTIONS_TOPIC_CONFIG, "actions");
    settings.put(ChaperoneConfig.REGISTRY_TOPIC_CONFIG, "registry");
    settings.put(ChaperoneConfig.CONFIG_TOPIC_CONFIG, "config-" + run);
    settings.put(ChaperoneConfig.ALERTS_TOPIC_CONFIG, "alerts-" + run);
    settings.put(ChaperoneConfig.VIOLATIONS_TOPIC_CONFIG, "violations-" + run);
    settings.put(ChaperoneConfig.DEAD_LETTERS_TOPIC_CONFIG, "dead-letters-" + run);
    settings.put(ChaperoneConfig.FEEDBACK_TOPIC_CONFIG, "feedback-" + run);
    settings.put(ChaperoneConfig.SCORES_ENABLED_CONFIG, true);
    settings.put(ChaperoneConfig.SCORES_TOPIC_CONFIG, "scores-" + run);
    settings.put(ChaperoneConfig.TOPICS_PARTITIONS_CONFIG, PARTITIONS);
    settings.put(StreamsConfig.STATE_DIR_CONFIG, state.resolve(run + "-" + instance).toString());
    settings.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    settings.putAll(extra);
    return new ChaperoneConfig(settings);
  }

  /** Creates the outputs of a run's config, its scores and alerts kept whatever their age. */
  static void provision(EmbeddedKafka kafka, ChaperoneConfig config) throws Exception {
    try (Admin admin = kafka.admin()) {
      dev.chaperone.streams.TopicProvisioner.ensureTopics(admin, config);
      KafkaTestSupport.keepForever(admin, config.scoresTopic(), config.alertsTopic());
    }
  }

  /**
   * Waits until {@code scored} (events scored so far, e.g. a sum of instances' metrics) reaches
   * {@code atLeast}; fails after 4 minutes.
   */
  static void awaitScored(java.util.function.LongSupplier scored, long atLeast)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
    while (scored.getAsLong() < atLeast) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + atLeast + " scored");
      }
      Thread.sleep(100);
    }
  }
}
