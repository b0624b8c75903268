package dev.chaperone.streams.processor;

import dev.chaperone.alerting.Finding;
import dev.chaperone.alerting.Rule;
import dev.chaperone.baseline.Assessment;
import dev.chaperone.baseline.Baseline;
import dev.chaperone.baseline.BaselineConfig;
import dev.chaperone.baseline.BaselineState;
import dev.chaperone.baseline.Observation;
import dev.chaperone.baseline.Signal;
import dev.chaperone.baseline.SignalScore;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.DetectorMode;
import dev.chaperone.streams.detect.ActionChecks;
import dev.chaperone.streams.detect.EffectiveConfig;
import dev.chaperone.streams.fleet.ObservedAgent;
import dev.chaperone.streams.fleet.ObservedFleetProcessor;
import dev.chaperone.streams.fleet.UnregisteredAgents;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.state.AgentSightings;
import dev.chaperone.streams.state.BaselineCacheStore;
import dev.chaperone.streams.state.WriteBackCacheStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Checks every action against the four gaps and emits what it finds, keyed by agent id: {@code
 * Alert}s, for delegation rules also {@code DelegationViolation}s, and the first use of each
 * credential by the agent ({@link CredentialUse}) for the sharing check partitioned by credential.
 *
 * <p>Per event: drop a duplicate event id; resolve the agent's registration and layered config; run
 * the registry, credential and delegation rules; score the action against the agent's baseline and
 * learn it unless it deviates (quarantined) or is late; emit. Mode OBSERVE counts findings without
 * alerting; OFF skips the agent.
 */
public final class DetectProcessor implements Processor<byte[], AgentAction, String, Object> {

  /** Names of the stores this processor uses. */
  public record Stores(
      String sightings,
      String sightingsCache,
      String baselines,
      String baselineDays,
      String baselineJournal,
      String baselineCache,
      String observedFleet,
      String observedFleetCache,
      String unregistered) {}

  private final Stores stores;
  private final UnregisteredAgents.Limits unregisteredLimits;
  private final boolean emitScores;
  private final ChaperoneMetrics metrics;
  private final DetectionContext.Factory detectionFactory;

  private ProcessorContext<String, Object> context;
  private WriteBackCacheStore<AgentSightings> sightings;
  private BaselineCacheStore baselines;
  private WriteBackCacheStore<ObservedAgent> observedFleet;
  private UnregisteredAgents unregistered;
  private DetectionContext detection;

  /**
   * With {@code emitScores}, every event's {@link EventScore} is forwarded too; unregistered agents
   * are tracked one by one within {@code unregisteredLimits}.
   */
  public DetectProcessor(
      Stores stores,
      UnregisteredAgents.Limits unregisteredLimits,
      DetectionContext.Factory detectionFactory,
      boolean emitScores) {
    this.emitScores = emitScores;
    this.stores = stores;
    this.unregisteredLimits = unregisteredLimits;
    this.metrics = detectionFactory.metrics();
    this.detectionFactory = detectionFactory;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
    this.sightings = context.getStateStore(stores.sightingsCache());
    KeyValueStore<String, byte[]> sightingsStore = context.getStateStore(stores.sightings());
    this.sightings.bind(sightingsStore, AgentSightings::backing);
    this.baselines = context.getStateStore(stores.baselineCache());
    this.baselines.bind(
        context.getStateStore(stores.baselines()),
        context.getStateStore(stores.baselineDays()),
        context.getStateStore(stores.baselineJournal()));
    this.observedFleet =
        ObservedFleetProcessor.bindCache(
            context.getStateStore(stores.observedFleetCache()),
            context.getStateStore(stores.observedFleet()));
    this.unregistered =
        new UnregisteredAgents(context.getStateStore(stores.unregistered()), unregisteredLimits);
    this.detection = detectionFactory.create(context);
    context.schedule(SWEEP_INTERVAL, PunctuationType.STREAM_TIME, this::sweepUnregistered);
  }

  /** How often (stream time) unregistered agents that were registered or went silent are let go. */
  static final Duration SWEEP_INTERVAL = Duration.ofHours(1);

