package dev.chaperone.alerting;

import dev.chaperone.schema.Alert;
import dev.chaperone.schema.DelegationHop;
import dev.chaperone.schema.Severity;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The two SOC renderings of an {@link Alert}, as plain JSON-ready trees (maps, lists, strings,
 * numbers) so that this module needs no JSON library: an OCSF 1.3 Detection Finding (class 2004)
 * and an Elastic Common Schema document with Kibana alert fields. Both carry the same facts: id,
 * rule, severity, agent, owner, times, count, token, human origin, chain, score and signals.
 * Thread-safe (stateless).
 */
public final class SocRenderings {

  public static final String OCSF_VERSION = "1.3.0";
  public static final String PRODUCT = "Chaperone";
  public static final String VENDOR = "Chaperone";

  private SocRenderings() {}

  /** OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical. */
  public static int ocsfSeverityId(Severity severity) {
    return switch (severity) {
      case INFO -> 1;
      case LOW -> 2;
      case MEDIUM -> 3;
      case HIGH -> 4;
      case CRITICAL -> 5;
    };
  }

  /** ECS event.severity and Kibana risk score on a 0-100 scale. */
  public static int riskScore(Severity severity) {
    return switch (severity) {
      case INFO -> 10;
      case LOW -> 21;
      case MEDIUM -> 47;
      case HIGH -> 73;
      case CRITICAL -> 99;
    };
  }

  /** The alert as an OCSF Detection Finding. */
  public static Map<String, Object> ocsf(Alert alert) {
    int activityId = alert.getUpdate() ? 2 : 1;
    Map<String, Object> finding = new LinkedHashMap<>();
    finding.put("activity_id", activityId);
    finding.put("activity_name", activityId == 1 ? "Create" : "Update");
    finding.put("category_uid", 2);
    finding.put("category_name", "Findings");
    finding.put("class_uid", 2004);
    finding.put("class_name", "Detection Finding");
    finding.put("type_uid", 2004 * 100 + activityId);
    finding.put("type_name", "Detection Finding: " + (activityId == 1 ? "Create" : "Update"));
    finding.put("severity_id", ocsfSeverityId(alert.getSeverity()));
    finding.put(
        "severity",
        capitalised(
            alert.getSeverity() == Severity.INFO ? "informational" : alert.getSeverity().name()));
    finding.put("status_id", alert.getVerdict() == null ? 1 : 4);
    finding.put("status", alert.getVerdict() == null ? "New" : "Resolved");
    finding.put("time", alert.getLastSeen().toEpochMilli());
    finding.put("count", alert.getCount());
    finding.put("message", alert.getTitle());
    finding.put("risk_score", riskScore(alert.getSeverity()));
    finding.put(
        "metadata",
        map(
            "version", OCSF_VERSION,
            "uid", alert.getAlertId(),
            "product", map("name", PRODUCT, "vendor_name", VENDOR),
            "labels", alert.getTags()));

    Map<String, Object> info =
        map(
            "uid", alert.getAlertId(),
            "title", alert.getTitle(),
            "desc", alert.getExplanation(),
            "types", List.of(alert.getRuleId()),
            "first_seen_time", alert.getFirstSeen().toEpochMilli(),
            "last_seen_time", alert.getLastSeen().toEpochMilli(),
            "analytic",
                map(
                    "uid",
                    alert.getRuleId(),
                    "name",
                    alert.getRuleId(),
                    "type_id",
                    alert.getScore() == null ? 1 : 3,
                    "type",
                    alert.getScore() == null ? "Rule" : "Statistical"),
            "attacks", attacks(alert.getTags()));
    if (alert.getRecommendedResponse() != null) {
      info.put("remediation", map("desc", alert.getRecommendedResponse()));
    }
    finding.put("finding_info", info);

    Map<String, Object> actor =
        map(
            "app_name", alert.getAgentId(),
            "user",
                map(
                    "uid",
                    alert.getAgentId(),
                    "type",
                    "Other",
                    "type_id",
                    99,
                    "org",
                    map("name", alert.getOwner())));
    if (alert.getSessionId() != null) {
      actor.put("session", map("uid", alert.getSessionId()));
    }
    if (alert.getHumanOrigin() != null) {
      actor.put("invoked_by", alert.getHumanOrigin());
    }
    finding.put("actor", actor);

    List<Object> evidences = new ArrayList<>();
    evidences.add(
        map(
            "actor",
            actor,
            "data",
            map(
                "event_ids",
                alert.getEventIds(),
                "token_id",
                alert.getTokenId(),
                "delegation",
                lineage(alert.getDelegation()))));
    finding.put("evidences", evidences);

    if (alert.getScore() != null) {
      finding.put(
          "anomaly_analyses",
          List.of(
              map(
                  "analysis_targets", List.of(map("name", alert.getAgentId(), "type", "Agent")),
                  "anomalies",
                      alert.getSignals().stream()
                          .map(
                              s ->
                                  (Object)
                                      map(
                                          "observation_parameter", s.getSignal(),
                                          "observation_type", "Deviation",
                                          "observed_pattern", s.getText(),
                                          "deviation_sigma", round(s.getSigma())))
                          .toList(),
                  "baselines",
                      alert.getSignals().stream()
                          .map(
                              s ->
                                  (Object)
                                      map(
                                          "observation_parameter",
                                          s.getSignal(),
                                          "observation_type",
                                          "Baseline",
                                          "observed_pattern",
                                          s.getText()))
                          .toList(),
                  "score_sigma", round(alert.getScore()))));
    }
    finding.put(
        "unmapped",
        map(
            "chaperone",
            map(
                "rule_id", alert.getRuleId(),
                "owner", alert.getOwner(),
                "provisioned_by", alert.getProvisionedBy(),
                "role", alert.getRole(),
                "human_origin", alert.getHumanOrigin(),
                "token_id", alert.getTokenId(),
                "config_version", alert.getConfigVersion(),
                "verdict", alert.getVerdict())));
    return finding;
  }

