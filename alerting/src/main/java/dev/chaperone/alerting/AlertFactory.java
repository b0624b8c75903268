package dev.chaperone.alerting;

import dev.chaperone.baseline.SignalScore;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.Alert;
import dev.chaperone.schema.DelegationHop;
import dev.chaperone.schema.DelegationViolation;
import dev.chaperone.schema.PrincipalType;
import dev.chaperone.schema.Severity;
import dev.chaperone.schema.SignalExplanation;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Builds {@link Alert} and {@link DelegationViolation} records from findings. Ids are
 * deterministic: the same rule, agent and triggering event always give the same id, so reprocessing
 * is idempotent downstream. Thread-safe (stateless).
 */
public final class AlertFactory {

  static {
    // Builders copy records through Avro's SpecificData, which loads classes by name.
    dev.chaperone.schema.ChaperoneSchemas.trustGeneratedClasses();
  }

  private AlertFactory() {}

  /** A stable id: the first 128 bits of SHA-256 over rule, agent and event, in hex. */
  public static String alertId(Rule rule, String agentId, String eventId) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] hash =
          digest.digest(
              (rule.name() + '\u0000' + agentId + '\u0000' + eventId)
                  .getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }

  /**
   * Severity from the rule and, for behavioural findings, the score (≥ 8σ one step up), unless the
   * config overrides it for the rule.
   */
  public static Severity severity(Finding finding, Map<String, Severity> overrides) {
    if (overrides != null) {
      Severity override = overrides.get(finding.rule().name());
      if (override != null) {
        return override;
      }
    }
    Severity severity = finding.rule().defaultSeverity();
    if (finding.score() != null
        && finding.score() >= 8
        && severity.ordinal() < Severity.CRITICAL.ordinal()) {
      severity = Severity.values()[severity.ordinal() + 1];
    }
    return severity;
  }

  /** The alert for one finding on one event. */
  public static Alert alert(
      Finding finding,
      AgentAction action,
      AgentRegistration registration,
      Map<String, Severity> overrides,
      String configVersion) {
    Rule rule = finding.rule();
    List<SignalExplanation> signals = finding.signals().stream().map(AlertFactory::signal).toList();
    return Alert.newBuilder()
        .setAlertId(alertId(rule, action.getAgentId(), action.getEventId()))
        .setRuleId(rule.name())
        .setTitle(rule.title() + ": " + action.getAgentId())
        .setSeverity(severity(finding, overrides))
        .setAgentId(action.getAgentId())
        .setExplanation(finding.detail())
        .setScore(finding.score())
        .setSignals(signals)
        .setOwner(registration == null ? null : registration.getOwner())
        .setProvisionedBy(registration == null ? null : registration.getProvisionedBy())
        .setRole(registration == null ? null : registration.getRole())
        .setDelegation(action.getDelegation())
        .setHumanOrigin(humanOrigin(action.getDelegation()))
        .setTokenId(action.getCredential() == null ? null : action.getCredential().getTokenId())
        .setSessionId(action.getSessionId())
        .setEventIds(List.of(action.getEventId()))
        .setFirstSeen(action.getOccurredAt())
        .setLastSeen(action.getOccurredAt())
        .setCount(1)
        .setUpdate(false)
        .setConfigVersion(configVersion)
        .setTags(rule.tags())
        .setRecommendedResponse(rule.response())
        .build();
  }

  /** The delegation violation for a delegation finding. */
  public static DelegationViolation violation(Finding finding, AgentAction action) {
    if (!finding.rule().isDelegation()) {
      throw new IllegalArgumentException(finding.rule() + " is not a delegation rule");
    }
    String origin =
        action.getDelegation().isEmpty()
            ? action.getRequestRef()
            : action.getDelegation().get(0).getRequestRef();
    return DelegationViolation.newBuilder()
        .setViolationId(alertId(finding.rule(), action.getAgentId(), action.getEventId()))
        .setRuleId(finding.rule().name())
        .setAgentId(action.getAgentId())
        .setEventId(action.getEventId())
        .setOccurredAt(action.getOccurredAt())
        .setHopIndex(finding.hopIndex())
        .setDetail(finding.detail())
        .setHumanOrigin(humanOrigin(action.getDelegation()))
        .setRequestRef(origin != null ? origin : action.getRequestRef())
        .setDelegation(action.getDelegation())
        .build();
  }

  /** The human at the root of a chain, or null. */
  public static String humanOrigin(List<DelegationHop> chain) {
    if (chain.isEmpty() || chain.get(0).getPrincipalType() != PrincipalType.HUMAN) {
      return null;
    }
    return chain.get(0).getPrincipal();
  }

  private static SignalExplanation signal(SignalScore s) {
    return SignalExplanation.newBuilder()
        .setSignal(s.signal().label())
        .setSigma(s.sigma())
        .setRawValue(s.raw())
        .setText(s.explanation())
        .build();
  }
}
