package dev.chaperone.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The incident that started Chaperone, on the baseline alone: a forum troubleshooting agent whose
 * 30 days are "read the thread it was asked about, look things up, reply to that thread with a
 * summary or an answer" posts unsolicited advice telling an engineer to widen repository
 * permissions. Seed 2026; tolerance: at least 4σ.
 */
class ReferenceIncidentTest {

  private static final long DAY = 86_400_000L;
  private static final long START = SyntheticAgent.START_MS;

  @Test
  void shouldFlagPermissionWideningAdviceAndSayWhy() {
    // Given 30 days of the troubleshooting routine
    Baseline baseline = new Baseline(BaselineConfig.defaults());
    SplittableRandom random = new SplittableRandom(2026);
    int n = 0;
    for (int d = 0; d < 30; d++) {
      if (d % 7 >= 5) {
        continue;
      }
      for (int s = 0; s < 12 + random.nextInt(6); s++) {
        long t = START + d * DAY + 8 * 3_600_000L + (long) (random.nextDouble() * 9 * 3_600_000L);
        String thread = "forum://thread/" + (8000 + random.nextInt(3000));
        String session = "s-" + d + "-" + s;
        baseline.accept(
            "e" + n++, Observation.of(t, session, "RESOURCE_READ", "forum.read", thread));
        baseline.accept(
            "e" + n++,
            Observation.of(
                t + 20_000,
                session,
                "TOOL_CALL",
                "kb.search",
                "kb://search/" + random.nextInt(500)));
        if (random.nextBoolean()) {
          baseline.accept(
              "e" + n++,
              Observation.of(
                  t + 40_000,
                  session,
                  "RESOURCE_READ",
                  "kb.read",
                  "kb://article/" + random.nextInt(200)));
        }
        baseline.accept(
            "e" + n++,
            Observation.of(t + 60_000, session, "MESSAGE_PUBLISH", "forum.reply", thread)
                .withOutput("forum", random.nextDouble() < 0.7 ? "SUMMARY" : "ANSWER"));
      }
    }

    // When, asked about thread 8812, it reads it and then posts permission-widening advice
    long t = START + 30 * DAY + 10 * 3_600_000L;
    baseline.accept(
        "i1", Observation.of(t, "incident", "RESOURCE_READ", "forum.read", "forum://thread/8812"));
    baseline.accept(
        "i2", Observation.of(t + 15_000, "incident", "TOOL_CALL", "kb.search", "kb://search/17"));
    Assessment incident =
        baseline.assess(
            Observation.of(
                    t + 30_000, "incident", "MESSAGE_PUBLISH", "forum.reply", "forum://thread/9920")
                .withOutput("forum", "PERMISSION_CHANGE_INSTRUCTION"));
    System.out.println("reference incident: " + incident.summary());

    // Then it scores at least 4σ and the explanation says why, in words
    assertEquals(BaselineState.BASELINED, incident.state());
    assertTrue(incident.eventScore() >= 4.0, incident.summary());
    assertTrue(incident.isAlert());
    SignalScore top = incident.topSignals(1).get(0);
    assertEquals(Signal.CONTENT_CLASS, top.signal());
    assertTrue(
        top.explanation()
            .startsWith(
                "content class PERMISSION_CHANGE_INSTRUCTION on channel forum (tool forum.reply): never seen in 30 days"),
        top.explanation());
    assertTrue(
        top.explanation().matches(".*usual: SUMMARY \\d+%, ANSWER \\d+%.*"), top.explanation());
  }
}
