package dev.chaperone.streams.processor;

import dev.chaperone.alerting.AlertFactory;
import dev.chaperone.alerting.Finding;
import dev.chaperone.alerting.Rule;
import dev.chaperone.baseline.Assessment;
import dev.chaperone.baseline.Baseline;
import dev.chaperone.baseline.BaselineConfig;
import dev.chaperone.baseline.BaselineState;
import dev.chaperone.baseline.Observation;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.Alert;
import dev.chaperone.schema.DetectorConfig;
import dev.chaperone.schema.DetectorMode;
import dev.chaperone.streams.detect.ActionChecks;
import dev.chaperone.streams.detect.EffectiveConfig;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.state.BaselineCacheStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Checks every action against the four gaps and emits what it finds: {@code Alert}s, and for
 * delegation rules also {@code DelegationViolation}s, keyed by agent id.
 *
 * <p>Per event: drop a duplicate event id; resolve the agent's registration and layered config; run
 * the registry, credential and delegation rules; score the action against the agent's baseline and
 * learn it (unless it alerts, is late, or the agent's mode is OFF); emit. In OBSERVE mode findings
 * are counted but not emitted.
 */
public final class DetectProcessor
    implements Processor<byte[], AgentAction, String, SpecificRecord> {

  /** Names of the stores this processor uses. */
  public record Stores(
      String eventIds,
      String baselines,
      String baselineCache,
      String tokenAgents,
      String principalAgents,
      String unregistered,
      String registry,
      String config) {}

  static final long DEDUP_WINDOW_MS = Duration.ofHours(24).toMillis();
  static final long SHARING_WINDOW_MS = Duration.ofHours(24).toMillis();
  private static final int MAX_AGENTS_PER_KEY = 16;

  private final Stores stores;
  private final ChaperoneMetrics metrics;
  private final Supplier<Deserializer<AgentRegistration>> registrations;
  private final Supplier<Deserializer<DetectorConfig>> configs;

  private ProcessorContext<String, SpecificRecord> context;
  private WindowStore<String, Long> eventIds;
  private BaselineCacheStore baselines;
  private WindowStore<String, String> tokenAgents;
  private WindowStore<String, String> principalAgents;
  private WindowStore<String, Long> unregistered;
  private DecodedView<AgentRegistration> registry;
  private DecodedView<DetectorConfig> config;

  public DetectProcessor(
      Stores stores,
      ChaperoneMetrics metrics,
      Supplier<Deserializer<AgentRegistration>> registrations,
      Supplier<Deserializer<DetectorConfig>> configs) {
    this.stores = stores;
    this.metrics = metrics;
    this.registrations = registrations;
    this.configs = configs;
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    this.eventIds = context.getStateStore(stores.eventIds());
    this.baselines = context.getStateStore(stores.baselineCache());
    KeyValueStore<String, byte[]> backing = context.getStateStore(stores.baselines());
    this.baselines.bind(backing);
    this.tokenAgents = context.getStateStore(stores.tokenAgents());
    this.principalAgents = context.getStateStore(stores.principalAgents());
    this.unregistered = context.getStateStore(stores.unregistered());
    this.registry =
        new DecodedView<>(
            context.getStateStore(stores.registry()), registrations.get(), "agent-registry");
    this.config =
        new DecodedView<>(context.getStateStore(stores.config()), configs.get(), "detector-config");
  }

  @Override
  public void process(Record<byte[], AgentAction> record) {
    AgentAction action = record.value();
    String agentId = action.getAgentId();
    long at = action.getOccurredAt().toEpochMilli();
    if (isDuplicate(action.getEventId(), at)) {
      metrics.duplicate();
      return;
    }
    AgentRegistration registration = registry.get(agentId);
    EffectiveConfig effective = effectiveConfig(agentId, registration);
    if (effective.mode() == DetectorMode.OFF) {
      return;
    }

    List<Finding> findings = new ArrayList<>();
    if (registration == null) {
      unregistered(action, at, effective, findings);
    }
    ActionChecks.registry(action, registration, findings);
    ActionChecks.credential(action, registration, effective, findings);
    sharing(action, at, findings);
    ActionChecks.delegation(action, effective, findings);
    behaviour(action, at, effective, findings);

    for (Finding finding : findings) {
      metrics.finding(finding.rule().name());
      if (effective.mode() == DetectorMode.ALERT) {
        emit(record, finding, action, registration, effective);
      }
    }
  }

  private boolean isDuplicate(String eventId, long at) {
    try (WindowStoreIterator<Long> seen =
        eventIds.fetch(eventId, at - DEDUP_WINDOW_MS, at + DEDUP_WINDOW_MS)) {
      if (seen.hasNext()) {
        return true;
      }
    }
    eventIds.put(eventId, at, at);
    return false;
  }

  private EffectiveConfig effectiveConfig(String agentId, AgentRegistration registration) {
    String ownerKey = registration == null ? null : "owner:" + registration.getOwner();
    String agentKey = "agent:" + agentId;
    DetectorConfig global = config.get("global");
    DetectorConfig owner = ownerKey == null ? null : config.get(ownerKey);
    DetectorConfig agent = config.get(agentKey);
    StringBuilder version = new StringBuilder();
    appendVersion(version, "global", global);
    appendVersion(version, ownerKey, owner);
    appendVersion(version, agentKey, agent);
    return EffectiveConfig.resolve(
        Arrays.asList(global, owner, agent),
        version.length() == 0 ? "defaults" : version.toString());
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

  private void unregistered(
      AgentAction action, long at, EffectiveConfig effective, List<Finding> findings) {
    long window = Math.min(effective.suppressionWindowMs(), SHARING_WINDOW_MS);
    try (WindowStoreIterator<Long> recent =
        unregistered.fetch(action.getAgentId(), at - window + 1, at)) {
      if (recent.hasNext()) {
        return; // already alerted within the suppression window
      }
    }
    unregistered.put(action.getAgentId(), at, at);
    findings.add(
        Finding.of(
            Rule.UNREGISTERED_AGENT,
            "agent "
                + action.getAgentId()
                + " is not in the registry but performed "
                + action.getActionType()
                + " with "
                + action.getTool()
                + (action.getResource() == null ? "" : " on " + action.getResource())
                + "; further actions within "
                + Duration.ofMillis(window).toMinutes()
                + " minutes are not alerted again"));
  }

  private void sharing(AgentAction action, long at, List<Finding> findings) {
    if (action.getCredential() == null) {
      return;
    }
    Set<String> tokenUsers =
        remember(tokenAgents, action.getCredential().getTokenId(), action.getAgentId(), at);
    if (tokenUsers.size() > 1) {
      findings.add(
          Finding.of(
              Rule.CREDENTIAL_SHARED,
              "credential "
                  + action.getCredential().getTokenId()
                  + " was used by "
                  + tokenUsers.size()
                  + " agents in the last 24 hours: "
                  + tokenUsers));
    }
    String subject = action.getCredential().getSubject();
    if (subject != null) {
      Set<String> subjectUsers = remember(principalAgents, subject, action.getAgentId(), at);
      if (subjectUsers.size() > 1) {
        findings.add(
            Finding.of(
                Rule.SHARED_PRINCIPAL,
                "principal "
                    + subject
                    + " acts for "
                    + subjectUsers.size()
                    + " agents in the last 24 hours: "
                    + subjectUsers));
      }
    }
  }

  /**
   * Records that {@code agentId} used {@code key} at {@code at}; returns every agent seen with it
   * in the window.
   */
  private static Set<String> remember(
      WindowStore<String, String> store, String key, String agentId, long at) {
    Set<String> agents = new LinkedHashSet<>();
    long hour = at - Math.floorMod(at, 3_600_000L);
    String thisHour = null;
    try (WindowStoreIterator<String> windows = store.fetch(key, at - SHARING_WINDOW_MS, at)) {
      while (windows.hasNext()) {
        var window = windows.next();
        agents.addAll(Arrays.asList(window.value.split(",")));
        if (window.key == hour) {
          thisHour = window.value;
        }
      }
    }
    if (!agents.contains(agentId) && agents.size() < MAX_AGENTS_PER_KEY) {
      store.put(key, thisHour == null ? agentId : thisHour + "," + agentId, hour);
    }
    agents.add(agentId);
    return agents;
  }

  private void behaviour(
      AgentAction action, long at, EffectiveConfig effective, List<Finding> findings) {
    BaselineConfig baselineConfig =
        BaselineConfig.defaults()
            .withWindowDays(effective.windowDays())
            .withWarmup(effective.warmupDays(), effective.warmupEvents())
            .withThresholds(effective.eventThresholdSigma(), effective.sessionThresholdSigma());
    Baseline baseline = baselines.get(action.getAgentId(), baselineConfig);
    Observation observation = observation(action);
    Assessment assessment = baseline.assess(observation);
    metrics.scored(assessment.state().name(), assessment.eventScore());

    boolean late = at < context.currentStreamTimeMs() - effective.lateGraceMs();
    boolean deviates = assessment.state() != BaselineState.UNBASELINED && assessment.isAlert();
    if (late) {
      metrics.late();
    } else if (deviates) {
      baseline.quarantine(action.getEventId(), observation);
    } else {
      baseline.learn(assessment);
    }
    baselines.markDirty(action.getAgentId());

    if (deviates) {
      double score = Math.max(assessment.eventScore(), assessment.sessionScore());
      String which =
          assessment.eventScore() >= effective.eventThresholdSigma()
              ? String.format(
                  java.util.Locale.ROOT,
                  "this action deviates from the agent's %d-day baseline by %.1fσ",
                  effective.windowDays(),
                  assessment.eventScore())
              : String.format(
                  java.util.Locale.ROOT,
                  "this session diverged from the agent's %d-day baseline by %.1fσ",
                  effective.windowDays(),
                  assessment.sessionScore());
      findings.add(
          new Finding(
              Rule.BEHAVIOURAL_DEVIATION,
              which + ": " + assessment.summary(),
              null,
              score,
              assessment.topSignals(3)));
    }
  }

  static Observation observation(AgentAction action) {
    String channel = action.getOutput() == null ? null : action.getOutput().getChannel();
    String content = action.getOutput() == null ? null : action.getOutput().getContentClass();
    return new Observation(
        action.getOccurredAt().toEpochMilli(),
        action.getSessionId(),
        action.getActionType().name(),
        action.getTool(),
        action.getResource(),
        channel,
        content);
  }

  private void emit(
      Record<byte[], AgentAction> record,
      Finding finding,
      AgentAction action,
      AgentRegistration registration,
      EffectiveConfig effective) {
    Alert alert =
        AlertFactory.alert(
            finding, action, registration, effective.severityOverrides(), effective.version());
    metrics.alert(alert.getRuleId(), alert.getSeverity().name());
    long timestamp = Instant.ofEpochMilli(record.timestamp()).toEpochMilli();
    context.forward(
        record
            .withKey(action.getAgentId())
            .withValue((SpecificRecord) alert)
            .withTimestamp(timestamp));
    if (finding.rule().isDelegation()) {
      context.forward(
          record
              .withKey(action.getAgentId())
              .withValue((SpecificRecord) AlertFactory.violation(finding, action))
              .withTimestamp(timestamp));
    }
  }
}
