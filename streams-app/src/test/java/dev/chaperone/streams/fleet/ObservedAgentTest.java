package dev.chaperone.streams.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
