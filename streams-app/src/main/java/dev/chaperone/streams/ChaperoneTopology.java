package dev.chaperone.streams;

import dev.chaperone.alerting.SocRenderings;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.Alert;
import dev.chaperone.schema.AlertFeedback;
import dev.chaperone.schema.DeadLetter;
import dev.chaperone.schema.DelegationViolation;
import dev.chaperone.schema.DetectorConfig;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.contract.ActionContract;
import dev.chaperone.streams.detect.EffectiveConfig;
import dev.chaperone.streams.fleet.ObservedAgent;
import dev.chaperone.streams.fleet.ObservedAgentSerde;
import dev.chaperone.streams.fleet.ObservedFleetProcessor;
import dev.chaperone.streams.fleet.UnregisteredAgents;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.processor.AlertAggregationProcessor;
import dev.chaperone.streams.processor.CommitPacer;
import dev.chaperone.streams.processor.CredentialSharingProcessor;
import dev.chaperone.streams.processor.CredentialUse;
import dev.chaperone.streams.processor.CredentialUseSerde;
import dev.chaperone.streams.processor.DecodeActionProcessor;
import dev.chaperone.streams.processor.DecodeFeedbackProcessor;
import dev.chaperone.streams.processor.DecodeResult;
import dev.chaperone.streams.processor.DetectProcessor;
import dev.chaperone.streams.processor.DetectionContext;
import dev.chaperone.streams.processor.EventScore;
import dev.chaperone.streams.processor.FeedbackProcessor;
import dev.chaperone.streams.processor.GlobalTableUpdater;
import dev.chaperone.streams.processor.RejectionLog;
import dev.chaperone.streams.processor.ScoreJson;
import dev.chaperone.streams.processor.StoreVersion;
import dev.chaperone.streams.registry.SchemaRegistries;
import dev.chaperone.streams.registry.SchemaRegistry;
import dev.chaperone.streams.serde.AvroSerde;
import dev.chaperone.streams.serde.OccurredAtExtractor;
import dev.chaperone.streams.state.AgentSightings;
import dev.chaperone.streams.state.BaselineCacheStore;
import dev.chaperone.streams.state.WriteBackCacheStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowBytesStoreSupplier;
import org.apache.kafka.streams.state.internals.RocksDbWindowBytesStoreSupplier;

/**
 * Builds Chaperone's topology. A plain function of the config so that {@code main}, the demo and
 * the tests run the same graph.
 *
 * <pre>
 * agent-actions ─ decode-actions ─┬─ dead letter ─────────────────────────────── dead-letters
 *                                 └─ valid ─┬─ keyed by agentId ──────────┬─ observe-fleet ─ …
 *                                           └─ key-by-agent ─ actions-by-agent (repartition)
 * </pre>
 *
 * Records whose key already is the agent id skip the repartition; only mis-keyed ones pay for it.
 * Every stateful step and store is named so that changelog and repartition topics stay stable.
 */
public final class ChaperoneTopology {

  public static final String ACTIONS_SOURCE = "actions-source";
  public static final String DECODE_ACTIONS = "decode-actions";
  public static final String DEAD_LETTERS_SINK = "dead-letters-sink";
  public static final String ACTIONS_BY_AGENT = "actions-by-agent";
  public static final String OBSERVE_FLEET = "observe-fleet";
  public static final String OBSERVED_FLEET_STORE = "observed-fleet";
  public static final String OBSERVED_FLEET_CACHE_STORE = "observed-fleet-cache";
  public static final String UNREGISTERED_STORE = "unregistered-agents";
  public static final String DETECT = "detect";
  public static final String ALERTS_SINK = "alerts-sink";
  public static final String VIOLATIONS_SINK = "delegation-violations-sink";
  public static final String REGISTRY_STORE = "agent-registry";
  public static final String CONFIG_STORE = "detector-config";
  public static final String SIGHTINGS_STORE = "agent-sightings";
  public static final String SIGHTINGS_CACHE_STORE = "agent-sightings-cache";
  public static final String BASELINES_STORE = "agent-baselines";
  public static final String BASELINE_CACHE_STORE = "agent-baselines-cache";
  public static final String BASELINE_DAYS_STORE = "agent-baseline-days";
  public static final String BASELINE_JOURNAL_STORE = "agent-baseline-journal";
  public static final String CREDENTIAL_AGENTS_STORE = "credential-agents";
  public static final String CREDENTIAL_USES = "credential-uses";
  public static final String CREDENTIAL_SHARING = "credential-sharing";
  public static final String ALERT_AGGREGATES_STORE = "alert-aggregates";
  public static final String SUPPRESSIONS_STORE = "alert-suppressions";
  public static final String FEEDBACK_BY_AGENT = "feedback-by-agent";
  public static final String APPLY_FEEDBACK = "apply-feedback";
  public static final String AGGREGATE_ALERTS = "aggregate-alerts";
  public static final String SHARED_ALERTS_BY_AGENT = "shared-alerts-by-agent";
  public static final String FLEET_ALERTS = "fleet-alerts";

