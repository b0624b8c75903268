package dev.chaperone.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Detection quality on a seeded synthetic agent ({@link SyntheticAgent}, seed 42): false alerts on
 * stationary behaviour and the score of injected deviations. Tolerances are the issue's: at most
 * 0.1% of stationary events alert at the default 4σ; every injected deviation scores at least 4σ
 * with the signal that explains it on top.
 */
class BaselineDetectionTest {

  private static final long SEED = 42;
  private static final BaselineConfig CONFIG = BaselineConfig.defaults();
  private static byte[] trained;
  private static SyntheticAgent agent;

  @BeforeAll
  static void train() {
    agent = new SyntheticAgent(SEED);
    Baseline baseline = new Baseline(CONFIG);
    int n = 0;
    for (int d = 0; d < 30; d++) {
      for (Observation o : agent.day(d)) {
        baseline.accept("e-" + (n++), o);
      }
    }
    trained = BaselineCodec.encode(baseline);
  }

  private static Baseline fresh() {
    return BaselineCodec.decode(trained, CONFIG);
  }

  @Test
  void shouldRarelyAlertOnStationaryBehaviour() {
    // Given 30 trained days, when 7 more days of the same process arrive
    Baseline baseline = fresh();
    int events = 0;
    int alerts = 0;
    List<String> samples = new ArrayList<>();
    for (int d = 30; d < 37; d++) {
      for (Observation o : agent.day(d)) {
        Assessment a = baseline.accept("s-" + events, o);
        events++;
        if (a.isAlert()) {
          alerts++;
          if (samples.size() < 5) {
            samples.add(a.summary());
          }
        }
      }
    }
    double rate = (double) alerts / events;
    System.out.printf(
        "stationary: %d alerts in %d events (%.3f%%) %s%n", alerts, events, rate * 100, samples);

    // Then at most 0.1% alert
    assertTrue(events > 1_000, "enough events to measure: " + events);
    assertTrue(rate <= 0.001, alerts + " alerts in " + events + " events: " + samples);
  }

  @Test
  void shouldScoreANewToolAtLeastFourSigma() {
    Assessment a =
        injectInSession(
            2, Observation.of(0, null, "TOOL_CALL", "shell.exec", "shell://host/prod-db-1"));

    assertDeviation(a, Set.of(Signal.TOOL));
    assertTrue(
        a.topSignals(1).get(0).explanation().startsWith("tool shell.exec: never seen in 30 days"),
        a.summary());
  }

  @Test
  void shouldScoreAKnownToolOnANeverSeenSensitiveResource() {
    Assessment a =
        injectInSession(
            3, Observation.of(0, null, "RESOURCE_READ", "repo.read", "repo://acme/secrets-vault"));

    assertDeviation(a, Set.of(Signal.RESOURCE, Signal.RESOURCE_FAMILY));
  }

  @Test
  void shouldScoreATenfoldBurstAtThreeOnASunday() {
    // Given a trained baseline, when a burst of ten times the usual hourly volume comes Sunday
    // 03:00 UTC
    Baseline baseline = fresh();
    long sunday3am = SyntheticAgent.START_MS + 34 * SyntheticAgent.DAY_MS + 3 * 3_600_000L;
    double best = 0;
    Assessment top = null;
    SyntheticAgent sameProcess = new SyntheticAgent(SEED);
    List<Observation> burst = new ArrayList<>();
    while (burst.size() < 150) {
      // normal sessions, only at the wrong time and ten times as many
      burst.addAll(sameProcess.session(sunday3am + burst.size() * 20_000L));
    }
    for (int i = 0; i < 150; i++) {
      Observation normal = burst.get(i).at(sunday3am + i * 20_000L);
      Assessment a = baseline.accept("b-" + i, normal);
      if (a.eventScore() > best) {
        best = a.eventScore();
        top = a;
      }
    }

    assertDeviation(top, Set.of(Signal.HOUR_OF_WEEK, Signal.RATE));
  }

  @Test
  void shouldScoreATransitionNeverSeen() {
    // Given a session that used tool A, when it moves to a known tool B never seen after A
    Baseline baseline = fresh();
    long t = SyntheticAgent.START_MS + 30 * SyntheticAgent.DAY_MS + 10 * 3_600_000L;
    String[] pair = neverSeenTransition(baseline);
    baseline.assess(Observation.of(t, "x-1", "RESOURCE_READ", pair[0], null));
    Assessment a =
        baseline.assess(Observation.of(t + 10_000, "x-1", "RESOURCE_READ", pair[1], null));

    assertDeviation(a, Set.of(Signal.TRANSITION));
  }

  @Test
  void shouldScoreANewContentClassOnAChannel() {
    Assessment a =
        injectInSession(
            2,
            Observation.of(0, null, "MESSAGE_PUBLISH", "forum.reply", "forum://thread/1001")
                .withOutput("forum", "PERMISSION_CHANGE_INSTRUCTION"));

    assertDeviation(a, Set.of(Signal.CONTENT_CLASS));
    assertTrue(
        a.explain(Signal.CONTENT_CLASS).contains("never seen in 30 days"),
        a.explain(Signal.CONTENT_CLASS));
    assertTrue(
        a.explain(Signal.CONTENT_CLASS).contains("usual: SUMMARY"),
        a.explain(Signal.CONTENT_CLASS));
  }

  /**
   * Plays {@code before} normal actions of a normal session, then the injected one, on a fresh
   * copy.
   */
  private static Assessment injectInSession(int before, Observation injected) {
    Baseline baseline = fresh();
    long t = SyntheticAgent.START_MS + 30 * SyntheticAgent.DAY_MS + 10 * 3_600_000L;
    // Lead in with the tool that most often precedes the injected one, so that only the injected
    // deviation is new; a tool never seen has no usual predecessor and follows a normal session.
    String predecessor = null;
    long best = 0;
    for (String p : SyntheticAgent.TOOLS) {
      long c = baseline.count("TRANSITION", p, injected.tool());
      if (c > best) {
        best = c;
        predecessor = p;
      }
    }
    if (predecessor != null) {
      int index = java.util.Arrays.asList(SyntheticAgent.TOOLS).indexOf(predecessor);
      baseline.accept("n-0", new SyntheticAgent(SEED).action(t, "inj", index));
    } else {
      List<Observation> session = new SyntheticAgent(SEED).session(t);
      for (int i = 0; i < Math.min(before, session.size()); i++) {
        baseline.accept("n-" + i, session.get(i).inSession("inj"));
      }
    }
    return baseline.assess(injected.at(t + 120_000).inSession("inj"));
  }

  private static String[] neverSeenTransition(Baseline baseline) {
    for (String a : SyntheticAgent.TOOLS) {
      if (baseline.count("TOOL", a, null) < 150) {
        continue;
      }
      for (String b : SyntheticAgent.TOOLS) {
        if (baseline.count("TOOL", b, null) >= 150 && baseline.count("TRANSITION", a, b) == 0) {
          return new String[] {a, b};
        }
      }
    }
    throw new AssertionError("every frequent transition was seen");
  }

  static void assertDeviation(Assessment a, Set<Signal> expectedTop) {
    System.out.println("injected: " + a.summary());
    assertEquals(BaselineState.BASELINED, a.state());
    assertTrue(a.eventScore() >= 4.0, "expected >= 4σ: " + a.summary());
    assertTrue(
        expectedTop.contains(a.topSignals(1).get(0).signal()),
        "expected top signal in " + expectedTop + ": " + a.summary());
  }
}
