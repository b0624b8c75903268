package dev.chaperone.streams;

import dev.chaperone.schema.ActionType;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.AgentStatus;
import dev.chaperone.schema.Alert;
import dev.chaperone.schema.Credential;
import dev.chaperone.schema.DelegationHop;
import dev.chaperone.schema.DelegationViolation;
import dev.chaperone.schema.DetectorConfig;
import dev.chaperone.schema.Outcome;
import dev.chaperone.schema.Output;
import dev.chaperone.schema.PrincipalType;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.registry.MockSchemaRegistry;
import dev.chaperone.streams.serde.AvroSerde;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * The whole topology in a {@link TopologyTestDriver}, with helpers to register agents, set config,
 * send actions and read what comes out. Builds compliant actions that raise nothing, to be bent one
 * rule at a time.
 */
public final class DetectionHarness implements AutoCloseable {

  public static final Instant NOW = Instant.parse("2026-11-02T12:00:00Z");
  private static final AtomicLong SCOPES = new AtomicLong();

  public final ChaperoneConfig config;
  public final ChaperoneMetrics metrics = ChaperoneMetrics.inMemory();
  public final MockSchemaRegistry registry;
  public final TopologyTestDriver driver;
  private final String scope;
  private final TestInputTopic<byte[], byte[]> actions;
  private final TestInputTopic<String, byte[]> registrations;
  private final TestInputTopic<String, byte[]> configs;
  private final TestOutputTopic<String, byte[]> alerts;
  private final TestOutputTopic<String, byte[]> violations;
  private final AtomicLong events = new AtomicLong();

  /** The state directory this harness made, deleted on close (the driver leaves its top behind). */
  private Path ownStateDir;

  public DetectionHarness() {
    this(Map.of());
  }

  /** A harness whose app config has {@code settings} on top of the test defaults. */
  public DetectionHarness(Map<String, Object> settings) {
    scope = "detection-" + SCOPES.incrementAndGet();
    Map<String, Object> all =
        new java.util.HashMap<>(
            Map.of(
                ChaperoneConfig.SCHEMA_REGISTRY_URL_CONFIG,
                "mock://" + scope,
                ChaperoneConfig.APPLICATION_ID_CONFIG,
                "detection-test",
                ChaperoneConfig.FUTURE_TOLERANCE_MS_CONFIG,
                Long.toString(Duration.ofDays(3650).toMillis())));
    all.putAll(settings);
    config = new ChaperoneConfig(all);
    registry = MockSchemaRegistry.forScope(scope);
    Properties props = config.streamsProperties();
    if (!props.containsKey(StreamsConfig.STATE_DIR_CONFIG)) {
      ownStateDir =
          Path.of(
              System.getProperty("java.io.tmpdir"),
              "chaperone-detection-" + scope + "-" + System.nanoTime());
      props.put(StreamsConfig.STATE_DIR_CONFIG, ownStateDir.toString());
    }
    driver = new TopologyTestDriver(ChaperoneTopology.build(config, metrics), props, NOW);
    actions =
        driver.createInputTopic(
            config.actionsTopic(), new ByteArraySerializer(), new ByteArraySerializer());
    registrations =
        driver.createInputTopic(
            config.registryTopic(), new StringSerializer(), new ByteArraySerializer());
    configs =
        driver.createInputTopic(
            config.configTopic(), new StringSerializer(), new ByteArraySerializer());
    alerts =
        driver.createOutputTopic(
            config.alertsTopic(), new StringDeserializer(), new ByteArrayDeserializer());
    violations =
        driver.createOutputTopic(
            config.violationsTopic(), new StringDeserializer(), new ByteArrayDeserializer());
  }

  public void register(AgentRegistration registration) {
    registrations.pipeInput(
        registration.getAgentId(),
        AvroSerde.forValues(AgentRegistration.class, registry)
            .serializer()
            .serialize(config.registryTopic(), registration));
  }

  public void feedback(dev.chaperone.schema.AlertFeedback feedback) {
    driver
        .createInputTopic(config.feedbackTopic(), new StringSerializer(), new ByteArraySerializer())
        .pipeInput(
            feedback.getAlertId(),
            AvroSerde.forValues(dev.chaperone.schema.AlertFeedback.class, registry)
                .serializer()
                .serialize(config.feedbackTopic(), feedback),
            feedback.getDecidedAt());
  }

  public void feedbackRaw(byte[] value) {
    driver
        .createInputTopic(config.feedbackTopic(), new StringSerializer(), new ByteArraySerializer())
        .pipeInput("x", value);
  }

  /** The baseline of {@code agentId} as the app holds it. */
  public dev.chaperone.baseline.Baseline baseline(String agentId) {
    dev.chaperone.streams.state.BaselineCacheStore cache =
        (dev.chaperone.streams.state.BaselineCacheStore)
            driver.getStateStore(ChaperoneTopology.BASELINE_CACHE_STORE);
    return cache.get(agentId, dev.chaperone.baseline.BaselineConfig.defaults());
  }

