package dev.chaperone.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The learning policy: score first, quarantine what alerts, release what an analyst calls benign,
 * resist sudden and slow poisoning; and the warm-up against a cohort. Seeded synthetic agents.
 */
class BaselineLearningTest {

  private static final BaselineConfig CONFIG = BaselineConfig.defaults();
  private static final long DAY = SyntheticAgent.DAY_MS;
  private static byte[] trained;

  @BeforeAll
  static void train() {
    trained = BaselineCodec.encode(SyntheticAgent.trained(42, 30, CONFIG));
  }

  private static Baseline fresh() {
    return BaselineCodec.decode(trained, CONFIG);
  }

  private static long at(int day, int hour) {
    return SyntheticAgent.START_MS + day * DAY + hour * 3_600_000L;
  }

  @Test
  void shouldHoldAnAlertingEventOutOfLearningUntilReleased() {
    Baseline baseline = fresh();
    Observation odd =
        Observation.of(at(30, 10), "q", "TOOL_CALL", "shell.exec", "shell://host/db-1");

    Assessment a = baseline.accept("evt-odd", odd);

    assertTrue(a.isAlert(), a.summary());
    assertTrue(baseline.quarantined().contains("evt-odd"));
    assertEquals(0, baseline.count("TOOL", "shell.exec", null));

    assertTrue(baseline.release("evt-odd"));

    assertEquals(1, baseline.count("TOOL", "shell.exec", null));
    assertFalse(baseline.quarantined().contains("evt-odd"));
    assertFalse(baseline.release("evt-odd"));
  }

  @Test
  void shouldNeverLearnADiscardedEvent() {
    Baseline baseline = fresh();
    baseline.accept("evt-odd", Observation.of(at(30, 10), "q", "TOOL_CALL", "shell.exec", null));

    assertTrue(baseline.discard("evt-odd"));

    assertFalse(baseline.release("evt-odd"));
    assertEquals(0, baseline.count("TOOL", "shell.exec", null));
  }

  @Test
  void shouldStillAlertAfterADayOfSuddenlyNewBehaviour() {
    // Given a trained agent that switches at once to tools it never used, all day long
    Baseline baseline = fresh();
    Assessment last = null;
    for (int i = 0; i < 240; i++) {
      long t = at(30, 8) + i * 150_000L;
      last =
          baseline.accept(
              "new-" + i,
              Observation.of(
                  t,
                  "n-" + (i / 8),
                  "CODE_EXECUTION",
                  "shell.exec" + (i % 3),
                  "host://prod-" + (i % 5)));
    }

    // Then the end of that day still alerts: the switch did not teach itself normal
    assertTrue(last.isAlert(), last.summary());
    assertEquals(0, baseline.count("TOOL", "shell.exec0", null));
  }

  @Test
  void shouldKeepAlertingOnANewToolThatCreepsIn() {
    // Given a trained agent that moves a few percent more of its actions each day to a new tool
    Baseline baseline = fresh();
    SyntheticAgent agent = new SyntheticAgent(42);
    for (int d = 0; d < 30; d++) {
      agent.day(d); // advance to day 30 of the same process
    }
    double bestDrift = 0;
    int alertsOnDriftedTool = 0;
    int driftedEvents = 0;
    java.util.SplittableRandom random = new java.util.SplittableRandom(3);
    for (int d = 30; d < 44; d++) {
      double share = 0.03 * (d - 29);
      int n = 0;
      for (Observation o : agent.day(d)) {
        Observation event =
            random.nextDouble() < share
                ? Observation.of(
                    o.timestampMs(),
                    o.sessionId(),
                    "DATA_EXPORT",
                    "export.upload",
                    "s3://outside/" + (n % 4))
                : o;
        Assessment a = baseline.accept("d-" + d + "-" + (n++), event);
        if (event.tool().equals("export.upload") && d >= 36) {
          driftedEvents++;
          bestDrift = Math.max(bestDrift, a.sigma(Signal.DRIFT));
          if (a.isAlert()) {
            alertsOnDriftedTool++;
          }
        }
      }
    }
    System.out.printf(
        "slow drift: best DRIFT %.1fσ, %d of %d drifted events still alert in the second week%n",
        bestDrift, alertsOnDriftedTool, driftedEvents);

    // Then the new behaviour keeps alerting in its second week instead of becoming normal: it is
    // held out of learning, so creeping in slowly does not teach it
    assertTrue(
        alertsOnDriftedTool > driftedEvents / 2, alertsOnDriftedTool + " of " + driftedEvents);
    assertTrue(baseline.count("TOOL", "export.upload", null) < driftedEvents / 10);
  }

