package dev.chaperone.streams;

import static dev.chaperone.streams.DetectionHarness.NOW;
import static dev.chaperone.streams.DetectionHarness.hop;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.alerting.Rule;
import dev.chaperone.schema.ActionType;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.AgentStatus;
import dev.chaperone.schema.Alert;
import dev.chaperone.schema.Approval;
import dev.chaperone.schema.Credential;
import dev.chaperone.schema.DelegationHop;
import dev.chaperone.schema.DelegationViolation;
import dev.chaperone.schema.PrincipalType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every stateless rule of the catalogue in the topology: a compliant action raises nothing; the
 * same action bent one way fires the rule; bent a near-miss way it does not.
 */
class DetectionRulesTest {

  private static final String AGENT = "forum-troubleshooter";
  private DetectionHarness harness;

  @BeforeEach
  void start() {
    harness = new DetectionHarness();
    harness.register(DetectionHarness.registration(AGENT));
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  private static Instant at(int minutes) {
    return NOW.plus(Duration.ofMinutes(minutes));
  }

  private static Credential.Builder credential(AgentAction.Builder a) {
    return Credential.newBuilder(a.getCredential());
  }

  private static List<DelegationHop> chain(
      AgentAction.Builder a, UnaryOperator<List<DelegationHop>> change) {
    return change.apply(new ArrayList<>(a.getDelegation()));
  }

  private static DelegationHop.Builder hopOf(AgentAction.Builder a, int i) {
    return DelegationHop.newBuilder(a.getDelegation().get(i));
  }

  @Test
  void shouldRaiseNothingForACompliantAction() {
    assertEquals(List.of(), harness.rulesFor(harness.action(AGENT, at(1)).build()));
  }

  static Stream<Arguments> rules() {
    return Stream.of(
        Arguments.of(
            Rule.UNDECLARED_TOOL,
            (UnaryOperator<AgentAction.Builder>)
                a ->
                    a.setTool("repo.read")
                        .setActionType(ActionType.RESOURCE_READ)
                        .setResource("forum://thread/8812"),
            (UnaryOperator<AgentAction.Builder>)
                a -> a.setTool("forum.search").setActionType(ActionType.RESOURCE_READ)),
        Arguments.of(
            Rule.RESOURCE_OUT_OF_SCOPE,
            (UnaryOperator<AgentAction.Builder>)
                a ->
                    a.setActionType(ActionType.RESOURCE_READ)
                        .setTool("forum.read")
                        .setResource("repo://acme/payments"),
            (UnaryOperator<AgentAction.Builder>)
                a ->
                    a.setActionType(ActionType.RESOURCE_READ)
                        .setTool("forum.read")
                        .setResource("forum://thread/77")),
        Arguments.of(
            Rule.SHARED_PRINCIPAL,
            (UnaryOperator<AgentAction.Builder>)
                a -> a.setCredential(credential(a).setSubject("svc-shared").build()),
            (UnaryOperator<AgentAction.Builder>)
                a -> a.setCredential(credential(a).setSubject(AGENT).build())),
        Arguments.of(
            Rule.CREDENTIAL_EXPIRED,
            (UnaryOperator<AgentAction.Builder>)
                a ->
                    a.setCredential(
                        credential(a).setExpiresAt(a.getOccurredAt().minusSeconds(1)).build()),
            (UnaryOperator<AgentAction.Builder>)
                a ->
                    a.setCredential(
                        credential(a).setExpiresAt(a.getOccurredAt().plusSeconds(1)).build())),
        Arguments.of(
            Rule.CREDENTIAL_TTL_OVER_POLICY,
            (UnaryOperator<AgentAction.Builder>)
                a ->
                    a.setCredential(
                        credential(a)
                            .setExpiresAt(a.getOccurredAt().plus(Duration.ofHours(2)))
                            .build()),
            (UnaryOperator<AgentAction.Builder>)
                a ->
                    a.setCredential(
                        credential(a)
                            .setExpiresAt(a.getOccurredAt().plus(Duration.ofMinutes(50)))
                            .build())),
        Arguments.of(
            Rule.CREDENTIAL_NO_EXPIRY,
            (UnaryOperator<AgentAction.Builder>)
                a -> a.setCredential(credential(a).setExpiresAt(null).build()),
            (UnaryOperator<AgentAction.Builder>)
                a ->
                    a.setCredential(
                        credential(a)
                            .setExpiresAt(a.getOccurredAt().plus(Duration.ofMinutes(40)))
                            .build())),
        Arguments.of(
            Rule.CREDENTIAL_WILDCARD_SCOPE,
            (UnaryOperator<AgentAction.Builder>)
                a -> a.setCredential(credential(a).setScopes(List.of("write:*")).build()),
            (UnaryOperator<AgentAction.Builder>)
                a ->
                    a.setCredential(
                        credential(a).setScopes(List.of("forum:write", "kb:read")).build())),
        Arguments.of(
            Rule.CREDENTIAL_NOT_SESSION_BOUND,
            (UnaryOperator<AgentAction.Builder>)
                a -> a.setCredential(credential(a).setSessionId(null).setTaskId(null).build()),
            (UnaryOperator<AgentAction.Builder>)
                a -> a.setCredential(credential(a).setSessionId(null).setTaskId("task-9").build())),
        Arguments.of(
            Rule.CREDENTIAL_SESSION_MISMATCH,
            (UnaryOperator<AgentAction.Builder>)
                a -> a.setCredential(credential(a).setSessionId("s-other").build()),
            (UnaryOperator<AgentAction.Builder>)
                a -> a.setCredential(credential(a).setSessionId(a.getSessionId()).build())),
        Arguments.of(
            Rule.APPROVAL_MISSING,
            (UnaryOperator<AgentAction.Builder>)
                a -> a.setActionType(ActionType.PERMISSION_CHANGE).setTool("forum.moderate"),
            (UnaryOperator<AgentAction.Builder>)
                a ->
                    a.setActionType(ActionType.PERMISSION_CHANGE)
                        .setTool("forum.moderate")
                        .setApproval(
                            Approval.newBuilder()
                                .setApprovedBy("eng.alice")
                                .setApprovedAt(a.getOccurredAt())
                                .build())),
        Arguments.of(
            Rule.DELEGATION_MISSING,
            (UnaryOperator<AgentAction.Builder>) a -> a.setDelegation(List.of()),
            (UnaryOperator<AgentAction.Builder>) a -> a.setDelegation(chain(a, c -> c))),
        Arguments.of(
            Rule.NO_HUMAN_ORIGIN,
            (UnaryOperator<AgentAction.Builder>)
                a ->
                    a.setDelegation(
                        chain(
                            a,
                            c -> {
                              c.set(0, hopOf(a, 0).setPrincipalType(PrincipalType.SERVICE).build());
                              return c;
                            })),
            (UnaryOperator<AgentAction.Builder>) a -> a.setDelegation(chain(a, c -> c))),
        Arguments.of(
            Rule.BROKEN_LINK,
            (UnaryOperator<AgentAction.Builder>)
                a ->
                    a.setDelegation(
                        chain(
                            a,
                            c -> {
                              c.set(1, hopOf(a, 1).setDelegatedBy("mallory").build());
                              return c;
                            })),
            (UnaryOperator<AgentAction.Builder>)
                a ->
                    a.setDelegation(
                        chain(
                            a,
                            c -> {
                              c.set(1, hopOf(a, 1).setDelegatedBy("eng.alice").build());
                              return c;
                            }))),
        Arguments.of(
            Rule.ACTOR_MISMATCH,
            (UnaryOperator<AgentAction.Builder>)
                a ->
                    a.setDelegation(
                        chain(
                            a,
                            c -> {
                              c.set(1, hopOf(a, 1).setPrincipal("other-agent").build());
                              return c;
                            })),
            (UnaryOperator<AgentAction.Builder>) a -> a.setDelegation(chain(a, c -> c))),
        Arguments.of(
            Rule.SCOPE_ESCALATION,
            (UnaryOperator<AgentAction.Builder>)
                a ->
                    a.setDelegation(
                        chain(
                            a,
                            c -> {
                              c.set(
                                  1,
                                  hopOf(a, 1)
                                      .setScopes(List.of("forum:write", "repo:admin"))
                                      .build());
                              return c;
                            })),
            (UnaryOperator<AgentAction.Builder>)
                a ->
                    a.setDelegation(
                        chain(
                            a,
                            c -> {
                              c.set(0, hopOf(a, 0).setScopes(List.of("forum:*")).build());
                              return c;
                            }))),
        Arguments.of(
            Rule.GRANT_EXPIRED,
            (UnaryOperator<AgentAction.Builder>)
                a ->
                    a.setDelegation(
                        chain(
                            a,
                            c -> {
                              c.set(
                                  1,
                                  hopOf(a, 1)
                                      .setExpiresAt(a.getOccurredAt().minusSeconds(30))
                                      .build());
                              return c;
                            })),
            (UnaryOperator<AgentAction.Builder>)
                a ->
                    a.setDelegation(
                        chain(
                            a,
                            c -> {
                              c.set(
                                  1,
                                  hopOf(a, 1)
                                      .setExpiresAt(a.getOccurredAt().plusSeconds(30))
                                      .build());
                              return c;
                            }))),
        Arguments.of(
            Rule.CHAIN_TOO_DEEP,
            (UnaryOperator<AgentAction.Builder>) a -> a.setDelegation(deepChain(a, 6)),
            (UnaryOperator<AgentAction.Builder>) a -> a.setDelegation(deepChain(a, 5))),
        Arguments.of(
            Rule.DELEGATION_CYCLE,
            (UnaryOperator<AgentAction.Builder>)
                a ->
                    a.setDelegation(
                        List.of(
                            a.getDelegation().get(0),
                            hop(
                                "planner",
                                PrincipalType.AGENT,
                                "eng.alice",
                                List.of("forum:write"),
                                a.getOccurredAt().minusSeconds(50),
                                null),
                            hop(
                                "eng.alice",
                                PrincipalType.HUMAN,
                                "planner",
                                List.of("forum:write"),
                                a.getOccurredAt().minusSeconds(40),
                                null),
                            hop(
                                AGENT,
                                PrincipalType.AGENT,
                                "eng.alice",
                                List.of("forum:write"),
                                a.getOccurredAt().minusSeconds(30),
                                null))),
            (UnaryOperator<AgentAction.Builder>) a -> a.setDelegation(deepChain(a, 3))),
        Arguments.of(
            Rule.REQUEST_DRIFT,
            (UnaryOperator<AgentAction.Builder>) a -> a.setResource("forum://thread/9920"),
            (UnaryOperator<AgentAction.Builder>)
                a -> a.setResource("forum://thread/8812#reply-3")));
  }

  /** A consistent chain of {@code hops} hops: a human, planners, then the agent. */
  private static List<DelegationHop> deepChain(AgentAction.Builder a, int hops) {
    List<DelegationHop> chain = new ArrayList<>();
    chain.add(a.getDelegation().get(0));
    String previous = "eng.alice";
    for (int i = 1; i < hops - 1; i++) {
      String planner = "planner-" + i;
      chain.add(
          hop(
              planner,
              PrincipalType.AGENT,
              previous,
              List.of("forum:write"),
              a.getOccurredAt().minusSeconds(60 - i),
              null));
      previous = planner;
    }
    chain.add(
        hop(
            AGENT,
            PrincipalType.AGENT,
            previous,
            List.of("forum:write"),
            a.getOccurredAt().minusSeconds(10),
            null));
    return chain;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rules")
  void shouldFireTheRuleAndNotOnItsNearMiss(
      Rule rule,
      UnaryOperator<AgentAction.Builder> fire,
      UnaryOperator<AgentAction.Builder> nearMiss) {
    List<String> fired = harness.rulesFor(fire.apply(harness.action(AGENT, at(1))).build());
    List<String> missed = harness.rulesFor(nearMiss.apply(harness.action(AGENT, at(2))).build());

    assertTrue(fired.contains(rule.name()), rule + " should fire: " + fired);
    assertFalse(
        missed.contains(rule.name()), rule + " should not fire on the near miss: " + missed);
  }

  @Test
  void shouldAlertOnAnUnregisteredAgentOncePerSuppressionWindowAndUpdateTheRepeats() {
    harness.send(harness.action("shadow-agent", at(1)).build());
    List<Alert> first = harness.alerts();
    harness.send(harness.action("shadow-agent", at(20)).build());
    List<Alert> again = harness.alerts();
    harness.send(harness.action("shadow-agent", at(30)).build());
    List<Alert> third = harness.alerts();
    harness.send(harness.action("shadow-agent", at(75)).build());
    List<Alert> later = harness.alerts();

    // the first action alerts at once
    assertEquals(1, first.size());
    Alert alert = first.get(0);
    assertEquals(Rule.UNREGISTERED_AGENT.name(), alert.getRuleId());
    assertFalse(alert.getUpdate());
    // the second within the hour is an update of the same alert (count 2), the third is only
    // counted (updates go out at counts 2, 4, 8, …)
    assertEquals(1, again.size());
    assertEquals(alert.getAlertId(), again.get(0).getAlertId());
    assertTrue(again.get(0).getUpdate());
    assertEquals(2, again.get(0).getCount());
    assertEquals(List.of(), third);
    // after the hour: the window closed with its final count, and a new alert starts
    Alert closing =
        later.stream()
            .filter(a -> a.getAlertId().equals(alert.getAlertId()))
            .findFirst()
            .orElseThrow();
    assertEquals(3, closing.getCount());
    Alert fresh =
        later.stream()
            .filter(a -> !a.getAlertId().equals(alert.getAlertId()))
            .findFirst()
            .orElseThrow();
    assertFalse(fresh.getUpdate());
    assertEquals(Rule.UNREGISTERED_AGENT.name(), fresh.getRuleId());
  }

  @Test
  void shouldAlertOnASuspendedAgent() {
    AgentRegistration suspended =
        AgentRegistration.newBuilder(DetectionHarness.registration(AGENT))
            .setStatus(AgentStatus.SUSPENDED)
            .build();
    harness.register(suspended);

    assertTrue(
        harness
            .rulesFor(harness.action(AGENT, at(1)).build())
            .contains(Rule.AGENT_NOT_ACTIVE.name()));

    harness.register(DetectionHarness.registration(AGENT));
    assertFalse(
        harness
            .rulesFor(harness.action(AGENT, at(2)).build())
            .contains(Rule.AGENT_NOT_ACTIVE.name()));
  }

  @Test
  void shouldFallBackToTheConfigTtlWhenTheRegistryHasNone() {
    harness.register(
        AgentRegistration.newBuilder(DetectionHarness.registration(AGENT))
            .setMaxCredentialTtlMs(null)
            .build());
    AgentAction.Builder sixHours = harness.action(AGENT, at(1));
    sixHours.setCredential(
        credential(sixHours).setExpiresAt(at(1).plus(Duration.ofHours(6))).build());
    AgentAction.Builder twoDays = harness.action(AGENT, at(2));
    twoDays.setCredential(credential(twoDays).setExpiresAt(at(2).plus(Duration.ofDays(2))).build());

    assertFalse(
        harness.rulesFor(sixHours.build()).contains(Rule.CREDENTIAL_TTL_OVER_POLICY.name()));
    assertTrue(harness.rulesFor(twoDays.build()).contains(Rule.CREDENTIAL_TTL_OVER_POLICY.name()));
  }

  @Test
  void shouldFlagOneTokenUsedByTwoAgents() {
    harness.register(DetectionHarness.registration("agent-b"));
    AgentAction first = harness.action(AGENT, at(1)).build();
    AgentAction.Builder thief = harness.action("agent-b", at(3));
    thief.setCredential(
        Credential.newBuilder(first.getCredential())
            .setSubject("agent-b")
            .setSessionId(thief.getSessionId())
            .build());

    List<String> own = harness.rulesFor(first);
    List<String> again = harness.rulesFor(harness.action(AGENT, at(2)).build());
    List<String> stolen = harness.rulesFor(thief.build());

    assertFalse(own.contains(Rule.CREDENTIAL_SHARED.name()));
    assertFalse(
        again.contains(Rule.CREDENTIAL_SHARED.name()), "the same agent twice is not sharing");
    assertTrue(stolen.contains(Rule.CREDENTIAL_SHARED.name()), stolen.toString());
  }

  @Test
  void shouldFlagOnePrincipalActingForSeveralAgents() {
    harness.register(DetectionHarness.registration("agent-b"));
    AgentAction.Builder a = harness.action(AGENT, at(1));
    a.setCredential(credential(a).setSubject("svc-bots").setTokenId("tok-1").build());
    AgentAction.Builder b = harness.action("agent-b", at(2));
    b.setCredential(credential(b).setSubject("svc-bots").setTokenId("tok-2").build());

    harness.rulesFor(a.build());
    List<Alert> alerts = new ArrayList<>();
    harness.send(b.build());
    alerts.addAll(harness.alerts());

    assertTrue(
        alerts.stream()
            .anyMatch(
                x ->
                    x.getRuleId().equals(Rule.SHARED_PRINCIPAL.name())
                        && x.getExplanation().contains("acts for 2 agents")),
        alerts.stream().map(Alert::getExplanation).toList().toString());
  }

  @Test
  void shouldSendDelegationFindingsToTheViolationsTopicToo() {
    AgentAction.Builder a = harness.action(AGENT, at(1));
    a.setDelegation(
        chain(
            a,
            c -> {
              c.set(1, hopOf(a, 1).setDelegatedBy("mallory").build());
              return c;
            }));
    harness.send(a.build());

    List<DelegationViolation> violations = harness.violations();
    assertEquals(1, violations.size());
    DelegationViolation v = violations.get(0);
    assertEquals(Rule.BROKEN_LINK.name(), v.getRuleId());
    assertEquals(1, v.getHopIndex());
    assertEquals("eng.alice", v.getHumanOrigin());
    assertEquals("forum://thread/8812", v.getRequestRef());
  }

  @Test
  void shouldDropADuplicateEventId() {
    AgentAction odd = harness.action(AGENT, at(1)).setResource("forum://thread/9920").build();

    List<String> first = harness.rulesFor(odd);
    List<String> duplicate = harness.rulesFor(odd);

    assertEquals(List.of(Rule.REQUEST_DRIFT.name()), first);
    assertEquals(List.of(), duplicate);
    assertEquals(
        1.0, harness.metrics.count(dev.chaperone.streams.metrics.ChaperoneMetrics.DUPLICATES));
  }

  @Test
  void shouldFillEveryFieldOfAnAlert() {
    AgentAction action = harness.action(AGENT, at(1)).setResource("forum://thread/9920").build();
    harness.send(action);
    Alert alert = harness.alerts().get(0);

    assertEquals(
        dev.chaperone.alerting.AlertFactory.alertId(Rule.REQUEST_DRIFT, AGENT, action.getEventId()),
        alert.getAlertId());
    assertEquals(Rule.REQUEST_DRIFT.name(), alert.getRuleId());
    assertEquals(Rule.REQUEST_DRIFT.title() + ": " + AGENT, alert.getTitle());
    assertEquals(dev.chaperone.schema.Severity.HIGH, alert.getSeverity());
    assertEquals(AGENT, alert.getAgentId());
    assertTrue(
        alert.getExplanation().contains("forum://thread/8812")
            && alert.getExplanation().contains("forum://thread/9920"));
    assertEquals(null, alert.getScore());
    assertEquals("team-devex", alert.getOwner());
    assertEquals("platform.bob", alert.getProvisionedBy());
    assertEquals("forum-support", alert.getRole());
    assertEquals(action.getDelegation(), alert.getDelegation());
    assertEquals("eng.alice", alert.getHumanOrigin());
    assertEquals("tok-" + AGENT, alert.getTokenId());
    assertEquals(action.getSessionId(), alert.getSessionId());
    assertEquals(List.of(action.getEventId()), alert.getEventIds());
    assertEquals(action.getOccurredAt(), alert.getFirstSeen());
    assertEquals(action.getOccurredAt(), alert.getLastSeen());
    assertEquals(1, alert.getCount());
    assertFalse(alert.getUpdate());
    assertEquals("defaults", alert.getConfigVersion());
    assertTrue(
        alert.getTags().contains("OWASP-LLM06")
            && alert.getTags().stream().anyMatch(t -> t.startsWith("MITRE-ATLAS:")));
    assertEquals(Rule.REQUEST_DRIFT.response(), alert.getRecommendedResponse());
    assertEquals(null, alert.getVerdict());
  }
}
