package dev.chaperone.streams.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The README's first command, end to end: the demo runs on its own broker and exits 0. */
class DemoCommandIT {

  @Test
  void shouldRunTheDemoToASuccessfulEnd() {
    int code = ChaperoneCli.execute("demo", "--events", "500", "--agents", "10");

    assertEquals(0, code);
  }
}