  static final DetectProcessor.Stores DETECT_STORES =
      new DetectProcessor.Stores(
          SIGHTINGS_STORE,
          SIGHTINGS_CACHE_STORE,
          BASELINES_STORE,
          BASELINE_DAYS_STORE,
          BASELINE_JOURNAL_STORE,
          BASELINE_CACHE_STORE,
          OBSERVED_FLEET_STORE,
          OBSERVED_FLEET_CACHE_STORE,
          UNREGISTERED_STORE);

  /**
   * Rejected registry and config records of one topology, newest first, for the operators' views.
   */
  public record Rejections(RejectionLog registry, RejectionLog config) {
    public Rejections() {
      this(new RejectionLog(), new RejectionLog());
    }
  }

  static {
    // Generated classes are loaded by name when records are copied or read; trust them once.
    dev.chaperone.schema.ChaperoneSchemas.trustGeneratedClasses();
  }

  private ChaperoneTopology() {}

  /** The topology with metrics kept in memory. */
  public static Topology build(ChaperoneConfig config) {
    return build(config, ChaperoneMetrics.inMemory());
  }

  /** The topology, counting into {@code metrics}. */
  public static Topology build(ChaperoneConfig config, ChaperoneMetrics metrics) {
    return build(config, metrics, new Rejections());
  }

  /**
   * The topology, counting into {@code metrics} and keeping rejected global records in {@code
   * rejections}.
   */
  public static Topology build(
      ChaperoneConfig config, ChaperoneMetrics metrics, Rejections rejections) {
    return build(config, metrics, rejections, StateStorage.DURABLE);
  }

  /** Where the topology keeps its state. */
  public enum StateStorage {
    /**
     * RocksDB stores logged to changelog topics, baselines written back at every commit: what a
     * deployment runs, exactly-once across crashes and migrations.
     */
    DURABLE,
    /**
     * In-memory stores without changelogs, baselines written back only when evicted: for a replay
     * in one process that ends with the process and never restores.
     */
    EPHEMERAL;

    boolean durable() {
      return this == DURABLE;
    }
  }