  /** The alert as an Elastic Common Schema document with Kibana alert fields. */
  public static Map<String, Object> ecs(Alert alert) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("@timestamp", alert.getLastSeen().toString());
    doc.put("message", alert.getTitle() + ": " + alert.getExplanation());
    doc.put("tags", alert.getTags());
    doc.put("ecs", map("version", "8.11.0"));
    doc.put(
        "event",
        map(
            "kind", "alert",
            "category", List.of("iam", "intrusion_detection"),
            "type", List.of(alert.getUpdate() ? "change" : "info"),
            "id", alert.getAlertId(),
            "code", alert.getRuleId(),
            "severity", riskScore(alert.getSeverity()),
            "risk_score", riskScore(alert.getSeverity()),
            "start", alert.getFirstSeen().toString(),
            "end", alert.getLastSeen().toString(),
            "reason", alert.getExplanation(),
            "provider", PRODUCT.toLowerCase(Locale.ROOT)));
    doc.put(
        "rule",
        map(
            "id",
            alert.getRuleId(),
            "name",
            alert.getTitle(),
            "description",
            alert.getRecommendedResponse(),
            "ruleset",
            PRODUCT.toLowerCase(Locale.ROOT)));
    Map<String, Object> user =
        map(
            "id",
            alert.getAgentId(),
            "name",
            alert.getAgentId(),
            "roles",
            alert.getRole() == null ? List.of() : List.of(alert.getRole()));
    if (alert.getHumanOrigin() != null) {
      user.put("effective", map("id", alert.getHumanOrigin()));
    }
    doc.put("user", user);
    doc.put("organization", map("name", alert.getOwner()));
    doc.put(
        "observer", map("product", PRODUCT, "vendor", VENDOR, "type", "behavioural-governance"));
    List<Object> techniques = attacks(alert.getTags());
    if (!techniques.isEmpty()) {
      doc.put("threat", map("framework", "MITRE ATLAS", "technique", techniques));
    }
    doc.put(
        "labels",
        map(
            "agent_id",
            alert.getAgentId(),
            "session_id",
            alert.getSessionId(),
            "token_id",
            alert.getTokenId(),
            "config_version",
            alert.getConfigVersion()));
    doc.put(
        "kibana",
        map(
            "alert",
            map(
                "uuid", alert.getAlertId(),
                "status", alert.getVerdict() == null ? "active" : "recovered",
                "workflow_status", alert.getVerdict() == null ? "open" : "closed",
                "severity",
                    alert.getSeverity() == Severity.INFO
                        ? "low"
                        : alert.getSeverity().name().toLowerCase(Locale.ROOT),
                "risk_score", riskScore(alert.getSeverity()),
                "reason", alert.getExplanation(),
                "original_time", alert.getFirstSeen().toString(),
                "rule",
                    map(
                        "name",
                        alert.getTitle(),
                        "rule_id",
                        alert.getRuleId(),
                        "category",
                        "Chaperone behavioural governance"))));
    Map<String, Object> chaperone =
        map(
            "count", alert.getCount(),
            "event_ids", alert.getEventIds(),
            "provisioned_by", alert.getProvisionedBy(),
            "delegation", lineage(alert.getDelegation()),
            "verdict", alert.getVerdict());
    if (alert.getScore() != null) {
      chaperone.put("score_sigma", round(alert.getScore()));
      chaperone.put(
          "signals",
          alert.getSignals().stream()
              .map(
                  s ->
                      (Object)
                          map(
                              "signal",
                              s.getSignal(),
                              "sigma",
                              round(s.getSigma()),
                              "text",
                              s.getText()))
              .toList());
    }
    doc.put("chaperone", chaperone);
    return doc;
  }

  private static List<Object> lineage(List<DelegationHop> chain) {
    List<Object> hops = new ArrayList<>();
    for (DelegationHop hop : chain) {
      hops.add(
          map(
              "principal",
              hop.getPrincipal(),
              "type",
              hop.getPrincipalType().name(),
              "delegated_by",
              hop.getDelegatedBy(),
              "scopes",
              hop.getScopes(),
              "request_ref",
              hop.getRequestRef()));
    }
    return hops;
  }

  /** MITRE ATLAS techniques named in the tags ({@code MITRE-ATLAS:AML.T0051}). */
  private static List<Object> attacks(List<String> tags) {
    List<Object> out = new ArrayList<>();
    for (String tag : tags) {
      if (tag.startsWith("MITRE-ATLAS:")) {
        out.add(map("uid", tag.substring("MITRE-ATLAS:".length()), "framework", "MITRE ATLAS"));
      }
    }
    return out;
  }

  private static double round(double value) {
    return Math.round(value * 100) / 100.0;
  }

  private static String capitalised(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return Character.toUpperCase(lower.charAt(0)) + lower.substring(1);
  }

  /** An insertion-ordered map of key/value pairs, null values left out. */
  static Map<String, Object> map(Object... keyValues) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      if (keyValues[i + 1] != null) {
        out.put((String) keyValues[i], keyValues[i + 1]);
      }
    }
    return out;
  }
}