  @Test
  void shouldCatchAKnownRareBehaviourGrowingWithTheDriftSignal() {
    // Given a trained agent whose rarest tool, known and unremarkable one event at a time, takes a
    // few percent more of its actions every day
    Baseline baseline = fresh();
    SyntheticAgent agent = new SyntheticAgent(42);
    for (int d = 0; d < 30; d++) {
      agent.day(d);
    }
    int rare = 0;
    for (int t = 0; t < SyntheticAgent.TOOLS.length; t++) {
      if (baseline.count("TOOL", SyntheticAgent.TOOLS[t], null)
          < baseline.count("TOOL", SyntheticAgent.TOOLS[rare], null)) {
        rare = t;
      }
    }
    double bestDrift = 0;
    Assessment strongest = null;
    java.util.SplittableRandom random = new java.util.SplittableRandom(3);
    for (int d = 30; d < 44; d++) {
      double share = 0.03 * (d - 29);
      int n = 0;
      for (Observation o : agent.day(d)) {
        Observation event =
            random.nextDouble() < share ? agent.action(o.timestampMs(), null, rare) : o;
        Assessment a = baseline.accept("r-" + d + "-" + (n++), event);
        if (event.tool().equals(SyntheticAgent.TOOLS[rare]) && a.sigma(Signal.DRIFT) > bestDrift) {
          bestDrift = a.sigma(Signal.DRIFT);
          strongest = a;
        }
      }
    }
    System.out.println(
        "known behaviour growing: " + (strongest == null ? "no drift" : strongest.summary()));

    // Then the drift signal stands out and explains itself
    assertTrue(bestDrift >= 4.0, "drift signal " + bestDrift);
    assertTrue(
        strongest.explain(Signal.DRIFT).contains("a drift"), strongest.explain(Signal.DRIFT));
  }

  @Test
  void shouldScoreAWarmingUpAgentAgainstItsCohort() {
    // Given a cohort built from three trained agents of the same role, and a newcomer with one day
    Baseline cohort = new Baseline(CONFIG);
    for (long seed : new long[] {42, 42, 42}) {
      cohort.combine(SyntheticAgent.trained(seed, 30, CONFIG));
    }
    Baseline newcomer = new Baseline(CONFIG);
    SyntheticAgent agent = new SyntheticAgent(42);
    for (Observation o : agent.day(29)) {
      newcomer.accept("n", o);
    }
    Observation odd =
        Observation.of(at(30, 10), "w", "TOOL_CALL", "shell.exec", "shell://host/db-1");

    Assessment withCohort = newcomer.assess(odd, cohort);
    Assessment alone = newcomer.assess(odd.inSession("w2"));

    // Then it is scored against the cohort, and never silently trusted without one
    assertFalse(newcomer.isWarm());
    assertTrue(cohort.isWarm());
    assertEquals(BaselineState.WARMING_UP, withCohort.state());
    assertTrue(withCohort.eventScore() >= 4.0, withCohort.summary());
    assertEquals(BaselineState.UNBASELINED, alone.state());
    assertEquals(0.0, alone.eventScore());
    assertTrue(alone.summary().contains("unbaselined"), alone.summary());
  }

  @Test
  void shouldCombineCountsDayByDay() {
    Baseline a = SyntheticAgent.trained(42, 30, CONFIG);
    Baseline b = SyntheticAgent.trained(43, 30, CONFIG);
    long tool = a.count("TOOL", "forum.read", null) + b.count("TOOL", "forum.read", null);

    Baseline combined = new Baseline(CONFIG).combine(a).combine(b);

    assertEquals(a.events() + b.events(), combined.events());
    assertEquals(tool, combined.count("TOOL", "forum.read", null));
  }
}