  /** The topology, keeping its state as {@code storage} says. */
  public static Topology build(
      ChaperoneConfig config,
      ChaperoneMetrics metrics,
      Rejections rejections,
      StateStorage storage) {
    SchemaRegistry registry =
        SchemaRegistries.forUrl(
            config.schemaRegistryUrl(),
            config.schemaRegistryBasicAuth(),
            config.schemaRegistryBearerToken(),
            config.schemaRegistryTimeout());
    ActionContract contract = new ActionContract(config.futureToleranceMs());
    CommitPacer pacer = config.commitPacer(metrics);
    StreamsBuilder builder = new StreamsBuilder();

    KStream<byte[], DecodeResult> decoded =
        builder.stream(
                config.actionsTopic(),
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                    .withTimestampExtractor(
                        new OccurredAtExtractor(registry, config.futureToleranceMs(), pacer::input))
                    .withName(ACTIONS_SOURCE))
            .processValues(
                () ->
                    new DecodeActionProcessor(
                        AvroSerde.forValues(AgentAction.class, registry).deserializer(),
                        contract,
                        metrics,
                        pacer),
                Named.as(DECODE_ACTIONS));

    Map<String, KStream<byte[], DecodeResult>> outcome =
        decoded
            .split(Named.as("decode-"))
            .branch((key, result) -> !result.isValid(), Branched.as("dead-letter"))
            .defaultBranch(Branched.as("valid"));

    outcome
        .get("decode-dead-letter")
        .mapValues(DecodeResult::deadLetter, Named.as("dead-letter-unwrap"))
        .to(
            config.deadLettersTopic(),
            Produced.with(Serdes.ByteArray(), AvroSerde.forValues(DeadLetter.class, registry))
                .withName(DEAD_LETTERS_SINK));

    KStream<byte[], AgentAction> byAgent =
        keyByAgent(
            outcome.get("decode-valid").mapValues(DecodeResult::action, Named.as("valid-unwrap")));

    builder.addStateStore(
        logged(
            Stores.keyValueStoreBuilder(
                    keyValue(OBSERVED_FLEET_STORE, storage),
                    Serdes.String(),
                    new ObservedAgentSerde())
                // updated by every event through the decoded cache in front of it, which writes
                // each agent's entry (and one changelog record) once per commit
                .withCachingDisabled(),
            storage));
    builder.addStateStore(
        WriteBackCacheStore.<ObservedAgent>builder(
            OBSERVED_FLEET_CACHE_STORE, config.baselineCacheCapacity(), storage.durable()));
    builder.addStateStore(
        logged(
            Stores.keyValueStoreBuilder(
                    keyValue(UNREGISTERED_STORE, storage), Serdes.String(), Serdes.Long())
                .withCachingEnabled(),
            storage));
    StoreVersion registryVersion = new StoreVersion();
    StoreVersion configVersion = new StoreVersion();
    DetectionContext.Factory detection =
        new DetectionContext.Factory(
            REGISTRY_STORE,
            CONFIG_STORE,
            metrics,
            () -> AvroSerde.forValues(AgentRegistration.class, registry).deserializer(),
            () -> AvroSerde.forValues(DetectorConfig.class, registry).deserializer(),
            pacer,
            registryVersion,
            configVersion);
    ObservedFleetProcessor.Stores fleetStores =
        new ObservedFleetProcessor.Stores(
            OBSERVED_FLEET_STORE,
            OBSERVED_FLEET_CACHE_STORE,
            UNREGISTERED_STORE,
            config.unregisteredLimits());
    KStream<byte[], AgentAction> observed =
        byAgent.processValues(
            () -> new ObservedFleetProcessor(fleetStores, detection),
            Named.as(OBSERVE_FLEET),
            OBSERVED_FLEET_STORE,
            OBSERVED_FLEET_CACHE_STORE,
            UNREGISTERED_STORE);

    addGlobalTables(builder, config, registry, metrics, rejections, registryVersion, configVersion);
    addDetectionStores(builder, config, storage);
    KStream<String, Object> detected =
        observed.process(
            () ->
                new DetectProcessor(
                    DETECT_STORES, fleetStores.limits(), detection, config.scoresEnabled()),
            Named.as(DETECT),
            SIGHTINGS_STORE,
            SIGHTINGS_CACHE_STORE,
            BASELINES_STORE,
            BASELINE_DAYS_STORE,
            BASELINE_JOURNAL_STORE,
            BASELINE_CACHE_STORE,
            OBSERVED_FLEET_STORE,
            OBSERVED_FLEET_CACHE_STORE,
            UNREGISTERED_STORE);

    KStream<String, Object> shared =
        detected
            .filter(
                (key, value) -> value instanceof CredentialUse, Named.as("credential-uses-only"))
            .mapValues(value -> (CredentialUse) value, Named.as("as-credential-use"))
            .repartition(
                Repartitioned.<String, CredentialUse>as(CREDENTIAL_USES)
                    .withKeySerde(Serdes.String())
                    .withValueSerde(new CredentialUseSerde()))
            .process(
                () ->
                    new CredentialSharingProcessor(
                        CREDENTIAL_AGENTS_STORE, config.sharingMemoryCapacity(), detection),
                Named.as(CREDENTIAL_SHARING),
                CREDENTIAL_AGENTS_STORE);

    // Sharing alerts are keyed by agent but come from the partition of their credential: bring
    // them to their agent's partition, where that agent's alerts are aggregated.
    KStream<String, Object> sharedByAgent =
        shared
            .filter((agent, value) -> value instanceof Alert, Named.as("shared-alerts-only"))
            .mapValues(value -> (Alert) value, Named.as("as-shared-alert"))
            .repartition(
                Repartitioned.<String, Alert>as(SHARED_ALERTS_BY_AGENT)
                    .withKeySerde(Serdes.String())
                    .withValueSerde(AvroSerde.forValues(Alert.class, null)))
            .mapValues(alert -> (Object) alert, Named.as("shared-alert-as-finding"));
    // Fleet-level alerts about untracked unregistered agents come from every partition: bring them
    // to one, so that one alert counts them all.
    KStream<String, Object> fleetAlerts =
        detected
            .filter((key, value) -> isFleetAlert(key, value), Named.as("fleet-alerts-only"))
            .mapValues(value -> (Alert) value, Named.as("as-fleet-alert"))
            .repartition(
                Repartitioned.<String, Alert>as(FLEET_ALERTS)
                    .withKeySerde(Serdes.String())
                    .withValueSerde(AvroSerde.forValues(Alert.class, null)))
            .mapValues(alert -> (Object) alert, Named.as("fleet-alert-as-finding"));
    builder.addStateStore(
        logged(
            Stores.keyValueStoreBuilder(
                keyValue(ALERT_AGGREGATES_STORE, storage), Serdes.String(), Serdes.ByteArray()),
            storage));
    builder.addStateStore(
        logged(
            Stores.keyValueStoreBuilder(
                keyValue(SUPPRESSIONS_STORE, storage), Serdes.String(), Serdes.Long()),
            storage));
    if (config.scoresEnabled()) {
      detected
          .filter((key, value) -> value instanceof EventScore, Named.as("scores-only"))
          .mapValues(value -> ScoreJson.render((EventScore) value), Named.as("render-scores"))
          .to(
              config.scoresTopic(),
              Produced.with(Serdes.String(), Serdes.ByteArray()).withName("scores-sink"));
    }
    KStream<String, Object> aggregated =
        detected
            .filter(
                (key, value) ->
                    !(value instanceof CredentialUse)
                        && !(value instanceof EventScore)
                        && !isFleetAlert(key, value),
                Named.as("detected-findings"))
            .merge(sharedByAgent, Named.as("findings"))
            .merge(fleetAlerts, Named.as("findings-and-fleet-alerts"))
            .process(
                () ->
                    new AlertAggregationProcessor(
                        ALERT_AGGREGATES_STORE, SUPPRESSIONS_STORE, detection),
                Named.as(AGGREGATE_ALERTS),
                ALERT_AGGREGATES_STORE,
                SUPPRESSIONS_STORE);
    KStream<String, Object> findings =
        aggregated.merge(
            feedback(builder, config, registry, metrics, detection),
            Named.as("alerts-and-verdicts"));
    KStream<String, Alert> alerts =
        findings
            .filter((agent, value) -> value instanceof Alert, Named.as("alerts-only"))
            .mapValues(value -> (Alert) value, Named.as("as-alert"));
    alerts.to(
        config.alertsTopic(),
        Produced.with(Serdes.String(), AvroSerde.forValues(Alert.class, registry))
            .withName(ALERTS_SINK));
    if (config.renderOcsf()) {
      alerts
          .mapValues(alert -> json(SocRenderings.ocsf(alert)), Named.as("render-ocsf"))
          .to(
              config.ocsfTopic(),
              Produced.with(Serdes.String(), Serdes.ByteArray()).withName("alerts-ocsf-sink"));
    }
    if (config.renderEcs()) {
      alerts
          .mapValues(alert -> json(SocRenderings.ecs(alert)), Named.as("render-ecs"))
          .to(
              config.ecsTopic(),
              Produced.with(Serdes.String(), Serdes.ByteArray()).withName("alerts-ecs-sink"));
    }
    findings
        .filter((agent, value) -> value instanceof DelegationViolation, Named.as("violations-only"))
        .mapValues(value -> (DelegationViolation) value, Named.as("as-violation"))
        .to(
            config.violationsTopic(),
            Produced.with(Serdes.String(), AvroSerde.forValues(DelegationViolation.class, registry))
                .withName(VIOLATIONS_SINK));

    return builder.build();
  }

