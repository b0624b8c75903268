package dev.chaperone.streams.fleet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ObservedAgentTest {

  private static final long T0 = 1_780_000_000_000L;

  @Test
  void shouldKeepEachToolAndTokenOnceNewestLastWithinItsCap() {
    // Given 5,000 actions over 200 tools and tokens in runs, as sessions repeat them (seed 9)
    SplittableRandom random = new SplittableRandom(9);
    ObservedAgent agent = ObservedAgent.firstSeen(T0);
    List<String> tools = new ArrayList<>();
    List<String> tokens = new ArrayList<>();
    String tool = null;
    String token = null;
    for (int i = 0; i < 5_000; i++) {
      if (tool == null || random.nextInt(3) == 0) {
        tool = "tool-" + random.nextInt(200);
      }
      if (token == null || random.nextInt(4) == 0) {
        token = "tok-s-agent-7-2026-12-0" + random.nextInt(200);
      }
      agent.accept(T0 + i, tool, token);
      remember(tools, tool, ObservedAgent.MAX_TOOLS);
      remember(tokens, token, ObservedAgent.MAX_TOKENS);
      if (i % 97 == 0) {
        // encoded now and then, as commits do: what changed since is in the next encoding
        ObservedAgent written = ObservedAgent.decode(agent.encode());
        assertEquals(tools, written.tools(), "tools after action " + i);
        assertEquals(tokens, written.tokenIds(), "tokens after action " + i);
        // and what was decoded goes on remembering as the original does
        written.accept(T0 + i, "tool-new-" + i, null);
        assertEquals("tool-new-" + i, written.tools().get(written.tools().size() - 1));
        assertEquals(Math.min(tools.size() + 1, ObservedAgent.MAX_TOOLS), written.tools().size());
        assertEquals(written.tools(), ObservedAgent.decode(written.encode()).tools());
      }
    }

    // Then it holds what a plain list with first-in-first-out would, and encodes it back
    assertEquals(tools, agent.tools());
    assertEquals(tokens, agent.tokenIds());
    assertEquals(5_000, agent.events());
    ObservedAgent decoded = ObservedAgent.decode(agent.encode());
    assertEquals(tools, decoded.tools());
    assertEquals(tokens, decoded.tokenIds());
    assertEquals(T0 + 4_999, decoded.lastSeenMs());
  }

  @Test
  void shouldEncodeAsDataOutputWritesFieldAfterField() throws IOException {
    // Given agents fed ASCII, non-ASCII, NUL-holding, surrogate-splitting and over-long values,
    // encoded between actions as commits encode them (seed 23)
    SplittableRandom random = new SplittableRandom(23);
    String[] alphabet = {"a", "Z", "-", "?", "\u0000", "é", "東", "😀", "\ud800", "/"};
    for (int agentNumber = 0; agentNumber < 200; agentNumber++) {
      ObservedAgent agent = ObservedAgent.firstSeen(T0 + agentNumber);
      List<String> tools = new ArrayList<>();
      List<String> tokens = new ArrayList<>();
      long firstSeen = T0 + agentNumber;
      long lastSeen = firstSeen;
      for (int i = 0; i < 120; i++) {
        String tool =
            random.nextInt(4) == 0 ? value(random, alphabet) : "tool-" + random.nextInt(90);
        String token = random.nextInt(5) == 0 ? null : "tok-" + random.nextInt(40);
        long at = T0 + random.nextLong(-1_000, 1_000_000);
        agent.accept(at, tool, token);
        firstSeen = Math.min(firstSeen, at);
        lastSeen = Math.max(lastSeen, at);
        remember(tools, tool, ObservedAgent.MAX_TOOLS);
        if (token != null) {
          remember(tokens, token, ObservedAgent.MAX_TOKENS);
        }
        if (random.nextInt(7) == 0) {
          // Then its bytes are those of DataOutput's writeLong, writeShort and writeUTF
          byte[] expected = reference(firstSeen, lastSeen, i + 1, tools, tokens);
          assertArrayEquals(expected, agent.encode(), "agent " + agentNumber + " action " + i);
          // and what was decoded encodes the same
          assertArrayEquals(expected, ObservedAgent.decode(expected).encode());
        }
      }
    }
  }

  private static String value(SplittableRandom random, String[] alphabet) {
    int length = random.nextInt(8) == 0 ? 1_000 + random.nextInt(100) : random.nextInt(12);
    StringBuilder value = new StringBuilder();
    while (value.length() < length) {
      value.append(alphabet[random.nextInt(alphabet.length)]);
    }
    return value.toString();
  }

  /** The layout as a DataOutputStream writes it, values cut at 1,024 chars. */
  private static byte[] reference(
      long firstSeen, long lastSeen, long events, List<String> tools, List<String> tokens)
      throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(1);
      out.writeLong(firstSeen);
      out.writeLong(lastSeen);
      out.writeLong(events);
      for (List<String> values : List.of(tools, tokens)) {
        out.writeShort(values.size());
        for (String value : values) {
          out.writeUTF(value.length() > 1024 ? value.substring(0, 1024) : value);
        }
      }
    }
    return bytes.toByteArray();
  }

  /** The reference: each value once, the oldest out past the cap. */
  private static void remember(List<String> values, String value, int cap) {
    if (values.contains(value)) {
      return;
    }
    if (values.size() == cap) {
      values.remove(0);
    }
    values.add(value);
  }
}
