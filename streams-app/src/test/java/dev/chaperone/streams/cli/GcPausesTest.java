package dev.chaperone.streams.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class GcPausesTest {

  @Test
  void shouldCountAPauseOfThisJvmSinceTheMark() throws InterruptedException {
    try (GcPauses gc = new GcPauses()) {
      int mark = gc.mark();
      System.gc(); // a full collection: a pause every stop-the-world collector reports
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (gc.mark() == mark && System.nanoTime() < deadline) {
        Thread.sleep(10); // reported from the JVM's own thread once the collection ended
      }
      GcPauses.Summary summary = gc.since(mark);
      assertTrue(summary.pauses() >= 1, "pauses since the mark: " + summary);
      assertTrue(summary.longestMs() <= summary.totalMs(), summary.toString());
      assertEquals(0, gc.since(gc.mark()).pauses(), "nothing after the latest mark");
    }
  }

  @Test
  void shouldLeaveOutCollectorsThatReportConcurrentCycles() {
    assertTrue(GcPauses.pausesOf("G1 Young Generation"));
    assertTrue(GcPauses.pausesOf("ZGC Pauses"));
    assertFalse(GcPauses.pausesOf("ZGC Cycles"));
    assertFalse(GcPauses.pausesOf("G1 Concurrent GC"));
    assertFalse(GcPauses.pausesOf("Shenandoah Cycles"));
  }
}
