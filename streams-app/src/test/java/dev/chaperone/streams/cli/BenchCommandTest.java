package dev.chaperone.streams.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bench times the same hours of the simulated week whenever it runs. */
class BenchCommandTest {

  @Test
  void shouldEndTheTimedTrafficAtTheLastThursdayMidnight() {
    Instant thursday = Instant.parse("2026-12-03T00:00:00Z");
    assertEquals(thursday, BenchCommand.measuredEnd(thursday));
    assertEquals(thursday, BenchCommand.measuredEnd(Instant.parse("2026-12-06T23:59:59Z")));
    assertEquals(thursday, BenchCommand.measuredEnd(Instant.parse("2026-12-09T23:59:59Z")));
    Instant weekBefore = Instant.parse("2026-11-26T00:00:00Z");
    assertEquals(weekBefore, BenchCommand.measuredEnd(Instant.parse("2026-12-02T07:14:29Z")));
    assertEquals(weekBefore, BenchCommand.measuredEnd(Instant.parse("2026-11-30T00:00:00Z")));
  }

  @Test
  void shouldPassTheBrokerTheJvmOptionsItIsGiven() {
    assertEquals(List.of(), BenchCommand.brokerJvmOptions(null));
    assertEquals(List.of(), BenchCommand.brokerJvmOptions("  "));
    assertEquals(
        List.of("-Xmx2g", "-XX:+UseZGC"), BenchCommand.brokerJvmOptions(" -Xmx2g  -XX:+UseZGC "));
  }
}
