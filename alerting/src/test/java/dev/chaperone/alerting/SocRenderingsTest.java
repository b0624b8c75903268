package dev.chaperone.alerting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.baseline.Signal;
import dev.chaperone.baseline.SignalScore;
import dev.chaperone.schema.ActionType;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.AgentStatus;
import dev.chaperone.schema.Alert;
import dev.chaperone.schema.Credential;
import dev.chaperone.schema.DelegationHop;
import dev.chaperone.schema.PrincipalType;
import dev.chaperone.schema.Severity;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SocRenderingsTest {

  private static final Instant AT = Instant.parse("2026-11-02T09:15:00Z");

  static {
    // Builders fill defaults through Avro's SpecificData, which loads the generated classes by
    // name.
    dev.chaperone.schema.ChaperoneSchemas.trustGeneratedClasses();
  }

  static AgentAction action() {
    return AgentAction.newBuilder()
        .setEventId("evt-42")
        .setOccurredAt(AT)
        .setAgentId("forum-troubleshooter")
        .setSessionId("s-1")
        .setActionType(ActionType.MESSAGE_PUBLISH)
        .setTool("forum.reply")
        .setResource("forum://thread/9920")
        .setCredential(
            Credential.newBuilder().setTokenId("tok-7781").setScopes(List.of("write:*")).build())
        .setDelegation(
            List.of(
                DelegationHop.newBuilder()
                    .setPrincipal("eng.alice")
                    .setPrincipalType(PrincipalType.HUMAN)
                    .setIssuedAt(AT)
                    .build(),
                DelegationHop.newBuilder()
                    .setPrincipal("forum-troubleshooter")
                    .setPrincipalType(PrincipalType.AGENT)
                    .setDelegatedBy("eng.alice")
                    .setIssuedAt(AT)
                    .build()))
        .build();
  }

  static AgentRegistration registration() {
    return AgentRegistration.newBuilder()
        .setAgentId("forum-troubleshooter")
        .setDisplayName("Forum")
        .setOwner("team-devex")
        .setProvisionedBy("platform.bob")
        .setRole("forum-support")
        .setRegisteredAt(AT)
        .setStatus(AgentStatus.ACTIVE)
        .build();
  }

  static Alert behavioural() {
    Finding finding =
        new Finding(
            Rule.BEHAVIOURAL_DEVIATION,
            "this action deviates by 6.7σ",
            null,
            6.7,
            List.of(
                new SignalScore(
                    Signal.CONTENT_CLASS,
                    9.1,
                    7.0,
                    true,
                    "content class PERMISSION_CHANGE_INSTRUCTION on channel forum: never seen in 30 days")));
    return AlertFactory.alert(finding, action(), registration(), Map.of(), "global@1a2b3c4d");
  }

  @Test
  void shouldRenderAnOcsfDetectionFindingWithItsRequiredAttributes() {
    Map<String, Object> ocsf = SocRenderings.ocsf(behavioural());

    assertEquals(2004, ocsf.get("class_uid"));
    assertEquals(2, ocsf.get("category_uid"));
    assertEquals(1, ocsf.get("activity_id"));
    assertEquals(200401, ocsf.get("type_uid"));
    assertEquals(3, ocsf.get("severity_id"));
    assertEquals(1, ocsf.get("status_id"));
    assertEquals(AT.toEpochMilli(), ocsf.get("time"));
    assertEquals(SocRenderings.OCSF_VERSION, nested(ocsf, "metadata", "version"));
    assertEquals("Chaperone", nested(ocsf, "metadata", "product", "name"));
    assertEquals(behavioural().getAlertId(), nested(ocsf, "finding_info", "uid"));
    assertEquals(List.of("BEHAVIOURAL_DEVIATION"), nested(ocsf, "finding_info", "types"));
    assertEquals("forum-troubleshooter", nested(ocsf, "actor", "user", "uid"));
    assertEquals("eng.alice", nested(ocsf, "actor", "invoked_by"));
    assertTrue(!((List<?>) ocsf.get("evidences")).isEmpty());
    assertNotNull(ocsf.get("anomaly_analyses"));
  }

  @Test
  void shouldRenderAnEcsDocumentWithKibanaAlertFields() {
    Map<String, Object> ecs = SocRenderings.ecs(behavioural());

    assertEquals(AT.toString(), ecs.get("@timestamp"));
    assertEquals("alert", nested(ecs, "event", "kind"));
    assertEquals(behavioural().getAlertId(), nested(ecs, "event", "id"));
    assertEquals("BEHAVIOURAL_DEVIATION", nested(ecs, "rule", "id"));
    assertEquals(behavioural().getAlertId(), nested(ecs, "kibana", "alert", "uuid"));
    assertEquals("medium", nested(ecs, "kibana", "alert", "severity"));
    assertEquals("open", nested(ecs, "kibana", "alert", "workflow_status"));
    assertEquals("forum-troubleshooter", nested(ecs, "user", "id"));
  }

  @Test
  void shouldCarryTheSameFactsInBothRenderings() {
    Alert alert =
        AlertFactory.alert(
            Finding.of(Rule.CREDENTIAL_WILDCARD_SCOPE, "credential tok-7781 carries write:*"),
            action(),
            registration(),
            Map.of("CREDENTIAL_WILDCARD_SCOPE", Severity.CRITICAL),
            "global@1a2b3c4d");
    Map<String, Object> ocsf = SocRenderings.ocsf(alert);
    Map<String, Object> ecs = SocRenderings.ecs(alert);

    assertEquals(nested(ocsf, "finding_info", "uid"), nested(ecs, "kibana", "alert", "uuid"));
    assertEquals(nested(ocsf, "finding_info", "analytic", "uid"), nested(ecs, "rule", "id"));
    assertEquals(ocsf.get("risk_score"), nested(ecs, "event", "risk_score"));
    assertEquals(5, ocsf.get("severity_id"));
    assertEquals("critical", nested(ecs, "kibana", "alert", "severity"));
    assertEquals(nested(ocsf, "actor", "user", "uid"), nested(ecs, "user", "id"));
    assertEquals(
        nested(ocsf, "unmapped", "chaperone", "token_id"), nested(ecs, "labels", "token_id"));
    assertEquals(
        nested(ocsf, "unmapped", "chaperone", "human_origin"),
        nested(ecs, "user", "effective", "id"));
    assertEquals(
        nested(ocsf, "unmapped", "chaperone", "owner"), nested(ecs, "organization", "name"));
    assertEquals(
        Instant.ofEpochMilli((Long) nested(ocsf, "finding_info", "first_seen_time")).toString(),
        nested(ecs, "event", "start"));
    assertEquals(ocsf.get("count"), nested(ecs, "chaperone", "count"));
    assertEquals(
        nested(ocsf, "unmapped", "chaperone", "config_version"),
        nested(ecs, "labels", "config_version"));
  }

  @Test
  void shouldGiveTheSameIdToTheSameRuleAgentAndEvent() {
    assertEquals(
        AlertFactory.alertId(Rule.REQUEST_DRIFT, "a", "e-1"),
        AlertFactory.alertId(Rule.REQUEST_DRIFT, "a", "e-1"));
    assertTrue(
        !AlertFactory.alertId(Rule.REQUEST_DRIFT, "a", "e-1")
            .equals(AlertFactory.alertId(Rule.REQUEST_DRIFT, "a", "e-2")));
    assertTrue(
        !AlertFactory.alertId(Rule.REQUEST_DRIFT, "a", "e-1")
            .equals(AlertFactory.alertId(Rule.BROKEN_LINK, "a", "e-1")));
  }

  @Test
  void shouldRaiseTheSeverityOfVeryLargeDeviations() {
    Finding large = new Finding(Rule.BEHAVIOURAL_DEVIATION, "x", null, 9.0, List.of());
    Finding small = new Finding(Rule.BEHAVIOURAL_DEVIATION, "x", null, 4.5, List.of());

    assertEquals(Severity.HIGH, AlertFactory.severity(large, Map.of()));
    assertEquals(Severity.MEDIUM, AlertFactory.severity(small, Map.of()));
    assertEquals(
        Severity.LOW, AlertFactory.severity(large, Map.of("BEHAVIOURAL_DEVIATION", Severity.LOW)));
  }

  @SuppressWarnings("unchecked")
  private static Object nested(Map<String, Object> map, String... path) {
    Object current = map;
    for (String key : path) {
      current = ((Map<String, Object>) current).get(key);
    }
    return current;
  }
}
