package dev.chaperone.streams.processor;

import dev.chaperone.alerting.AlertFactory;
import dev.chaperone.alerting.Finding;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.Alert;
import dev.chaperone.schema.DetectorConfig;
import dev.chaperone.schema.DetectorMode;
import dev.chaperone.streams.detect.EffectiveConfig;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.ProcessingContext;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * What the detection processors share: the agent's registration and layered config from the global
 * stores, and the emission of findings as alerts and delegation violations.
 */
public final class DetectionContext {

  /**
   * What a processor needs to build its detection context in {@code init}; and the commit pacer,
   * which the processors that take up records of the internal topics tell about each one.
   */
  public record Factory(
      String registryStore,
      String configStore,
      ChaperoneMetrics metrics,
      java.util.function.Supplier<Deserializer<AgentRegistration>> registrations,
      java.util.function.Supplier<Deserializer<DetectorConfig>> configs,
      CommitPacer pacer,
      StoreVersion registryVersion,
      StoreVersion configVersion) {

    /** The context of one processor instance, reading the global stores through {@code context}. */
    public DetectionContext create(ProcessingContext context) {
      return new DetectionContext(
          context.getStateStore(registryStore),
          context.getStateStore(configStore),
          registrations.get(),
          configs.get(),
          metrics,
          registryVersion,
          configVersion);
    }
  }

  /**
   * What an agent's registration and config resolved to, and at which versions of the stores: while
   * neither store is written to, an agent's next event reuses them instead of reading the registry
   * once and the config three times (a key built, encoded and looked up in a sorted map each time).
   */
  private static final class Resolved {
    long registryVersion = -1;
    AgentRegistration registration;
    long configVersion = -1;
    AgentRegistration configuredFor;
    EffectiveConfig effective;
  }

  /** Agents whose resolution is kept; past it some are forgotten, as in the views. */
  private static final int MAX_RESOLVED = 50_000;

  private final DecodedView<AgentRegistration> registry;
  private final DecodedView<DetectorConfig> config;
  private final ChaperoneMetrics metrics;
  private final StoreVersion registryVersion;
  private final StoreVersion configVersion;
  private final Map<String, Resolved> resolved = new HashMap<>();
  // the agent looked up last: a processor asks for its registration and then its config
  private String lastAgentId;
  private Resolved lastResolved;
  // the layers of the last config resolved, and what they resolved to
  private DetectorConfig lastGlobal;
  private DetectorConfig lastOwner;
  private DetectorConfig lastAgent;
  private EffectiveConfig lastEffective;

  DetectionContext(
      KeyValueStore<String, byte[]> registryStore,
      KeyValueStore<String, byte[]> configStore,
      Deserializer<AgentRegistration> registrations,
      Deserializer<DetectorConfig> configs,
      ChaperoneMetrics metrics,
      StoreVersion registryVersion,
      StoreVersion configVersion) {
    this.registry = new DecodedView<>(registryStore, registrations, "agent-registry");
    this.config = new DecodedView<>(configStore, configs, "detector-config");
    this.metrics = metrics;
    this.registryVersion = registryVersion;
    this.configVersion = configVersion;
  }

  /** The agent's registration in force, or null if it has none. */
  public AgentRegistration registration(String agentId) {
    Resolved agent = resolved(agentId);
    long version = registryVersion.current(); // before the read: a later write is seen next time
    if (agent.registryVersion != version) {
      agent.registration = registry.get(agentId);
      agent.registryVersion = version;
    }
    return agent.registration;
  }

  /**
   * {@code global} ← {@code owner:<team>} ← {@code agent:<id>}, field by field, over the defaults.
   */
  EffectiveConfig effectiveConfig(String agentId, AgentRegistration registration) {
    Resolved agent = resolved(agentId);
    long version = configVersion.current();
    if (agent.effective == null
        || agent.configVersion != version
        || agent.configuredFor != registration) {
      agent.effective = resolve(agentId, registration);
      agent.configVersion = version;
      agent.configuredFor = registration;
    }
    return agent.effective;
  }

  private Resolved resolved(String agentId) {
    if (agentId == lastAgentId) {
      return lastResolved;
    }
    Resolved agent = resolved.get(agentId);
    if (agent == null) {
      BoundedMemory.makeRoom(resolved, MAX_RESOLVED);
      agent = new Resolved();
      resolved.put(agentId, agent);
    }
    lastAgentId = agentId;
    lastResolved = agent;
    return agent;
  }

  private EffectiveConfig resolve(String agentId, AgentRegistration registration) {
    String ownerKey = registration == null ? null : "owner:" + registration.getOwner();
    String agentKey = "agent:" + agentId;
    DetectorConfig global = config.get("global");
    DetectorConfig owner = ownerKey == null ? null : config.get(ownerKey);
    DetectorConfig agent = config.get(agentKey);
    // The view hands out one decoded instance per key and value: the same three layers (mostly
    // the global one alone, for agent after agent) resolve to the same config, version included,
    // and the agents' entries in the per-agent memory then share that one instance.
    if (lastEffective != null && global == lastGlobal && owner == lastOwner && agent == lastAgent) {
      return lastEffective;
    }
    StringBuilder version = new StringBuilder();
    appendVersion(version, "global", global);
    appendVersion(version, ownerKey, owner);
    appendVersion(version, agentKey, agent);
    EffectiveConfig effective =
        EffectiveConfig.resolve(
            Arrays.asList(global, owner, agent),
            version.length() == 0 ? "defaults" : version.toString());
    lastGlobal = global;
    lastOwner = owner;
    lastAgent = agent;
    lastEffective = effective;
    return effective;
  }

  private void appendVersion(StringBuilder out, String key, DetectorConfig layer) {
    if (layer == null) {
      return;
    }
    if (out.length() > 0) {
      out.append(',');
    }
    out.append(key).append('@').append(config.versionOf(key));
  }

  /** Counts the finding and, in ALERT mode, forwards its alert (and violation), keyed by agent. */
  <K, V> void emit(
      ProcessorContext<String, Object> context,
      Record<K, V> record,
      Finding finding,
      AgentAction action,
      AgentRegistration registration,
      EffectiveConfig effective) {
    emit(context, record, finding, action, registration, effective, action.getAgentId());
  }

  /** As {@link #emit}, the alert filed and keyed under {@code alertAgentId}. */
  <K, V> void emit(
      ProcessorContext<String, Object> context,
      Record<K, V> record,
      Finding finding,
      AgentAction action,
      AgentRegistration registration,
      EffectiveConfig effective,
      String alertAgentId) {
    metrics.finding(finding.rule().name());
    if (effective.mode() != DetectorMode.ALERT) {
      return;
    }
    Alert alert =
        AlertFactory.alert(
            finding, action, registration, effective.severityOverrides(), effective.version());
    if (!alertAgentId.equals(action.getAgentId())) {
      alert = Alert.newBuilder(alert).setAgentId(alertAgentId).build();
    }
    context.forward(record.withKey(alertAgentId).withValue((Object) alert));
    if (finding.rule().isDelegation()) {
      context.forward(
          record.withKey(alertAgentId).withValue((Object) AlertFactory.violation(finding, action)));
    }
  }
}
