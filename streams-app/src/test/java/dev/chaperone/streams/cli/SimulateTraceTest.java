package dev.chaperone.streams.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.streams.sim.FleetSimulator;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code chaperone simulate --events-file}: a trace that {@code chaperone replay} takes whole. */
class SimulateTraceTest {

  @TempDir Path dir;

  @Test
  void shouldWriteATraceThatReplaysWithoutRejectsAndShowsItsAttacks() throws Exception {
    // Given a trace of 10 agents (two per role), 10 days of history and the stolen-token attack
    Path events = dir.resolve("events.jsonl");
    Path registry = dir.resolve("registry.jsonl");
    int written =
        new CommandLine(new ChaperoneCli())
            .execute(
                "simulate",
                "--agents",
                "10",
                "--days-of-history",
                "10",
                "--scenarios",
                "stolen-token",
                "--events-file",
                events.toString(),
                "--registry-file",
                registry.toString());
    assertEquals(0, written);
    assertEquals(10, Files.readAllLines(registry).size(), "one registration per agent");
    long actions = Files.lines(events).count();
    assertTrue(actions > 10 * 10, actions + " actions");

    // When it is replayed
    StringWriter out = new StringWriter();
    CommandLine replay = new CommandLine(new ChaperoneCli());
    replay.setOut(new PrintWriter(out, true));
    int code =
        replay.execute(
            "replay",
            "--events",
            events.toString(),
            "--registry",
            registry.toString(),
            "--alerts",
            dir.resolve("alerts.jsonl").toString(),
            "--rejects",
            dir.resolve("rejects.jsonl").toString());

    // Then every line is used, the unregistered shadow agent and the shared token are flagged
    assertEquals(0, code, out.toString());
    assertEquals(List.of(), Files.readAllLines(dir.resolve("rejects.jsonl")));
    List<String> alerts = Files.readAllLines(dir.resolve("alerts.jsonl"));
    assertTrue(
        alerts.stream()
            .anyMatch(
                a ->
                    a.contains("\"ruleId\":\"UNREGISTERED_AGENT\"")
                        && a.contains(FleetSimulator.SHADOW_AGENT)),
        "shadow agent");
    assertTrue(
        alerts.stream().anyMatch(a -> a.contains("\"ruleId\":\"CREDENTIAL_SHARED\"")),
        "stolen token");
  }
}