  private void sweepUnregistered(long streamTimeMs) {
    UnregisteredAgents.Swept swept =
        unregistered.sweep(
            streamTimeMs,
            agentId -> detection.registration(agentId) != null,
            agentId -> {
              ObservedAgent seen = observedFleet.get(agentId);
              return seen == null ? Long.MIN_VALUE : seen.lastSeenMs();
            },
            agentId -> {
              observedFleet.delete(agentId);
              baselines.delete(agentId);
              sightings.delete(agentId);
            });
    metrics.unregisteredForgotten("registered", swept.registered());
    metrics.unregisteredForgotten("expired", swept.expired());
  }

  @Override
  public void process(Record<byte[], AgentAction> record) {
    AgentAction action = record.value();
    long at = action.getOccurredAt().toEpochMilli();
    AgentRegistration registration = detection.registration(action.getAgentId());
    boolean tracked = registration != null || unregistered.isTracked(action.getAgentId());
    // untracked unknown agents share one bounded memory, so a flood of made-up ids adds no state
    AgentSightings seen = sightings(tracked ? action.getAgentId() : UnregisteredAgents.FLEET_KEY);
    long evictedBefore = seen.evicted();
    boolean first = seen.firstEvent(action.getEventId(), at);
    if (seen.evicted() > evictedBefore) {
      metrics.sightingsEvicted(seen.evicted() - evictedBefore);
    }
    if (!first) {
      metrics.duplicate();
      return;
    }
    EffectiveConfig effective = detection.effectiveConfig(action.getAgentId(), registration);
    if (effective.mode() == DetectorMode.OFF) {
      return;
    }

    if (!tracked) {
      untracked(record, action, effective);
      return;
    }
    List<Finding> findings = new ArrayList<>();
    if (registration == null) {
      unregistered(action, findings);
    }
    ActionChecks.registry(action, registration, findings);
    ActionChecks.credential(action, registration, effective, findings);
    ActionChecks.delegation(action, effective, findings);
    behaviour(action, at, effective, findings);
    for (Finding finding : findings) {
      detection.emit(context, record, finding, action, registration, effective);
    }
    credentialUses(record, action, at, seen);
  }

  /**
   * The sightings of {@code key} (an agent id, or the fleet key for untracked unknown agents), in
   * memory: marked changed, since every caller records something; written back at the commit.
   */
  private AgentSightings sightings(String key) {
    AgentSightings seen = sightings.get(key);
    if (seen == null) {
      seen = new AgentSightings();
    }
    sightings.put(key, seen);
    return seen;
  }

  private static void unregistered(AgentAction action, List<Finding> findings) {
    // Every action of an unregistered agent is a finding; the aggregation downstream turns the
    // repeats within the suppression window into updates of one alert.
    findings.add(
        Finding.of(
            Rule.UNREGISTERED_AGENT,
            "agent "
                + action.getAgentId()
                + " is not in the registry but performed "
                + action.getActionType()
                + " with "
                + action.getTool()
                + (action.getResource() == null ? "" : " on " + action.getResource())));
  }

  /**
   * An unregistered agent beyond what this task tracks one by one: no state of its own, one
   * fleet-level alert ({@link UnregisteredAgents#FLEET_KEY}) that every such action updates.
   */
  private void untracked(
      Record<byte[], AgentAction> record, AgentAction action, EffectiveConfig effective) {
    Finding finding =
        Finding.of(
            Rule.UNREGISTERED_AGENT,
            "agents missing from the registry are acting faster than Chaperone follows them one"
                + " by one (at most "
                + unregisteredLimits.maxTracked()
                + " per partition, "
                + unregisteredLimits.admissionsPerHour()
                + " new per hour); latest: "
                + action.getAgentId()
                + " performed "
                + action.getActionType()
                + " with "
                + action.getTool()
                + (action.getResource() == null ? "" : " on " + action.getResource()));
    detection.emit(context, record, finding, action, null, effective, UnregisteredAgents.FLEET_KEY);
  }

