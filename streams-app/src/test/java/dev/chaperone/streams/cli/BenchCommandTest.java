package dev.chaperone.streams.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
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
  void shouldRunThePassthroughOnTheDetectorsThreadsCommitsAndClientSettings() {
    for (String same :
        List.of(
            "num.stream.threads",
            "commit.interval.ms",
            "poll.ms",
            "producer.compression.type",
            "producer.batch.size",
            "linger.ms",
            "main.consumer.max.poll.records",
            "consumer.fetch.max.bytes",
            "max.partition.fetch.bytes")) {
      assertTrue(BenchCommand.sameForPassthrough(same), same);
    }
    for (String own :
        List.of(
            "application.id",
            "bootstrap.servers",
            "producer.client.id",
            "main.consumer.group.id",
            "auto.offset.reset",
            "state.dir",
            "processing.guarantee",
            "default.value.serde",
            "chaperone.topics.partitions")) {
      assertFalse(BenchCommand.sameForPassthrough(own), own);
    }
  }

  @Test
  void shouldPassTheBrokerTheJvmOptionsItIsGiven() {
    assertEquals(List.of(), BenchCommand.brokerJvmOptions(null));
    assertEquals(List.of(), BenchCommand.brokerJvmOptions("  "));
    assertEquals(
        List.of("-Xmx2g", "-XX:+UseZGC"), BenchCommand.brokerJvmOptions(" -Xmx2g  -XX:+UseZGC "));
  }

  @Test
  void shouldCountTheRecordsWrittenPerEventByTopicTheMostWrittenFirst() {
    Map<String, Long> before =
        Map.of(
            "chaperone-bench-agent-sightings-changelog", 500L,
            "chaperone.scores", 1_000L,
            "chaperone.alerts", 7L);
    Map<String, Long> after =
        Map.of(
            "chaperone-bench-agent-sightings-changelog", 1_750L,
            "chaperone.scores", 2_000L,
            "chaperone.alerts", 7L,
            "chaperone-bench-credential-uses-repartition", 300L);

    Map<String, Object> perEvent = BenchCommand.perEvent(before, after, 1_000, 3);

    assertEquals(
        List.of(
            "agent-sightings-changelog",
            "chaperone.scores",
            "credential-uses-repartition",
            "total"),
        List.copyOf(perEvent.keySet()));
    assertEquals(1.25, perEvent.get("agent-sightings-changelog"));
    assertEquals(1.0, perEvent.get("chaperone.scores"));
    assertEquals(0.3, perEvent.get("credential-uses-repartition"));
    assertEquals(2.55, perEvent.get("total"));
    assertEquals(
        "2.55 (agent-sightings-changelog 1.25, chaperone.scores 1.0, credential-uses-repartition 0.3)",
        BenchCommand.writesText(perEvent));
  }

  @Test
  void shouldGiveBytesPerEventInWholeBytes() {
    // Given bytes held per topic before and after 1,000 events
    Map<String, Long> before = Map.of("chaperone.scores", 10_000L, "chaperone.alerts", 500L);
    Map<String, Long> after =
        Map.of(
            "chaperone.scores", 260_400L,
            "chaperone.alerts", 1_149L,
            "chaperone-bench-observed-fleet-changelog", 99_500L);

    // When rounded to whole bytes
    Map<String, Object> perEvent = BenchCommand.perEvent(before, after, 1_000, 0);

    // Then each topic and the total are whole, the total the sum before rounding
    assertEquals(
        List.of("chaperone.scores", "observed-fleet-changelog", "chaperone.alerts", "total"),
        List.copyOf(perEvent.keySet()));
    assertEquals(250L, perEvent.get("chaperone.scores"));
    assertEquals(100L, perEvent.get("observed-fleet-changelog"));
    assertEquals(1L, perEvent.get("chaperone.alerts"));
    assertEquals(351L, perEvent.get("total"));
  }

  @Test
  void shouldCountTheWholeMachinesBusyCoresFromProcStat() {
    // Given two readings of /proc/stat on a 2-core machine, 400 jiffies apart (2 cores x 200)
    List<String> before =
        List.of(
            "cpu  1000 10 300 5000 40 0 20 0 0 0",
            "cpu0 500 5 150 2500 20 0 10 0 0 0",
            "cpu1 500 5 150 2500 20 0 10 0 0 0",
            "intr 12345");
    // user +150, nice +0, system +60, idle +150, iowait +30, irq +0, softirq +10
    List<String> after =
        List.of(
            "cpu  1150 10 360 5150 70 0 30 0 0 0",
            "cpu0 575 5 180 2575 35 0 15 0 0 0",
            "cpu1 575 5 180 2575 35 0 15 0 0 0");

    // When the busy cores between them are counted
    BenchCommand.MachineCpu start = BenchCommand.MachineCpu.parse(before);
    BenchCommand.MachineCpu end = BenchCommand.MachineCpu.parse(after);

    // Then busy is user, nice, system, irq, softirq and steal, not idle or I/O wait: 220 of 400
    assertEquals(2, start.cores());
    assertEquals(2 * 220.0 / 400, end.coresBusySince(start), 1e-9);
    // and a file without the aggregate line gives nothing rather than a wrong figure
    assertEquals(null, BenchCommand.MachineCpu.parse(List.of("intr 1", "cpu0 1 2 3 4")));
  }

  @Test
  void shouldReadAThreadsUserAndSystemTicksWhateverItsName() {
    // Given a thread's /proc stat line whose name holds a blank and a parenthesis (utime 1234,
    // stime 56: the 14th and 15th fields of the line)
    String stat =
        "4242 (C2 Compiler) x) S 1 4242 4242 0 -1 4194368 100 0 0 0 1234 56 0 0 20 0 40 0"
            + " 1000 0 0";

    // Then both are summed, counted after the name's last parenthesis
    assertEquals(1290, BenchCommand.cpuTicks(stat));
  }
}
