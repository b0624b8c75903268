package dev.chaperone.streams.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
    int code = replay(out, events, "--registry", registrations.toString());

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

  @Test
  void shouldRejectALineThatIsNotUtf8AndReplayTheLinesAroundIt() throws Exception {
    // Given three actions in CRLF lines, the second line's bytes not UTF-8, a blank line, and the
    // last line without a newline
    List<AgentAction> actions =
        new SampleFleet(3, 1, Instant.parse("2026-10-01T00:00:00Z")).actions(3);
    java.io.ByteArrayOutputStream file = new java.io.ByteArrayOutputStream();
    file.writeBytes((JsonContractCodec.write(actions.get(0)) + "\r\n").getBytes(UTF_8));
    file.writeBytes(new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\r', '\n'});
    file.writeBytes((JsonContractCodec.write(actions.get(1)) + "\r\n \t\r\n").getBytes(UTF_8));
    file.writeBytes(JsonContractCodec.write(actions.get(2)).getBytes(UTF_8));
    Path events = Files.write(dir.resolve("events.jsonl"), file.toByteArray());

    // When it is replayed
    StringWriter out = new StringWriter();
    int code = replay(out, events);

    // Then the three actions are scored and line 2 alone is rejected, as not valid JSON
    assertEquals(ReplayCommand.REJECTED, code, out.toString());
    assertEquals(
        actions.stream().map(AgentAction::getEventId).sorted().toList(),
        Files.readAllLines(dir.resolve("scores.jsonl")).stream()
            .map(line -> readTree(line).path("eventId").asText())
            .sorted()
            .toList());
    List<String> rejects = Files.readAllLines(dir.resolve("rejects.jsonl"));
    assertEquals(1, rejects.size(), rejects.toString());
    assertEquals(2, readTree(rejects.get(0)).path("line").asLong());
    assertTrue(
        readTree(rejects.get(0)).path("reason").asText().startsWith("not valid JSON"),
        rejects.get(0));
  }

  @Test
  void shouldSplitLinesLongerThanTheBufferAndEndsOfEveryKind() throws Exception {
    // Given a line of 200,000 bytes between a CRLF line and a last line without a newline
    String longLine = "x".repeat(200_000);
    byte[] text = ("a\r\n" + longLine + "\n\nb").getBytes(UTF_8);

    // When it is split
    List<String> lines = new ArrayList<>();
    try (ReplayCommand.Lines in = new ReplayCommand.Lines(new java.io.ByteArrayInputStream(text))) {
      while (in.next()) {
        lines.add(new String(in.bytes(), in.offset(), in.length(), UTF_8));
      }
    }

    // Then each line comes whole, without its line end
    assertEquals(List.of("a", longLine, "", "b"), lines);
  }

  @Test
  void shouldSplitRandomLinesReadInRandomChunks() throws Exception {
    // Given 20,000 lines of 0-40 random bytes other than \n (not UTF-8 either, many of them bytes
    // close to \n), read in chunks of 1-100 bytes, so that lines span reads and the buffer is
    // compacted at every offset (seed 41)
    java.util.SplittableRandom random = new java.util.SplittableRandom(41);
    byte[] near = {0x09, 0x0B, (byte) 0x8A, (byte) 0xFF, (byte) 0x80, 0x00, 0x0A ^ 0x01};
    List<byte[]> expected = new ArrayList<>();
    java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
    for (int n = 0; n < 20_000; n++) {
      byte[] line = new byte[random.nextInt(41)];
      for (int i = 0; i < line.length; i++) {
        do {
          line[i] =
              random.nextBoolean() ? near[random.nextInt(near.length)] : (byte) random.nextInt();
        } while (line[i] == '\n' || (line[i] == '\r' && i == line.length - 1));
      }
      expected.add(line);
      text.write(line);
      text.write('\n');
    }
    byte[] all = text.toByteArray();
    java.io.InputStream chunks =
        new java.io.ByteArrayInputStream(all) {
          @Override
          public synchronized int read(byte[] b, int off, int len) {
            return super.read(b, off, Math.min(len, 1 + random.nextInt(100)));
          }
        };

    // When it is split, Then every line comes back as written
    int n = 0;
    try (ReplayCommand.Lines in = new ReplayCommand.Lines(chunks)) {
      while (in.next()) {
        assertArrayEquals(
            expected.get(n),
            java.util.Arrays.copyOfRange(in.bytes(), in.offset(), in.offset() + in.length()),
            "line " + n);
        n++;
      }
    }
    assertEquals(expected.size(), n);
  }

  /**
   * Runs {@code chaperone replay} of {@code events} with {@code more} arguments, alerts, scores and
   * rejects to files in {@link #dir}; its printed output to {@code out}.
   */
  private int replay(StringWriter out, Path events, String... more) {
    List<String> args = new ArrayList<>(List.of("replay", "--events", events.toString()));
    args.addAll(List.of(more));
    for (String output : List.of("alerts", "scores", "rejects")) {
      args.addAll(List.of("--" + output, dir.resolve(output + ".jsonl").toString()));
    }
    CommandLine cli = new CommandLine(new ChaperoneCli());
    cli.setOut(new PrintWriter(out, true));
    return cli.execute(args.toArray(String[]::new));
  }

  private static JsonNode readTree(String text) {
    try {
      return JSON.readTree(text);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