  private void behaviour(
      AgentAction action, long at, EffectiveConfig effective, List<Finding> findings) {
    Baseline baseline = baselines.get(action.getAgentId(), baselineConfig(effective));
    metrics.baselineLookup(baselines.lastLookupHit());
    metrics.lag(System.currentTimeMillis() - at);
    Observation observation = observation(action);
    Assessment assessment = baseline.assess(observation);
    if (emitScores) {
      Map<String, Double> top = new LinkedHashMap<>();
      for (Signal signal : assessment.mostDeviant(3)) {
        top.put(signal.name(), Math.round(assessment.sigma(signal) * 100) / 100.0);
      }
      context.forward(
          new Record<>(
              action.getAgentId(),
              (Object)
                  new EventScore(
                      action.getEventId(),
                      action.getAgentId(),
                      action.getSessionId(),
                      at,
                      assessment.eventScore(),
                      assessment.sessionScore(),
                      assessment.state() != BaselineState.BASELINED,
                      assessment.state().name(),
                      top),
              at));
    }
    metrics.scored(assessment.state().name(), assessment.eventScore());

    boolean late = at < context.currentStreamTimeMs() - effective.lateGraceMs();
    boolean deviates = assessment.state() != BaselineState.UNBASELINED && assessment.isAlert();
    if (assessment.state() != BaselineState.UNBASELINED) {
      if (deviates) {
        metrics.thresholdAlert("live", effective.version());
      }
      Double shadow = effective.shadowThresholdSigma();
      if (shadow != null
          && Math.max(assessment.eventScore(), assessment.sessionScore()) >= shadow) {
        // what a candidate threshold would raise: counted beside the live one, never emitted
        metrics.thresholdAlert("shadow", effective.version());
      }
    }
    if (late) {
      metrics.late(); // scored, but too late to teach the baseline
      baselines.scoredOnly(action.getAgentId(), observation);
    } else if (deviates) {
      baselines.quarantined(action.getAgentId(), action.getEventId(), observation);
    } else {
      baselines.learned(action.getAgentId(), assessment);
    }

    if (deviates) {
      double score = Math.max(assessment.eventScore(), assessment.sessionScore());
      List<SignalScore> top = assessment.topSignals(3);
      String which =
          assessment.eventScore() >= effective.eventThresholdSigma()
              ? String.format(
                  Locale.ROOT,
                  "this action deviates from the agent's %d-day baseline by %.1fσ",
                  effective.windowDays(),
                  assessment.eventScore())
              : String.format(
                  Locale.ROOT,
                  "this session diverged from the agent's %d-day baseline by %.1fσ",
                  effective.windowDays(),
                  assessment.sessionScore());
      findings.add(
          new Finding(
              Rule.BEHAVIOURAL_DEVIATION,
              which + ": " + assessment.summary(top),
              null,
              score,
              top));
    }
  }

  private BaselineConfig lastBaselineConfig;

  /** The baseline settings of {@code effective}; the last one is kept, as configs rarely change. */
  private BaselineConfig baselineConfig(EffectiveConfig effective) {
    BaselineConfig last = lastBaselineConfig;
    if (last == null
        || last.windowDays() != effective.windowDays()
        || last.warmupDays() != effective.warmupDays()
        || last.warmupEvents() != effective.warmupEvents()
        || last.eventThresholdSigma() != effective.eventThresholdSigma()
        || last.sessionThresholdSigma() != effective.sessionThresholdSigma()) {
      lastBaselineConfig = baselineConfigOf(effective);
    }
    return lastBaselineConfig;
  }

  /** The baseline settings of an agent's effective config. */
  public static BaselineConfig baselineConfigOf(EffectiveConfig effective) {
    return BaselineConfig.defaults()
        .withWindowDays(effective.windowDays())
        .withWarmup(effective.warmupDays(), effective.warmupEvents())
        .withThresholds(effective.eventThresholdSigma(), effective.sessionThresholdSigma());
  }

  /** The baseline's view of an action. */
  public static Observation observation(AgentAction action) {
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

  /**
   * Forwards the first use in 24 hours of each credential and principal by this agent to the
   * sharing check, which runs partitioned by credential: tokens and principals are shared across
   * agents, and so across partitions.
   */
  private void credentialUses(
      Record<byte[], AgentAction> record, AgentAction action, long at, AgentSightings seen) {
    if (action.getCredential() == null) {
      return;
    }
    String token = CredentialUse.TOKEN + action.getCredential().getTokenId();
    if (seen.firstUse(token, at)) {
      context.forward(record.withKey(token).withValue((Object) new CredentialUse(token, action)));
    }
    String subject = action.getCredential().getSubject();
    if (subject != null) {
      String principal = CredentialUse.PRINCIPAL + subject;
      if (seen.firstUse(principal, at)) {
        context.forward(
            record.withKey(principal).withValue((Object) new CredentialUse(principal, action)));
      }
    }
  }
}
