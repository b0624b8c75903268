package dev.chaperone.baseline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The split layout: a head rewritten at each commit, closed days written once. Seeded (21). */
class BaselineHeadTest {

  private static final BaselineConfig CONFIG = BaselineConfig.defaults();

  @Test
  void shouldReportEachClosedDayOnceAndRebuildFromHeadAndDays() {
    // Given a store that keeps heads and days apart, fed after every day
    SyntheticAgent agent = new SyntheticAgent(21);
    Baseline baseline = new Baseline(CONFIG);
    Map<Long, byte[]> days = new HashMap<>();
    int writes = 0;
    int n = 0;
    int activeDays = 0;
    for (int d = 0; d < 40; d++) {
      List<Observation> events = agent.day(d);
      activeDays += events.isEmpty() ? 0 : 1;
      for (Observation o : events) {
        baseline.accept("e-" + (n++), o);
      }
      Baseline.DayChanges changes = baseline.drainDayChanges();
      for (Map.Entry<Long, byte[]> day : changes.written().entrySet()) {
        assertTrue(
            days.put(day.getKey(), day.getValue()) == null,
            "day " + day.getKey() + " written twice");
        writes++;
      }
      changes.removed().forEach(days::remove);
    }
    byte[] head = BaselineCodec.encodeHead(baseline);

    // When it is rebuilt from the head and the stored days
    Baseline rebuilt = BaselineCodec.decodeHead(head, days::get, CONFIG);

    // Then it is the same baseline, each closed day was written exactly once, and the window holds
    // 30 days
    assertArrayEquals(BaselineCodec.encode(baseline), BaselineCodec.encode(rebuilt));
    assertEquals(
        activeDays - 1,
        writes,
        "one write per day with events that closed (the last is still open)");
    assertEquals(
        baseline.closed.keySet(),
        new java.util.TreeSet<>(days.keySet()),
        "exactly the closed days of the window are stored");
    assertTrue(days.size() >= 20 && days.size() <= 29, days.size() + " closed days");
    assertTrue(
        head.length < BaselineCodec.encode(baseline).length * 3 / 4,
        "a head is much smaller than the whole: "
            + head.length
            + " of "
            + BaselineCodec.encode(baseline).length);
    assertTrue(baseline.drainDayChanges().isEmpty());
  }

  @Test
  void shouldTellAHeadFromAWholeBaseline() {
    Baseline baseline = SyntheticAgent.trained(21, 5, CONFIG);

    assertThrows(
        IllegalArgumentException.class,
        () -> BaselineCodec.decode(BaselineCodec.encodeHead(baseline), CONFIG));
    assertThrows(
        IllegalArgumentException.class,
        () -> BaselineCodec.decodeHead(BaselineCodec.encode(baseline), day -> null, CONFIG));
    IllegalArgumentException missing =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                BaselineCodec.decodeHead(BaselineCodec.encodeHead(baseline), day -> null, CONFIG));
    assertTrue(missing.getMessage().contains("missing"), missing.getMessage());
    assertEquals(List.of(), baseline.drainDayChanges().removed());
  }
}
