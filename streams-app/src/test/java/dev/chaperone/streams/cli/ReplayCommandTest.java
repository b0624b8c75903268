package dev.chaperone.streams.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.Credential;
import dev.chaperone.streams.contract.JsonContractCodec;
import dev.chaperone.streams.sim.SampleFleet;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code chaperone replay} over a recorded trace: scores per event, alerts, rejects with line
 * numbers.
 */
class ReplayCommandTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void shouldReplayATraceInEventTimeOrderAndReportWhatItCannotUse() throws Exception {
    // Given a trace of 2,000 actions of three registered agents, shuffled, with one wildcard token,
    // one line that is not JSON and one action from the far future
    Instant start = Instant.parse("2026-10-01T00:00:00Z");
    List<AgentAction> actions = new ArrayList<>(new SampleFleet(8, 3, start).actions(2_000));
    actions.set(
        700,
        AgentAction.newBuilder(actions.get(700))
            .setCredential(
                Credential.newBuilder(actions.get(700).getCredential())
                    .setScopes(List.of("write:*"))
                    .build())
            .build());
    List<String> lines = new ArrayList<>();
    actions.forEach(a -> lines.add(JsonContractCodec.write(a)));
    Collections.shuffle(lines, new java.util.Random(5));
    lines.add(17, "{not json");
    lines.add(
        JsonContractCodec.write(
            AgentAction.newBuilder(actions.get(3))
                .setEventId("future")
                .setOccurredAt(Instant.parse("2400-01-01T00:00:00Z"))
                .build()));
    Path events = Files.write(dir.resolve("events.jsonl"), lines);
    List<String> registry = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      registry.add(
          JsonContractCodec.write(SampleFleet.registration(i, start.minus(Duration.ofDays(30)))));
    }
    Path registrations = Files.write(dir.resolve("registry.jsonl"), registry);

    // When it is replayed
    StringWriter out = new StringWriter();
    CommandLine cli = new CommandLine(new ChaperoneCli());
    cli.setOut(new PrintWriter(out, true));
    int code =
        cli.execute(
            "replay",
            "--events",
            events.toString(),
            "--registry",
            registrations.toString(),
            "--alerts",
            dir.resolve("alerts.jsonl").toString(),
            "--scores",
            dir.resolve("scores.jsonl").toString(),
            "--rejects",
            dir.resolve("rejects.jsonl").toString());

    // Then every valid event has its scores, the alerts are written, and the two bad lines are
    // reported
    assertEquals(ReplayCommand.REJECTED, code, out.toString());
    List<String> scores = Files.readAllLines(dir.resolve("scores.jsonl"));
    assertEquals(2_000, scores.size());
    JsonNode score = JSON.readTree(scores.get(0));
    for (String field :
        List.of(
            "eventId",
            "agentId",
            "sessionId",
            "occurredAt",
            "eventScore",
            "sessionScore",
            "warmup",
            "topSignals")) {
      assertTrue(score.has(field), field + " in " + score);
    }
    List<String> occurred =
        scores.stream().map(s -> readTree(s).path("occurredAt").asText()).toList();
    List<String> sorted = new ArrayList<>(occurred);
    Collections.sort(sorted);
    assertEquals(sorted, occurred, "replayed in event-time order");
    List<String> alerts = Files.readAllLines(dir.resolve("alerts.jsonl"));
    assertTrue(
        alerts.stream().anyMatch(a -> a.contains("\"ruleId\":\"CREDENTIAL_WILDCARD_SCOPE\"")),
        alerts.toString());
    List<JsonNode> rejects =
        Files.readAllLines(dir.resolve("rejects.jsonl")).stream()
            .map(ReplayCommandTest::readTree)
            .toList();
    assertEquals(2, rejects.size(), rejects.toString());
    assertEquals(18, rejects.get(0).path("line").asLong());
    assertTrue(
        rejects.get(0).path("reason").asText().startsWith("not valid JSON"),
        rejects.get(0).toString());
    assertEquals(lines.size(), rejects.get(1).path("line").asLong());
    assertTrue(
        out.toString().startsWith("Read 2002 events: 2000 scored, 2 rejected"), out.toString());
  }

  private static JsonNode readTree(String text) {
    try {
      return JSON.readTree(text);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
