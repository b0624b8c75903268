package dev.chaperone.streams.detect;

import dev.chaperone.schema.DetectorConfig;
import dev.chaperone.schema.DetectorMode;
import dev.chaperone.schema.Severity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The detector settings in force for one agent: the built-in defaults, overridden field by field by
 * the {@code global} record of the config topic, then {@code owner:<team>}, then {@code
 * agent:<id>}. Immutable.
 *
 * @param version which config records produced this one, e.g. {@code global@12,agent:a-1@40}
 */
public record EffectiveConfig(
    DetectorMode mode,
    double eventThresholdSigma,
    double sessionThresholdSigma,
    Double shadowThresholdSigma,
    int warmupDays,
    long warmupEvents,
    int windowDays,
    long suppressionWindowMs,
    int maxDelegationDepth,
    long maxCredentialTtlMs,
    List<String> wildcardScopes,
    long lateGraceMs,
    long futureToleranceMs,
    Map<String, Severity> severityOverrides,
    String version) {

  /** Scopes that count as wildcard or admin grants unless the config says otherwise. */
  public static final List<String> DEFAULT_WILDCARD_SCOPES =
      List.of("*", "*:*", "write:*", "read:*", "admin", "admin:*", "*:admin", "root", "all");

  public static final EffectiveConfig DEFAULTS =
      new EffectiveConfig(
          DetectorMode.ALERT,
          4.0,
          4.0,
          null,
          7,
          200,
          30,
          Duration.ofHours(1).toMillis(),
          5,
          Duration.ofHours(24).toMillis(),
          DEFAULT_WILDCARD_SCOPES,
          Duration.ofHours(1).toMillis(),
          Duration.ofMinutes(10).toMillis(),
          Map.of(),
          "defaults");

  /** Layers the given records (nulls skipped), widest first, over the defaults. */
  public static EffectiveConfig resolve(List<DetectorConfig> layers, String version) {
    EffectiveConfig c = DEFAULTS;
    for (DetectorConfig layer : layers) {
      if (layer != null) {
        c = c.with(layer);
      }
    }
    return new EffectiveConfig(
        c.mode,
        c.eventThresholdSigma,
        c.sessionThresholdSigma,
        c.shadowThresholdSigma,
        c.warmupDays,
        c.warmupEvents,
        c.windowDays,
        c.suppressionWindowMs,
        c.maxDelegationDepth,
        c.maxCredentialTtlMs,
        c.wildcardScopes,
        c.lateGraceMs,
        c.futureToleranceMs,
        c.severityOverrides,
        version);
  }

  private EffectiveConfig with(DetectorConfig d) {
    return new EffectiveConfig(
        d.getMode() != null ? d.getMode() : mode,
        d.getEventThresholdSigma() != null ? d.getEventThresholdSigma() : eventThresholdSigma,
        d.getSessionThresholdSigma() != null ? d.getSessionThresholdSigma() : sessionThresholdSigma,
        d.getShadowThresholdSigma() != null ? d.getShadowThresholdSigma() : shadowThresholdSigma,
        d.getWarmupDays() != null ? d.getWarmupDays() : warmupDays,
        d.getWarmupEvents() != null ? d.getWarmupEvents() : warmupEvents,
        d.getWindowDays() != null ? d.getWindowDays() : windowDays,
        d.getSuppressionWindowMs() != null ? d.getSuppressionWindowMs() : suppressionWindowMs,
        d.getMaxDelegationDepth() != null ? d.getMaxDelegationDepth() : maxDelegationDepth,
        d.getMaxCredentialTtlMs() != null ? d.getMaxCredentialTtlMs() : maxCredentialTtlMs,
        d.getWildcardScopes() != null ? List.copyOf(d.getWildcardScopes()) : wildcardScopes,
        d.getLateGraceMs() != null ? d.getLateGraceMs() : lateGraceMs,
        d.getFutureToleranceMs() != null ? d.getFutureToleranceMs() : futureToleranceMs,
        d.getSeverityOverrides() != null ? Map.copyOf(d.getSeverityOverrides()) : severityOverrides,
        version);
  }

  /**
   * What is wrong with a config record, one readable line per problem; empty when it is valid.
   * Unset fields are always valid (they inherit).
   */
  public static List<String> problems(DetectorConfig d) {
    List<String> problems = new ArrayList<>();
    positive(problems, "eventThresholdSigma", d.getEventThresholdSigma());
    positive(problems, "sessionThresholdSigma", d.getSessionThresholdSigma());
    positive(problems, "shadowThresholdSigma", d.getShadowThresholdSigma());
    if (d.getWarmupDays() != null && (d.getWarmupDays() < 0 || d.getWarmupDays() > 90)) {
      problems.add("warmupDays: must be in [0, 90], was " + d.getWarmupDays());
    }
    if (d.getWarmupEvents() != null && d.getWarmupEvents() < 0) {
      problems.add("warmupEvents: must be >= 0, was " + d.getWarmupEvents());
    }
    if (d.getWindowDays() != null && (d.getWindowDays() < 1 || d.getWindowDays() > 90)) {
      problems.add("windowDays: must be in [1, 90], was " + d.getWindowDays());
    }
    nonNegative(problems, "suppressionWindowMs", d.getSuppressionWindowMs());
    if (d.getMaxDelegationDepth() != null && d.getMaxDelegationDepth() < 1) {
      problems.add("maxDelegationDepth: must be >= 1, was " + d.getMaxDelegationDepth());
    }
    if (d.getMaxCredentialTtlMs() != null && d.getMaxCredentialTtlMs() <= 0) {
      problems.add("maxCredentialTtlMs: must be > 0, was " + d.getMaxCredentialTtlMs());
    }
    nonNegative(problems, "lateGraceMs", d.getLateGraceMs());
    nonNegative(problems, "futureToleranceMs", d.getFutureToleranceMs());
    if (d.getSeverityOverrides() != null) {
      for (String rule : d.getSeverityOverrides().keySet()) {
        if (!isRule(rule)) {
          problems.add("severityOverrides: unknown rule id \"" + rule + "\"");
        }
      }
    }
    return problems;
  }

  private static boolean isRule(String name) {
    for (dev.chaperone.alerting.Rule rule : dev.chaperone.alerting.Rule.values()) {
      if (rule.name().equals(name)) {
        return true;
      }
    }
    return false;
  }

  private static void positive(List<String> problems, String field, Double value) {
    if (value != null && !(value > 0 && value < 1000)) {
      problems.add(field + ": must be a number in (0, 1000), was " + value);
    }
  }

  private static void nonNegative(List<String> problems, String field, Long value) {
    if (value != null && value < 0) {
      problems.add(field + ": must be >= 0, was " + value);
    }
  }
}
