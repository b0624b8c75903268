package dev.chaperone.streams.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code chaperone bench} end to end on a small fleet: a broker in a JVM of its own, pre-built
 * baselines restored, both topologies measured. Checks that every figure is there and plausible,
 * not how fast it is (speed is the bench's own business, not a test's).
 */
class BenchCommandIT {

  @TempDir Path dir;

  @Test
  void shouldMeasureTheDetectorAndThePassThroughAndReportEveryFigure() throws Exception {
    Path result = dir.resolve("bench.json");

    int code =
        ChaperoneCli.execute(
            "bench",
            "--agents",
            "20",
            "--events",
            "2000",
            "--warmup-events",
            "500",
            "--history-days",
            "3",
            "--rate",
            "200",
            "--latency-seconds",
            "1",
            "--settle-seconds",
            "1",
            "--json-file",
            result.toString());

    assertEquals(0, code);
    JsonNode json = new ObjectMapper().readTree(result.toFile());
    for (String positive :
        List.of(
            "detector_eps",
            "passthrough_eps",
            "ratio",
            "p50_ms",
            "p99_ms",
            "passthrough_p99_ms",
            "state_bytes_per_agent",
            "heap_used_mb")) {
      assertTrue(json.path(positive).asDouble() > 0, positive + " in " + json);
    }
    assertEquals(20, json.path("agents").asInt());
    assertEquals(2000, json.path("events").asInt());
    assertTrue(json.path("p50_ms").asDouble() <= json.path("p99_ms").asDouble(), json.toString());
    assertEquals(
        json.path("detector_eps").asDouble() / json.path("passthrough_eps").asDouble(),
        json.path("ratio").asDouble(),
        0.001);
    // paced (the default), at 200 events/s the detector kept up: the pacer asked for commits
    assertTrue(
        json.path("detector_commits_latency").path("requested").asDouble() > 0, json.toString());
    // the broker ran in a process of its own and did work in both phases
    assertTrue(json.path("detector_cores").path("broker").asDouble() > 0, json.toString());
    assertTrue(
        json.path("passthrough_cores").path("stream_threads").asDouble() > 0, json.toString());
    // the busiest stream thread did part of the work of all of them
    for (String phase : List.of("detector_cores", "passthrough_cores")) {
      JsonNode cores = json.path(phase);
      assertTrue(cores.path("busiest_stream_thread").asDouble() > 0, phase + " " + json);
      assertTrue(
          cores.path("busiest_stream_thread").asDouble() <= cores.path("stream_threads").asDouble(),
          phase + " " + json);
    }
    // every phase, the latency phases too, says how busy the whole machine and the JIT kept the
    // cores (Linux, where CI runs): the machine at least as busy as the bench's own JVM and the
    // broker, never more than it has cores, the JIT's share no more than the bench JVM's, the
    // broker's JIT no more than the broker's process
    int cores = Runtime.getRuntime().availableProcessors();
    for (String phase :
        List.of(
            "detector_cores",
            "passthrough_cores",
            "detector_latency_cores",
            "passthrough_latency_cores")) {
      JsonNode busy = json.path(phase);
      double machine = busy.path("machine").asDouble(-1);
      assertTrue(machine > 0 && machine <= cores + 0.05, phase + " " + json);
      assertTrue(busy.path("bench_jvm").asDouble(-1) > 0, phase + " " + json);
      double jit = busy.path("jit").asDouble(-1);
      assertTrue(jit >= 0 && jit <= busy.path("bench_jvm").asDouble() + 0.05, phase + " " + json);
      double brokerJit = busy.path("broker_jit").asDouble(-1);
      assertTrue(
          brokerJit >= 0 && brokerJit <= busy.path("broker").asDouble() + 0.05, phase + " " + json);
    }
    // each timed phase's stream thread time: the threads ran and waited on the broker, and
    // committed
    for (String phase :
        List.of(
            "detector_stream_thread_time",
            "passthrough_stream_thread_time",
            "detector_latency_stream_thread_time",
            "passthrough_latency_stream_thread_time")) {
      JsonNode time = json.path(phase);
      for (String share : List.of("running", "blocked_on_kafka")) {
        double value = time.path(share).asDouble(-1);
        // a little over 1 is possible: the consumer's I/O time counts as blocked and as running
        assertTrue(value > 0 && value <= 1.2, phase + "." + share + " in " + json);
      }
      assertTrue(time.path("other").asDouble(-1) >= 0, phase + " in " + json);
      // what they blocked on are the parts of the total, read together
      double parts = 0;
      for (String part : List.of("poll", "flush", "transaction", "send", "restore")) {
        double value = time.path("blocked_on").path(part).asDouble(-1);
        assertTrue(value >= 0, phase + ".blocked_on." + part + " in " + json);
        parts += value;
      }
      assertTrue(time.path("blocked_on").path("poll").asDouble() > 0, phase + " in " + json);
      assertEquals(
          time.path("blocked_on_kafka").asDouble(), parts, 0.03, phase + " in " + json); // rounding
      assertTrue(time.path("commits_per_s").asDouble() > 0, phase + " in " + json);
    }
    // the heap committed during each timed backlog: whole MiB, within what this JVM may commit
    long maxHeapMib = Runtime.getRuntime().maxMemory() / (1024 * 1024);
    for (String grown : List.of("detector_heap_grown_mb", "passthrough_heap_grown_mb")) {
      assertTrue(json.path(grown).isIntegralNumber(), grown + " in " + json);
      assertTrue(Math.abs(json.path(grown).asLong()) <= maxHeapMib, grown + " in " + json);
    }
    // every event scored wrote its score, and the detector's state changed in its changelogs
    JsonNode writes = json.path("detector_writes_per_event");
    assertTrue(writes.path("chaperone.scores").asDouble() >= 1.0, writes.toString());
    assertTrue(writes.path("agent-baseline-journal-changelog").asDouble() > 0, writes.toString());
    assertTrue(writes.path("total").asDouble() > 1.0, writes.toString());
    // and bytes: whole ones, a score at least a few dozen of them each, the total their sum
    JsonNode bytes = json.path("detector_bytes_per_event");
    assertTrue(bytes.path("chaperone.scores").isIntegralNumber(), bytes.toString());
    assertTrue(bytes.path("chaperone.scores").asLong() >= 20, bytes.toString());
    long parts = 0;
    for (var topic = bytes.fields(); topic.hasNext(); ) {
      var entry = topic.next();
      if (!entry.getKey().equals("total")) {
        parts += entry.getValue().asLong();
      }
    }
    // each part rounded to a whole byte, the total rounded once
    assertTrue(Math.abs(parts - bytes.path("total").asLong()) <= bytes.size(), bytes.toString());
    // the sharing check looked up the credential uses repartitioned to it in the backlog (not
    // bounded by the uses written in it: at its start some of the warm-up's may still be queued)
    JsonNode sharing = json.path("detector_sharing_lookups");
    assertTrue(sharing.path("memory").asDouble() >= 0, sharing.toString());
    assertTrue(sharing.path("store").asDouble() >= 0, sharing.toString());
    assertTrue(
        sharing.path("memory").asDouble() + sharing.path("store").asDouble() > 0,
        sharing.toString());
    // the bench JVM's pauses in each backlog and latency phase: counted, the longest no more than
    // their sum
    for (String phase :
        List.of(
            "detector_gc_backlog",
            "passthrough_gc_backlog",
            "detector_gc_latency",
            "passthrough_gc_latency")) {
      JsonNode gc = json.path(phase);
      assertTrue(gc.path("pauses").isInt() && gc.path("pauses").asInt() >= 0, phase + " " + json);
      assertTrue(
          gc.path("longest_ms").asLong() <= gc.path("total_ms").asLong(), phase + " " + json);
    }
  }
}