  /**
   * The baseline of {@code agentId} as the app's stores hold it after the last commit: snapshot and
   * journal, loaded by a cache of its own.
   */
  public dev.chaperone.baseline.Baseline storedBaseline(String agentId) {
    dev.chaperone.streams.state.BaselineCacheStore loading =
        dev.chaperone.streams.state.BaselineCacheStore.builder("loading", 1, true).build();
    loading.bind(
        driver.getKeyValueStore(ChaperoneTopology.BASELINES_STORE),
        driver.getKeyValueStore(ChaperoneTopology.BASELINE_DAYS_STORE),
        driver.getKeyValueStore(ChaperoneTopology.BASELINE_JOURNAL_STORE));
    return loading.get(agentId, dev.chaperone.baseline.BaselineConfig.defaults());
  }

  public void deregister(String agentId) {
    registrations.pipeInput(agentId, (byte[]) null);
  }

  public void configure(String key, DetectorConfig value) {
    configs.pipeInput(
        key,
        value == null
            ? null
            : AvroSerde.forValues(DetectorConfig.class, registry)
                .serializer()
                .serialize(config.configTopic(), value));
  }

  public void configureRaw(String key, byte[] value) {
    configs.pipeInput(key, value);
  }

  public void send(AgentAction action) {
    actions.pipeInput(
        action.getAgentId().getBytes(StandardCharsets.UTF_8),
        AvroSerde.forValues(AgentAction.class, registry)
            .serializer()
            .serialize(config.actionsTopic(), action),
        action.getOccurredAt());
  }

  public List<Alert> alerts() {
    var deserializer = AvroSerde.forValues(Alert.class, registry).deserializer();
    return alerts.readValuesToList().stream()
        .map(v -> deserializer.deserialize(config.alertsTopic(), v))
        .toList();
  }

  public List<DelegationViolation> violations() {
    var deserializer = AvroSerde.forValues(DelegationViolation.class, registry).deserializer();
    return violations.readValuesToList().stream()
        .map(v -> deserializer.deserialize(config.violationsTopic(), v))
        .toList();
  }

  /** Sends {@code action} and returns the rule ids of the alerts it raised. */
  public List<String> rulesFor(AgentAction action) {
    alerts.readValuesToList();
    send(action);
    return alerts().stream()
        .filter(a -> a.getEventIds().contains(action.getEventId()))
        .map(Alert::getRuleId)
        .sorted()
        .collect(Collectors.toList());
  }

  public String nextEventId() {
    return "evt-" + events.incrementAndGet();
  }

  @Override
  public void close() {
    driver.close();
    MockSchemaRegistry.dropScope(scope);
    if (ownStateDir != null) {
      try {
        KafkaTestSupport.deleteTree(ownStateDir);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  // ---- compliant building blocks

  public static AgentRegistration registration(String agentId) {
    return AgentRegistration.newBuilder()
        .setAgentId(agentId)
        .setDisplayName("Forum troubleshooter")
        .setOwner("team-devex")
        .setProvisionedBy("platform.bob")
        .setRole("forum-support")
        .setRegisteredAt(NOW.minus(Duration.ofDays(90)))
        .setStatus(AgentStatus.ACTIVE)
        .setTools(List.of("forum.*", "kb.*"))
        .setResourceScopes(List.of("forum://**", "kb://**"))
        .setApprovalRequiredFor(List.of(ActionType.PERMISSION_CHANGE))
        .setMaxCredentialTtlMs(Duration.ofHours(1).toMillis())
        .build();
  }

  /**
   * A compliant reply to the thread the human asked about: raises nothing on a registered agent.
   */
  public AgentAction.Builder action(String agentId, Instant at) {
    String session = "s-" + agentId;
    return AgentAction.newBuilder()
        .setEventId(nextEventId())
        .setOccurredAt(at)
        .setAgentId(agentId)
        .setSessionId(session)
        .setRequestRef("forum://thread/8812")
        .setActionType(ActionType.MESSAGE_PUBLISH)
        .setTool("forum.reply")
        .setResource("forum://thread/8812")
        .setOutcome(Outcome.SUCCEEDED)
        .setOutput(Output.newBuilder().setChannel("forum").setContentClass("SUMMARY").build())
        .setCredential(
            Credential.newBuilder()
                .setTokenId("tok-" + agentId)
                .setSubject(agentId)
                .setIssuedAt(at.minus(Duration.ofMinutes(5)))
                .setExpiresAt(at.plus(Duration.ofMinutes(30)))
                .setScopes(List.of("forum:write"))
                .setSessionId(session)
                .build())
        .setDelegation(
            List.of(
                hop(
                    "eng.alice",
                    PrincipalType.HUMAN,
                    null,
                    List.of("forum:read", "forum:write"),
                    at.minus(Duration.ofMinutes(10)),
                    null),
                hop(
                    agentId,
                    PrincipalType.AGENT,
                    "eng.alice",
                    List.of("forum:write"),
                    at.minus(Duration.ofMinutes(5)),
                    at.plus(Duration.ofMinutes(55)))));
  }

  public static DelegationHop hop(
      String principal,
      PrincipalType type,
      String delegatedBy,
      List<String> scopes,
      Instant issued,
      Instant expires) {
    return DelegationHop.newBuilder()
        .setPrincipal(principal)
        .setPrincipalType(type)
        .setDelegatedBy(delegatedBy)
        .setScopes(scopes)
        .setRequestRef("forum://thread/8812")
        .setIssuedAt(issued)
        .setExpiresAt(expires)
        .build();
  }
}