  /**
   * Routes every action to the partition of its agent id. Keys are kept as the UTF-8 bytes of the
   * agent id, which the default partitioner places exactly where a String key would go.
   */
  private static KStream<byte[], AgentAction> keyByAgent(KStream<byte[], AgentAction> valid) {
    Map<String, KStream<byte[], AgentAction>> routes =
        valid
            .split(Named.as("keyed-"))
            .branch((key, action) -> isAgentKey(key, action), Branched.as("by-agent"))
            .defaultBranch(Branched.as("other"));
    KStream<byte[], AgentAction> rekeyed =
        routes
            .get("keyed-other")
            .selectKey((key, action) -> agentKey(action), Named.as("key-by-agent"))
            .repartition(
                Repartitioned.<byte[], AgentAction>as(ACTIONS_BY_AGENT)
                    .withKeySerde(Serdes.ByteArray())
                    .withValueSerde(AvroSerde.forValues(AgentAction.class, null)));
    return routes.get("keyed-by-agent").merge(rekeyed, Named.as("actions-merged"));
  }

  /**
   * Analyst feedback: decoded (bad records dead-lettered), routed to the alert's agent, applied to
   * its baseline and alerts. Returns the alert updates carrying verdicts.
   */
  private static KStream<String, Object> feedback(
      StreamsBuilder builder,
      ChaperoneConfig config,
      SchemaRegistry registry,
      ChaperoneMetrics metrics,
      DetectionContext.Factory detection) {
    KStream<String, Object> decoded =
        builder.stream(
                config.feedbackTopic(),
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("feedback-source"))
            .process(
                () ->
                    new DecodeFeedbackProcessor(
                        AvroSerde.forValues(AlertFeedback.class, registry).deserializer(),
                        metrics,
                        detection.pacer()),
                Named.as("decode-feedback"));
    decoded
        .filter((key, value) -> value instanceof DeadLetter, Named.as("feedback-dead-letters"))
        .map(
            (key, value) -> KeyValue.pair((byte[]) null, (DeadLetter) value),
            Named.as("feedback-dead-letter-unwrap"))
        .to(
            config.deadLettersTopic(),
            Produced.with(Serdes.ByteArray(), AvroSerde.forValues(DeadLetter.class, registry))
                .withName("feedback-dead-letters-sink"));
    return decoded
        .filter((key, value) -> value instanceof AlertFeedback, Named.as("feedback-valid"))
        .mapValues(value -> (AlertFeedback) value, Named.as("as-feedback"))
        .repartition(
            Repartitioned.<String, AlertFeedback>as(FEEDBACK_BY_AGENT)
                .withKeySerde(Serdes.String())
                .withValueSerde(AvroSerde.forValues(AlertFeedback.class, null)))
        .mapValues(value -> (Object) value, Named.as("feedback-as-input"))
        .process(
            () ->
                new FeedbackProcessor(
                    ALERT_AGGREGATES_STORE, SUPPRESSIONS_STORE, DETECT_STORES, detection),
            Named.as(APPLY_FEEDBACK),
            ALERT_AGGREGATES_STORE,
            SUPPRESSIONS_STORE,
            BASELINES_STORE,
            BASELINE_DAYS_STORE,
            BASELINE_JOURNAL_STORE,
            BASELINE_CACHE_STORE);
  }

