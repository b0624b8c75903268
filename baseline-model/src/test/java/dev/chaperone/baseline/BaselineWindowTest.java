package dev.chaperone.baseline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.baseline.internal.Feature;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The rolling window: exact subtraction, growth without loss, old events ignored. Seeded (7). */
class BaselineWindowTest {

  // Learn everything (no quarantine) and let new keys learn freely, so two baselines that saw the
  // same days must hold the same counts.
  private static final BaselineConfig CONFIG =
      new BaselineConfig(30, 0.1, 7, 200, 4.0, 4.0, 50, 0.25, 64 * 1024, 64, 1.0, 3);

  private static void learnDays(Baseline baseline, List<List<Observation>> days, int from, int to) {
    for (int d = from; d < to; d++) {
      for (Observation o : days.get(d)) {
        baseline.learn(baseline.assess(o));
      }
    }
  }

  private static List<List<Observation>> days(int n) {
    SyntheticAgent agent = new SyntheticAgent(7);
    return java.util.stream.IntStream.range(0, n).mapToObj(agent::day).toList();
  }

  /** Every live key's count, by key hash: comparable across baselines whose ids differ. */
  private static Map<Long, Integer> countsByHash(Baseline b) {
    Map<Long, Integer> out = new TreeMap<>();
    b.keys.forEach((id, hash, name) -> out.put(hash, b.index.countOf(hash)));
    return out;
  }

  @Test
  void shouldSubtractADayLeavingTheWindowExactly() {
    // Given 40 days, one baseline that saw all of them and one that saw only the last 30
    List<List<Observation>> days = days(40);
    Baseline all = new Baseline(CONFIG);
    learnDays(all, days, 0, 40);
    Baseline last30 = new Baseline(CONFIG);
    learnDays(last30, days, 10, 40);

    // Then the first ten days left the first one exactly
    assertEquals(last30.events(), all.events());
    assertEquals(countsByHash(last30), countsByHash(all));
    assertArrayEquals(last30.hourOfWeek, all.hourOfWeek);
    assertArrayEquals(last30.featureTotal, all.featureTotal);
    assertEquals(last30.activeHours, all.activeHours);
    assertEquals(last30.hourSum, all.hourSum);
    assertEquals(last30.hourSumSq, all.hourSumSq);
    assertEquals(last30.closed.keySet(), all.closed.keySet());
  }

  @Test
  void shouldKeepEveryDayWhenTheWindowGrows() {
    // Given 30 days in a 30-day window
    List<List<Observation>> days = days(50);
    Baseline grown = new Baseline(CONFIG);
    learnDays(grown, days, 0, 30);
    long before = grown.events();

    // When the window grows to 60 days and 20 more days arrive
    grown.resizeWindow(60);
    learnDays(grown, days, 30, 50);

    // Then all 50 days are held, as in a baseline that had a 60-day window all along
    Baseline wide = new Baseline(CONFIG.withWindowDays(60));
    learnDays(wide, days, 0, 50);
    long all = days.stream().mapToLong(List::size).sum();
    assertTrue(before > 0);
    assertEquals(all, grown.events());
    assertEquals(wide.events(), grown.events());
    assertEquals(countsByHash(wide), countsByHash(grown));
    assertEquals(60, grown.config().windowDays());
  }

  @Test
  void shouldDropDaysWhenTheWindowShrinks() {
    List<List<Observation>> days = days(30);
    Baseline baseline = new Baseline(CONFIG);
    learnDays(baseline, days, 0, 30);

    baseline.resizeWindow(7);

    Baseline week = new Baseline(CONFIG.withWindowDays(7));
    learnDays(week, days, 23, 30);
    assertEquals(week.events(), baseline.events());
    assertEquals(countsByHash(week), countsByHash(baseline));
  }

  @Test
  void shouldTrainNothingWithAnEventOlderThanTheWindow() {
    List<List<Observation>> days = days(35);
    Baseline baseline = new Baseline(CONFIG);
    learnDays(baseline, days, 0, 35);
    long events = baseline.events();
    Observation old = days.get(1).get(0);

    boolean learned = baseline.learn(baseline.assess(old));

    assertFalse(learned);
    assertEquals(events, baseline.events());
  }

  @Test
  void shouldLearnALateEventIntoItsOwnDay() {
    List<List<Observation>> days = days(20);
    Baseline baseline = new Baseline(CONFIG);
    learnDays(baseline, days, 0, 20);
    Observation late = days.get(15).get(0).inSession("late");
    long before = baseline.count(Feature.TOOL.name(), late.tool(), null);

    assertTrue(baseline.learn(baseline.assess(late)));

    assertEquals(before + 1, baseline.count(Feature.TOOL.name(), late.tool(), null));
    Baseline reference = new Baseline(CONFIG);
    learnDays(reference, days, 0, 20);
    reference.learn(reference.assess(late));
    assertEquals(countsByHash(reference), countsByHash(baseline));
  }
}
