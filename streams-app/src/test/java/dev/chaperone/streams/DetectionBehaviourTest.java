package dev.chaperone.streams;

import static dev.chaperone.streams.DetectionHarness.NOW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.alerting.Rule;
import dev.chaperone.schema.ActionType;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.Alert;
import dev.chaperone.schema.Approval;
import dev.chaperone.schema.Credential;
import dev.chaperone.schema.DetectorConfig;
import dev.chaperone.schema.DetectorMode;
import dev.chaperone.schema.Output;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Behaviour, live config and event time in the topology, and the reference incident end to end: a
 * forum agent with 30 days of "read the thread, look it up, reply there" history posts
 * permission-widening advice. Seeded (2026).
 */
class DetectionBehaviourTest {

  private static final String AGENT = "forum-troubleshooter";
  private static final Instant START =
      NOW.minus(Duration.ofDays(31)).truncatedTo(java.time.temporal.ChronoUnit.DAYS);
  private DetectionHarness harness;

  @BeforeEach
  void start() {
    harness = new DetectionHarness();
    // Replies need a human's approval in this fleet: every normal reply carries one.
    harness.register(
        AgentRegistration.newBuilder(DetectionHarness.registration(AGENT))
            .setApprovalRequiredFor(
                List.of(ActionType.PERMISSION_CHANGE, ActionType.MESSAGE_PUBLISH))
            .build());
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  /** 30 days of the troubleshooting routine, with a long-lived write:* token as in the incident. */
  private void history(boolean longLivedWildcardToken) {
    SplittableRandom random = new SplittableRandom(2026);
    for (int d = 0; d < 30; d++) {
      routineDay(d, random, 0, null, longLivedWildcardToken);
    }
    harness.alerts();
  }

  /** What replaces the knowledge-base step of a session: its action type, tool and resource. */
  private record KbStep(ActionType type, String tool, String resourcePrefix) {}

  /** How each swapped-in step fared: sent, and whether it raised a behavioural finding. */
  private record Swapped(int sent, int flagged) {}

  /**
   * Day {@code d} (from START) of the routine, nothing on the 6th and 7th day of each week: 8 to 11
   * sessions in working hours, each "read the thread, look it up, reply there". With probability
   * {@code share} a session's look-up is {@code swap} instead (the random stream is only drawn for
   * it when {@code share > 0}, so the plain routine stays the same).
   */
  private Swapped routineDay(
      int d, SplittableRandom random, double share, KbStep swap, boolean wildcard) {
    return routineDay(d, random, share, swap, wildcard, 1);
  }

  /** As above, with {@code busy} times as many sessions. */
  private Swapped routineDay(
      int d, SplittableRandom random, double share, KbStep swap, boolean wildcard, int busy) {
    if (d % 7 >= 5) {
      return new Swapped(0, 0);
    }
    int sessions = (8 + random.nextInt(4)) * busy;
    List<Instant> starts = new java.util.ArrayList<>();
    for (int s = 0; s < sessions; s++) {
      starts.add(
          START.plus(Duration.ofDays(d)).plus(Duration.ofMinutes(8 * 60 + random.nextInt(9 * 60))));
    }
    // in event-time order: older than the grace period would not train
    java.util.Collections.sort(starts);
    int sent = 0;
    int flagged = 0;
    for (int s = 0; s < sessions; s++) {
      Instant t = starts.get(s);
      String thread = "forum://thread/" + (8000 + random.nextInt(3000));
      String session = "s-" + d + "-" + s;
      harness.send(
          step(t, session, thread, ActionType.RESOURCE_READ, "forum.read", thread, null, wildcard));
      int item = random.nextInt(300);
      if (share > 0 && random.nextDouble() < share) {
        double before = behaviouralFindings();
        harness.send(
            step(
                t.plusSeconds(20),
                session,
                thread,
                swap.type(),
                swap.tool(),
                swap.resourcePrefix() + item,
                null,
                wildcard));
        sent++;
        flagged += behaviouralFindings() > before ? 1 : 0;
      } else {
        harness.send(
            step(
                t.plusSeconds(20),
                session,
                thread,
                ActionType.TOOL_CALL,
                "kb.search",
                "kb://search/" + item,
                null,
                wildcard));
      }
      harness.send(
          step(
              t.plusSeconds(60),
              session,
              thread,
              ActionType.MESSAGE_PUBLISH,
              "forum.reply",
              thread,
              random.nextDouble() < 0.7 ? "SUMMARY" : "ANSWER",
              wildcard));
    }
    return new Swapped(sent, flagged);
  }

  private double behaviouralFindings() {
    return harness.metrics.count(
        ChaperoneMetrics.FINDINGS, ChaperoneMetrics.TAG_RULE, Rule.BEHAVIOURAL_DEVIATION.name());
  }

  private AgentAction step(
      Instant t,
      String session,
      String thread,
      ActionType type,
      String tool,
      String resource,
      String content,
      boolean wildcard) {
    AgentAction.Builder a =
        harness
            .action(AGENT, t)
            .setSessionId(session)
            .setRequestRef(thread)
            .setActionType(type)
            .setTool(tool)
            .setResource(resource)
            .setOutput(
                content == null
                    ? null
                    : Output.newBuilder().setChannel("forum").setContentClass(content).build());
    Credential.Builder credential = Credential.newBuilder(a.getCredential()).setSessionId(session);
    if (wildcard) {
      credential
          .setTokenId("tok-7781")
          .setScopes(List.of("write:*"))
          .setIssuedAt(Instant.parse("2025-01-10T00:00:00Z"))
          .setExpiresAt(null)
          .setSessionId(null);
    }
    a.setCredential(credential.build());
    a.setDelegation(
        List.of(
            DetectionHarness.hop(
                "eng.alice",
                dev.chaperone.schema.PrincipalType.HUMAN,
                null,
                List.of("forum:read", "forum:write", "kb:read"),
                t.minusSeconds(600),
                null),
            DetectionHarness.hop(
                AGENT,
                dev.chaperone.schema.PrincipalType.AGENT,
                "eng.alice",
                List.of("forum:read", "forum:write", "kb:read"),
                t.minusSeconds(300),
                null)));
    a.setDelegation(
        a.getDelegation().stream()
            .map(
                h -> dev.chaperone.schema.DelegationHop.newBuilder(h).setRequestRef(thread).build())
            .toList());
    if (type == ActionType.MESSAGE_PUBLISH) {
      a.setApproval(Approval.newBuilder().setApprovedBy("eng.alice").setApprovedAt(t).build());
    }
    return a.build();
  }

  /**
   * Asked about thread 8812, the agent posts unapproved permission-widening advice in thread 9920.
   */
  private AgentAction incident(Instant at, boolean wildcard) {
    return AgentAction.newBuilder(
            step(
                at,
                "incident",
                "forum://thread/8812",
                ActionType.MESSAGE_PUBLISH,
                "forum.reply",
                "forum://thread/9920",
                "PERMISSION_CHANGE_INSTRUCTION",
                wildcard))
        .setApproval(null)
        .build();
  }

  /** Learned events of the agent's baseline, as written back to its store. */
  private long learnedEvents() {
    return harness.storedBaseline(AGENT).events();
  }

  @Test
  void shouldAlertOnAFloodWithoutLearningIt() {
    // Given 30 days of routine (about 30 actions a working day, 3 to 12 in an active hour)
    history(false);
    Instant t = NOW.minus(Duration.ofHours(3));
    // one ordinary action that day first, so that the window has rolled before counting
    harness.send(
        step(
            t.minus(Duration.ofMinutes(90)),
            "before-flood",
            "forum://thread/8000",
            ActionType.RESOURCE_READ,
            "forum.read",
            "forum://thread/8000",
            null,
            false));
    long before = learnedEvents();

    // When the agent sends its usual actions at a thousand times its rate: 3,000 in one hour
    for (int i = 0; i < 1_000; i++) {
      Instant at = t.plusMillis(1_200L * i);
      String thread = "forum://thread/" + (8000 + i % 50);
      String session = "flood-" + i; // sessions shaped like the routine: only the rate differs
      harness.send(
          step(at, session, thread, ActionType.RESOURCE_READ, "forum.read", thread, null, false));
      harness.send(
          step(
              at.plusMillis(400),
              session,
              thread,
              ActionType.TOOL_CALL,
              "kb.search",
              "kb://search/" + i % 300,
              null,
              false));
      harness.send(
          step(
              at.plusMillis(800),
              session,
              thread,
              ActionType.MESSAGE_PUBLISH,
              "forum.reply",
              thread,
              "SUMMARY",
              false));
    }

    // Then it is alerted, and the baseline learned at most the first few actions of it
    List<Alert> behavioural =
        harness.alerts().stream()
            .filter(a -> a.getRuleId().equals(Rule.BEHAVIOURAL_DEVIATION.name()))
            .toList();
    assertFalse(behavioural.isEmpty(), "the flood is alerted");
    assertTrue(
        behavioural.stream()
            .anyMatch(a -> a.getSignals().stream().anyMatch(s -> s.getSignal().equals("rate"))),
        behavioural.get(0).getSignals().toString());
    long learned = learnedEvents() - before;
    System.out.println(
        "flood: 3,000 actions in an hour; learned " + learned + "; alerts " + behavioural.size());
    assertTrue(learned >= 0 && learned < 100, "learned from the flood: " + learned + " of 3,000");
  }

  @Test
  void shouldStillAlertOnASuddenShiftAfterADayOfIt() {
    // Given 30 days of routine, then the agent exports the knowledge base in every session instead
    // of searching it: a whole day of it, then the next day
    history(false);
    KbStep export = new KbStep(ActionType.DATA_EXPORT, "kb.export", "kb://export/");
    SplittableRandom random = new SplittableRandom(7);
    Swapped first = routineDay(30, random, 1.0, export, false);
    List<Alert> firstDay = harness.alerts();
    Swapped second = routineDay(31, random, 1.0, export, false);
    List<Alert> secondDay = harness.alerts();
    long learned = harness.baseline(AGENT).count("TOOL", "kb.export", null);
    System.out.printf(
        "sudden shift: day 1 %d of %d exports flagged, day 2 %d of %d; new behavioural alerts on"
            + " day 2: %d; exports learned %d%n",
        first.flagged(),
        first.sent(),
        second.flagged(),
        second.sent(),
        newBehavioural(secondDay),
        learned);

    // Then after a day of it the new behaviour still alerts: it was not learned as normal
    assertTrue(first.sent() >= 8 && second.sent() >= 8);
    assertTrue(second.flagged() > second.sent() / 2, second.flagged() + " of " + second.sent());
    assertTrue(newBehavioural(firstDay) > 0 && newBehavioural(secondDay) > 0);
    assertTrue(learned < (first.sent() + second.sent()) / 10, "learned " + learned);
  }

  @Test
  void shouldKeepAlertingOnANewToolCreepingInAFewPercentADay() {
    // Given 30 days of routine, then a tool the agent never used takes 3 % more of its sessions
    // every working day, for three weeks
    history(false);
    KbStep fetch = new KbStep(ActionType.TOOL_CALL, "kb.fetch", "kb://vault/");
    SplittableRandom random = new SplittableRandom(7);
    int day = 0;
    int lateSent = 0;
    int lateFlagged = 0;
    int sent = 0;
    for (int d = 30; d < 51; d++) {
      if (d % 7 < 5) {
        day++;
      }
      Swapped swapped = routineDay(d, random, 0.03 * day, fetch, false);
      sent += swapped.sent();
      if (day > 7) {
        lateSent += swapped.sent();
        lateFlagged += swapped.flagged();
      }
    }
    long learned = harness.baseline(AGENT).count("TOOL", "kb.fetch", null);
    System.out.printf(
        "creeping new tool: %d sessions used it; after the first week %d of %d flagged; learned"
            + " %d%n",
        sent, lateFlagged, lateSent, learned);

    // Then creeping in slowly does not teach it: it keeps alerting and stays out of the baseline
    assertTrue(lateSent >= 20, "sent " + lateSent);
    assertTrue(lateFlagged > lateSent / 2, lateFlagged + " of " + lateSent);
    assertTrue(learned < sent / 10, "learned " + learned + " of " + sent);
  }

  @Test
  void shouldRaiseTheDriftSignalWhenARareKnownToolGrows() {
    // Given a busier agent (about 120 actions a working day) of which one session in four fetches
    // from the vault instead of searching, for 30 days; then that share grows by 9 % of sessions
    // (3 % of its actions) every working day, each fetch unremarkable on its own
    KbStep fetch = new KbStep(ActionType.TOOL_CALL, "kb.fetch", "kb://vault/");
    SplittableRandom random = new SplittableRandom(2026);
    for (int d = 0; d < 30; d++) {
      routineDay(d, random, 0.25, fetch, false, 4);
    }
    harness.alerts();
    int day = 0;
    Swapped last = null;
    for (int d = 30; d < 51; d++) {
      if (d % 7 < 5) {
        day++;
      }
      last = routineDay(d, random, Math.min(1.0, 0.25 + 0.09 * day), fetch, false, 4);
    }
    List<Alert> drift =
        harness.alerts().stream()
            .filter(a -> a.getRuleId().equals(Rule.BEHAVIOURAL_DEVIATION.name()))
            .filter(
                a ->
                    a.getSignals().stream()
                        .anyMatch(s -> s.getSignal().equals("drift") && s.getSigma() >= 4.0))
            .toList();
    System.out.println(
        "rare known tool growing: "
            + drift.size()
            + " behavioural alerts carry a drift signal >= 4σ"
            + (drift.isEmpty() ? "" : "; first: " + drift.get(0).getExplanation()));

    // Then the drift signal catches it, and says what drifted
    assertTrue(last.flagged() < last.sent(), "each fetch alone is not the alert");
    assertFalse(drift.isEmpty(), "no alert carries the drift signal");
    assertTrue(
        drift.get(0).getExplanation().contains("tool kb.fetch makes"),
        drift.get(0).getExplanation());
  }

  private static long newBehavioural(List<Alert> alerts) {
    return alerts.stream()
        .filter(a -> a.getRuleId().equals(Rule.BEHAVIOURAL_DEVIATION.name()) && !a.getUpdate())
        .count();
  }

  @Test
  void shouldCountWhatAShadowThresholdWouldRaiseBesideTheLiveOne() {
    // Given a candidate threshold of 2σ beside the live 4σ
    harness.configure("global", DetectorConfig.newBuilder().setShadowThresholdSigma(2.0).build());

    // When 30 days of routine and then the incident are scored
    history(false);
    harness.send(incident(NOW.minus(Duration.ofHours(2)), false));

    // Then the shadow count holds what 2σ would have raised, the live count what 4σ did raise,
    // and only the live ones became alerts
    double live =
        harness.metrics.total(
            ChaperoneMetrics.THRESHOLD_ALERTS, ChaperoneMetrics.TAG_THRESHOLD, "live");
    double shadow =
        harness.metrics.total(
            ChaperoneMetrics.THRESHOLD_ALERTS, ChaperoneMetrics.TAG_THRESHOLD, "shadow");
    long behavioural =
        harness.alerts().stream()
            .filter(a -> a.getRuleId().equals(Rule.BEHAVIOURAL_DEVIATION.name()) && !a.getUpdate())
            .count();
    assertTrue(live >= 1, "the incident is live: " + live);
    assertTrue(shadow > live, "a lower threshold raises more: shadow " + shadow + ", live " + live);
    assertTrue(behavioural >= 1 && behavioural <= live, "alerts " + behavioural + ", live " + live);
  }

  @Test
  void shouldRaiseFourIndependentAlertsForTheReferenceIncident() {
    // Given 30 days of routine on a long-lived write:* token
    history(true);

    // When, asked about thread 8812, it posts unapproved permission-widening advice in another
    // thread, as the first action of the session (repeats of a rule within the hour would only
    // update the alerts of earlier actions)
    Instant t = NOW.plus(Duration.ofHours(-2));
    AgentAction incident = incident(t.plusSeconds(40), true);
    List<Alert> alerts = harness.alerts();
    harness.send(incident);
    alerts =
        harness.alerts().stream()
            .filter(a -> a.getEventIds().contains(incident.getEventId()))
            .toList();
    List<String> rules =
        alerts.stream().map(Alert::getRuleId).sorted().collect(Collectors.toList());
    alerts.forEach(
        a ->
            System.out.println(
                "incident alert "
                    + a.getRuleId()
                    + " ["
                    + a.getSeverity()
                    + "]: "
                    + a.getExplanation()));
    System.out.println(
        "scored: "
            + harness.metrics.registry().find(ChaperoneMetrics.SCORED).counters().stream()
                .map(c -> c.getId().getTag("state") + "=" + c.count())
                .toList()
            + " max score "
            + harness.metrics.registry().find(ChaperoneMetrics.SCORES).summary().max());

    // Then at least four independent alerts come out for that one event, each explained
    assertTrue(rules.contains(Rule.BEHAVIOURAL_DEVIATION.name()), rules.toString());
    assertTrue(rules.contains(Rule.APPROVAL_MISSING.name()), rules.toString());
    assertTrue(rules.contains(Rule.REQUEST_DRIFT.name()), rules.toString());
    assertTrue(
        rules.contains(Rule.CREDENTIAL_WILDCARD_SCOPE.name())
            || rules.contains(Rule.CREDENTIAL_NO_EXPIRY.name()),
        rules.toString());
    assertTrue(alerts.size() >= 4, rules.toString());
    Alert behaviour =
        alerts.stream()
            .filter(a -> a.getRuleId().equals(Rule.BEHAVIOURAL_DEVIATION.name()))
            .findFirst()
            .orElseThrow();
    assertTrue(behaviour.getScore() >= 4.0, "score " + behaviour.getScore());
    assertTrue(
        behaviour.getSignals().get(0).getText().contains("PERMISSION_CHANGE_INSTRUCTION"),
        behaviour.getSignals().toString());
    assertEquals("team-devex", behaviour.getOwner());
    assertEquals("eng.alice", behaviour.getHumanOrigin());
    assertEquals("tok-7781", behaviour.getTokenId());
    for (Alert a : alerts) {
      assertTrue(a.getExplanation().length() > 30, a.getExplanation());
      assertTrue(a.getRecommendedResponse() != null && !a.getTags().isEmpty());
    }
  }

  @Test
  void shouldNotRaiseABehaviouralAlertForMoreOfTheRoutine() {
    history(false);
    Instant t = NOW.plus(Duration.ofHours(-2));

    harness.send(
        step(
            t,
            "normal",
            "forum://thread/8100",
            ActionType.RESOURCE_READ,
            "forum.read",
            "forum://thread/8100",
            null,
            false));
    harness.send(
        step(
            t.plusSeconds(20),
            "normal",
            "forum://thread/8100",
            ActionType.TOOL_CALL,
            "kb.search",
            "kb://search/3",
            null,
            false));
    harness.send(
        step(
            t.plusSeconds(60),
            "normal",
            "forum://thread/8100",
            ActionType.MESSAGE_PUBLISH,
            "forum.reply",
            "forum://thread/8100",
            "SUMMARY",
            false));
    List<Alert> alerts = harness.alerts();
    alerts.forEach(a -> System.out.println("routine alert: " + a.getExplanation()));

    assertEquals(List.of(), alerts.stream().map(Alert::getRuleId).toList());
  }

  @Test
  void shouldApplyAConfigChangeToTheNextEventWithoutARestart() {
    harness.register(DetectionHarness.registration(AGENT));
    AgentAction.Builder deep = harness.action(AGENT, NOW.plusSeconds(60));
    List<String> before =
        harness.rulesFor(
            harness.action(AGENT, NOW.plusSeconds(10)).setResource("forum://thread/9920").build());

    // OBSERVE for this agent: findings are counted, not alerted
    harness.configure(
        "agent:" + AGENT, DetectorConfig.newBuilder().setMode(DetectorMode.OBSERVE).build());
    List<String> observed =
        harness.rulesFor(
            harness.action(AGENT, NOW.plusSeconds(20)).setResource("forum://thread/9921").build());
    // OFF for its owner, ALERT again for the agent: the agent layer wins field by field
    harness.configure(
        "owner:team-devex", DetectorConfig.newBuilder().setMode(DetectorMode.OFF).build());
    harness.configure(
        "agent:" + AGENT, DetectorConfig.newBuilder().setMaxDelegationDepth(1).build());
    List<String> off =
        harness.rulesFor(
            harness.action(AGENT, NOW.plusSeconds(30)).setResource("forum://thread/9922").build());
    harness.configure("owner:team-devex", null);
    List<String> deepChain = harness.rulesFor(deep.build());

    assertEquals(List.of(Rule.REQUEST_DRIFT.name()), before);
    assertEquals(List.of(), observed);
    assertEquals(
        1.0,
        harness.metrics.count(
                ChaperoneMetrics.FINDINGS, ChaperoneMetrics.TAG_RULE, Rule.REQUEST_DRIFT.name())
            - 1.0,
        "the OBSERVE finding was counted");
    assertEquals(List.of(), off);
    assertEquals(List.of(Rule.CHAIN_TOO_DEEP.name()), deepChain);
  }

  @Test
  void shouldApplyARegistryChangeToTheNextEventOfAnAgentAlreadySeen() {
    // the detector keeps each agent's registration and config between its events while neither
    // global store is written to: every write must reach the agent's next event
    harness.register(DetectionHarness.registration(AGENT));
    harness.configure(
        "owner:team-quiet", DetectorConfig.newBuilder().setMode(DetectorMode.OFF).build());
    List<String> registered =
        harness.rulesFor(
            harness.action(AGENT, NOW.plusSeconds(10)).setResource("forum://thread/9920").build());
    harness.register(
        AgentRegistration.newBuilder(DetectionHarness.registration(AGENT))
            .setOwner("team-quiet")
            .build());
    List<String> movedToAQuietOwner =
        harness.rulesFor(
            harness.action(AGENT, NOW.plusSeconds(20)).setResource("forum://thread/9921").build());
    harness.deregister(AGENT);
    List<String> deregistered =
        harness.rulesFor(harness.action(AGENT, NOW.plusSeconds(30)).build());

    assertEquals(List.of(Rule.REQUEST_DRIFT.name()), registered);
    assertEquals(List.of(), movedToAQuietOwner, "the new owner's config (OFF) is in force");
    assertEquals(List.of(Rule.UNREGISTERED_AGENT.name()), deregistered);
  }

  @Test
  void shouldRejectAnInvalidConfigAndKeepTheLastGoodOne() {
    harness.register(DetectionHarness.registration(AGENT));
    harness.configure("global", DetectorConfig.newBuilder().setMaxDelegationDepth(1).build());
    harness.configure(
        "global", DetectorConfig.newBuilder().setMaxDelegationDepth(0).setWindowDays(400).build());
    harness.configureRaw("global", "{\"maxDelegationDepth\": 9}".getBytes());

    List<String> rules = harness.rulesFor(harness.action(AGENT, NOW.plusSeconds(10)).build());

    assertEquals(
        List.of(Rule.CHAIN_TOO_DEEP.name()), rules, "maxDelegationDepth=1 is still in force");
    assertEquals(2.0, harness.metrics.total(ChaperoneMetrics.REJECTED));
  }

  @Test
  void shouldNameTheConfigVersionInEveryAlert() {
    harness.register(DetectionHarness.registration(AGENT));
    harness.configure("global", DetectorConfig.newBuilder().setMaxDelegationDepth(1).build());
    harness.send(harness.action(AGENT, NOW.plusSeconds(10)).build());

    List<Alert> alerts = harness.alerts();
    assertEquals(1, alerts.size());
    assertTrue(
        alerts.get(0).getConfigVersion().startsWith("global@"), alerts.get(0).getConfigVersion());
  }

  @Test
  void shouldScoreButNotLearnAnEventOlderThanTheGracePeriod() {
    harness.send(harness.action(AGENT, NOW).build());
    harness.send(harness.action(AGENT, NOW.minus(Duration.ofHours(3))).build());

    assertEquals(1.0, harness.metrics.count(ChaperoneMetrics.LATE));
    assertEquals(2.0, harness.metrics.total(ChaperoneMetrics.SCORED));
  }

  private Alert deviation(Instant t, String tool) {
    harness.send(
        harness
            .action(AGENT, t)
            .setSessionId("odd-" + tool)
            .setActionType(ActionType.TOOL_CALL)
            .setTool(tool)
            .setResource("forum://thread/8812")
            .setOutput(null)
            .setApproval(null)
            .build());
    return harness.alerts().stream()
        .filter(a -> a.getRuleId().equals(Rule.BEHAVIOURAL_DEVIATION.name()))
        .findFirst()
        .orElseThrow();
  }

  private static dev.chaperone.schema.AlertFeedback verdict(
      Alert alert, dev.chaperone.schema.Verdict verdict, Long suppressForMs) {
    return dev.chaperone.schema.AlertFeedback.newBuilder()
        .setAlertId(alert.getAlertId())
        .setAgentId(alert.getAgentId())
        .setRuleId(alert.getRuleId())
        .setVerdict(verdict)
        .setAnalyst("soc.carol")
        .setNote("checked with the owner")
        .setDecidedAt(alert.getLastSeen())
        .setSuppressForMs(suppressForMs)
        .build();
  }

  @Test
  void shouldLearnQuarantinedEventsWhenAnAnalystCallsThemAnExpectedChange() {
    history(false);
    Alert alert = deviation(NOW.minus(Duration.ofHours(2)), "forum.moderate");
    assertEquals(
        0, harness.baseline(AGENT).count("TOOL", "forum.moderate", null), "held out of learning");

    harness.feedback(verdict(alert, dev.chaperone.schema.Verdict.EXPECTED_CHANGE, null));

    assertEquals(
        1,
        harness.baseline(AGENT).count("TOOL", "forum.moderate", null),
        "released into the baseline");
    List<Alert> updates = harness.alerts();
    assertEquals(1, updates.size());
    assertEquals(alert.getAlertId(), updates.get(0).getAlertId());
    assertEquals("EXPECTED_CHANGE", updates.get(0).getVerdict());
    assertTrue(updates.get(0).getUpdate());
  }

  @Test
  void shouldKeepATruePositiveOutOfTheBaseline() {
    history(false);
    Alert alert = deviation(NOW.minus(Duration.ofHours(2)), "forum.moderate");

    harness.feedback(verdict(alert, dev.chaperone.schema.Verdict.TRUE_POSITIVE, null));

    assertEquals(0, harness.baseline(AGENT).count("TOOL", "forum.moderate", null));
    assertFalse(
        harness.baseline(AGENT).quarantined().contains(alert.getEventIds().get(0)),
        "dropped for good");
    assertEquals("TRUE_POSITIVE", harness.alerts().get(0).getVerdict());
  }

  @Test
  void shouldSuppressARuleForAnAgentForTheTimeAnAnalystAsked() {
    harness.register(DetectionHarness.registration(AGENT));
    harness.send(harness.action(AGENT, NOW).setResource("forum://thread/9920").build());
    Alert drift = harness.alerts().get(0);

    harness.feedback(
        verdict(
            drift, dev.chaperone.schema.Verdict.FALSE_POSITIVE, Duration.ofHours(2).toMillis()));
    harness.alerts();
    harness.send(
        harness
            .action(AGENT, NOW.plus(Duration.ofMinutes(90)))
            .setResource("forum://thread/9921")
            .build());
    List<Alert> during = harness.alerts();
    harness.send(
        harness
            .action(AGENT, NOW.plus(Duration.ofHours(3)))
            .setResource("forum://thread/9922")
            .build());
    List<Alert> after = harness.alerts();

    assertEquals(List.of(), during);
    assertEquals(
        1.0,
        harness.metrics.count(
            ChaperoneMetrics.SUPPRESSED, ChaperoneMetrics.TAG_RULE, Rule.REQUEST_DRIFT.name()));
    assertTrue(
        after.stream()
            .anyMatch(a -> a.getRuleId().equals(Rule.REQUEST_DRIFT.name()) && !a.getUpdate()),
        after.toString());
  }

  @Test
  void shouldDeadLetterFeedbackThatCannotBeApplied() {
    harness.feedbackRaw("not avro".getBytes());
    harness.feedback(
        dev.chaperone.schema.AlertFeedback.newBuilder()
            .setAlertId("a-1")
            .setVerdict(dev.chaperone.schema.Verdict.FALSE_POSITIVE)
            .setAnalyst("soc.carol")
            .setDecidedAt(NOW)
            .build());

    assertEquals(
        2.0,
        harness.metrics.total(
            ChaperoneMetrics.DEAD_LETTERS,
            ChaperoneMetrics.TAG_TOPIC,
            harness.config.feedbackTopic()));
  }
}