  private static void addGlobalTables(
      StreamsBuilder builder,
      ChaperoneConfig config,
      SchemaRegistry registry,
      ChaperoneMetrics metrics,
      Rejections rejections,
      StoreVersion registryVersion,
      StoreVersion configVersion) {
    builder.addGlobalStore(
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(REGISTRY_STORE), Serdes.String(), Serdes.ByteArray())
            .withLoggingDisabled(),
        config.registryTopic(),
        Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("registry-source"),
        () ->
            new GlobalTableUpdater<>(
                REGISTRY_STORE,
                AvroSerde.forValues(AgentRegistration.class, registry).deserializer(),
                ChaperoneTopology::registrationProblems,
                metrics,
                rejections.registry(),
                registryVersion));
    builder.addGlobalStore(
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(CONFIG_STORE), Serdes.String(), Serdes.ByteArray())
            .withLoggingDisabled(),
        config.configTopic(),
        Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("config-source"),
        () ->
            new GlobalTableUpdater<>(
                CONFIG_STORE,
                AvroSerde.forValues(DetectorConfig.class, registry).deserializer(),
                EffectiveConfig::problems,
                metrics,
                rejections.config(),
                configVersion));
  }

  private static void addDetectionStores(
      StreamsBuilder builder, ChaperoneConfig config, StateStorage storage) {
    Duration day = Duration.ofHours(24);
    Duration hour = Duration.ofHours(1);
    builder.addStateStore(
        logged(
            Stores.keyValueStoreBuilder(
                    keyValue(SIGHTINGS_STORE, storage), Serdes.String(), Serdes.ByteArray())
                .withCachingDisabled(),
            storage));
    builder.addStateStore(
        WriteBackCacheStore.<AgentSightings>builder(
            SIGHTINGS_CACHE_STORE, config.baselineCacheCapacity(), storage.durable()));
    builder.addStateStore(
        logged(
            Stores.keyValueStoreBuilder(
                    keyValue(BASELINES_STORE, storage), Serdes.String(), Serdes.ByteArray())
                .withCachingDisabled(),
            storage));
    builder.addStateStore(
        logged(
            Stores.keyValueStoreBuilder(
                    keyValue(BASELINE_DAYS_STORE, storage), Serdes.String(), Serdes.ByteArray())
                .withCachingDisabled(),
            storage));
    builder.addStateStore(
        logged(
            Stores.keyValueStoreBuilder(
                    keyValue(BASELINE_JOURNAL_STORE, storage), Serdes.String(), Serdes.ByteArray())
                .withCachingDisabled(),
            storage));
    builder.addStateStore(
        BaselineCacheStore.builder(
            BASELINE_CACHE_STORE, config.baselineCacheCapacity(), storage.durable()));
    builder.addStateStore(
        logged(
            Stores.windowStoreBuilder(
                window(CREDENTIAL_AGENTS_STORE, day, hour, storage),
                Serdes.String(),
                Serdes.String()),
            storage));
  }

  private static KeyValueBytesStoreSupplier keyValue(String name, StateStorage storage) {
    return storage.durable()
        ? Stores.persistentKeyValueStore(name)
        : Stores.inMemoryKeyValueStore(name);
  }

  /**
   * A window store. Durable ones are RocksDB with one segment per retention period instead of Kafka
   * Streams' default of one per half period: every segment is a RocksDB instance opened when event
   * time reaches it and closed and deleted when it expires, and when event time runs fast (catching
   * up on a backlog, replaying history) those opens and closes took most of the stream thread
   * (measured with {@code chaperone bench}: 6,000 -> 8,400 events/s). Expired entries then stay up
   * to twice the retention, which every reader here tolerates: they check times.
   */
  private static WindowBytesStoreSupplier window(
      String name, Duration retention, Duration size, StateStorage storage) {
    if (!storage.durable()) {
      return Stores.inMemoryWindowStore(name, retention, size, false);
    }
    // the public factory has no segment interval; this supplier is what it builds (4.3.x)
    return new RocksDbWindowBytesStoreSupplier(
        name,
        retention.toMillis(),
        retention.toMillis(),
        size.toMillis(),
        false,
        RocksDbWindowBytesStoreSupplier.WindowStoreTypes.DEFAULT_WINDOW_STORE);
  }

  private static <T extends StoreBuilder<?>> T logged(T store, StateStorage storage) {
    if (!storage.durable()) {
      store.withLoggingDisabled();
    }
    return store;
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private static byte[] json(Object tree) {
    try {
      return JSON.writeValueAsBytes(tree);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot render an alert as JSON", e);
    }
  }

  /** Registry records must name the agent they are keyed by and declare an owner. */
  public static List<String> registrationProblems(AgentRegistration registration) {
    List<String> problems = new ArrayList<>();
    if (registration.getAgentId().isBlank()) {
      problems.add("agentId: missing");
    }
    if (registration.getOwner().isBlank()) {
      problems.add("owner: missing");
    }
    return problems;
  }

  private static boolean isFleetAlert(String key, Object value) {
    return value instanceof Alert && UnregisteredAgents.FLEET_KEY.equals(key);
  }

  private static boolean isAgentKey(byte[] key, AgentAction action) {
    return key != null && Arrays.equals(key, agentKey(action));
  }

  static byte[] agentKey(AgentAction action) {
    return action.getAgentId().getBytes(StandardCharsets.UTF_8);
  }
}
