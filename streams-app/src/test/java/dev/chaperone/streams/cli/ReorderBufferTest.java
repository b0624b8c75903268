package dev.chaperone.streams.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.PriorityQueue;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReorderBufferTest {

  /** An event time and a line, ordered as the replay orders them; no two are equal. */
  private record Event(long time, long line) implements Comparable<Event> {
    @Override
    public int compareTo(Event other) {
      int byTime = Long.compare(time, other.time);
      return byTime != 0 ? byTime : Long.compare(line, other.line);
    }
  }

  @Test
  void shouldHandOutWhatAPriorityQueueHandsOut() {
    // Given traces in order, in order with stragglers, in reverse, shuffled and with equal times,
    // each fed through a bounded buffer and a priority queue alike (seed 20261203)
    Random random = new Random(20261203L);
    for (int trace = 0; trace < 40; trace++) {
      int bound = 1 + random.nextInt(64);
      int disorder = trace % 5;
      ReorderBuffer<Event> buffer = new ReorderBuffer<>();
      PriorityQueue<Event> queue = new PriorityQueue<>();
      long time = 0;
      for (long line = 0; line < 5_000; line++) {
        time =
            switch (disorder) {
              case 0 -> time + random.nextInt(3);
              case 1 -> random.nextInt(10) == 0 ? time - random.nextInt(500) : time + 1;
              case 2 -> 10_000 - line;
              case 3 -> random.nextInt(1_000);
              default -> random.nextInt(4);
            };
        Event event = new Event(time, line);
        buffer.add(event);
        queue.add(event);
        // When both give out their least while over the bound (and all at the end)
        while (queue.size() > bound || (line == 4_999 && !queue.isEmpty())) {
          // Then they give out the same element each time
          assertEquals(queue.poll(), buffer.poll(), "trace " + trace);
          assertEquals(queue.size(), buffer.size());
        }
      }
      assertTrue(buffer.isEmpty());
      assertNull(buffer.poll());
    }
  }
}
