package dev.chaperone.baseline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BaselineCodecTest {

  private static final BaselineConfig CONFIG = BaselineConfig.defaults();

  /**
   * Events in the v1 fixture: ten days of SyntheticAgent seed 1, as written by
   * writeFixtureWhenAsked.
   */
  private static final long FIXTURE_EVENTS = 2_223;

  @Test
  void shouldDecodeToTheSameBaselineAndScoreTheSameAfterwards() {
    // Given a trained baseline and its encoding
    Baseline original = SyntheticAgent.trained(11, 30, CONFIG);
    byte[] bytes = BaselineCodec.encode(original);

    // When it is decoded, and both go on with the same events
    Baseline decoded = BaselineCodec.decode(bytes, CONFIG);
    assertArrayEquals(bytes, BaselineCodec.encode(decoded));
    SyntheticAgent next = new SyntheticAgent(12);
    for (Observation o : next.day(30)) {
      Assessment a = original.accept("x", o);
      Assessment b = decoded.accept("x", o);
      assertEquals(a.eventScore(), b.eventScore(), 0.0);
      assertEquals(a.sessionScore(), b.sessionScore(), 0.0);
    }

    // Then they stay identical
    assertEquals(original, decoded);
  }

  @Test
  void shouldEncodeTheSameEventsToTheSameBytes() {
    assertArrayEquals(
        BaselineCodec.encode(SyntheticAgent.trained(3, 20, CONFIG)),
        BaselineCodec.encode(SyntheticAgent.trained(3, 20, CONFIG)));
  }

  @Test
  void shouldKeepATypicalAgentUnderSixteenKibibytes() {
    // A typical agent as the issue puts it (<= 50 tools, <= 500 distinct resources): 20 tools, 25
    // ids in each of 17 resource families and 5 repositories, about 150 actions a weekday.
    SyntheticAgent agent = new SyntheticAgent(5, 12, 25);
    Baseline baseline = new Baseline(CONFIG);
    int n = 0;
    java.util.Set<String> resources = new java.util.HashSet<>();
    for (int d = 0; d < 30; d++) {
      for (Observation o : agent.day(d)) {
        resources.add(o.resource());
        baseline.accept("e-" + (n++), o);
      }
    }
    assertTrue(resources.size() <= 500, resources.size() + " resources");
    int size = BaselineCodec.encode(baseline).length;
    int entries = 0;
    for (byte[] day : baseline.closed.values()) {
      int[] seen = {0};
      dev.chaperone.baseline.internal.DayBucket.forEachEntry(day, (id, c) -> seen[0]++);
      entries += seen[0];
    }
    System.out.printf(
        "typical baseline: %d bytes (closed days %d bytes, %d entries; %d keys, names %d), %d events%n",
        size,
        baseline.closedBytes,
        entries,
        baseline.keys.size(),
        baseline.nameBytes,
        baseline.events());

    assertTrue(size <= 16 * 1024, "typical baseline is " + size + " bytes");
  }

  @Test
  void shouldHoldTheSizeCapWhateverTheAgentDoes() {
    // Given an agent that touches 1,000,000 distinct resources over 30 days
    Baseline baseline = new Baseline(CONFIG);
    long start = SyntheticAgent.START_MS;
    int max = 0;
    for (int i = 0; i < 1_000_000; i++) {
      long t = start + (long) i * (30 * SyntheticAgent.DAY_MS / 1_000_000);
      String resource =
          "bucket://" + Integer.toString(i * 7919, 36) + "/obj-" + Integer.toString(i, 36) + "x";
      Observation o =
          Observation.of(t, "s-" + (i / 10), "RESOURCE_READ", "tool-" + (i % 50), resource)
              .withOutput("chan-" + (i % 7), "class-" + (i % 13));
      baseline.learn(baseline.assess(o));
      if (i % 50_000 == 0) {
        max = Math.max(max, BaselineCodec.encode(baseline).length);
      }
    }
    byte[] bytes = BaselineCodec.encode(baseline);
    max = Math.max(max, bytes.length);
    System.out.printf("1,000,000 distinct resources: largest encoding %d bytes%n", max);

    // Then the encoding never exceeded 64 KiB, and it still round-trips
    assertTrue(max <= 64 * 1024, "largest encoding " + max);
    assertArrayEquals(bytes, BaselineCodec.encode(BaselineCodec.decode(bytes, CONFIG)));
  }

  @Test
  void shouldStillDecodeTheFirstFormatVersion() throws IOException {
    // A baseline encoded by format version 1, frozen when the format was released.
    byte[] v1;
    try (InputStream in = getClass().getResourceAsStream("/baseline-v1.bin")) {
      assertNotNull(in, "src/test/resources/baseline-v1.bin is missing");
      v1 = in.readAllBytes();
    }

    Baseline decoded = BaselineCodec.decode(v1, CONFIG);

    assertEquals(1, v1[0]);
    assertEquals(FIXTURE_EVENTS, decoded.events());
    assertTrue(decoded.isWarm());
    // it is written again in the current version, which round-trips byte for byte
    byte[] again = BaselineCodec.encode(decoded);
    assertEquals(BaselineCodec.CURRENT_VERSION, again[0]);
    assertArrayEquals(again, BaselineCodec.encode(BaselineCodec.decode(again, CONFIG)));
    assertEquals(decoded.events(), BaselineCodec.decode(again, CONFIG).events());
  }

  @Test
  void shouldStillDecodeTheSecondFormatVersion() throws IOException {
    // Version 2 (session calibration added), frozen when it was released.
    byte[] v2;
    try (InputStream in = getClass().getResourceAsStream("/baseline-v2.bin")) {
      assertNotNull(in, "src/test/resources/baseline-v2.bin is missing");
      v2 = in.readAllBytes();
    }

    Baseline decoded = BaselineCodec.decode(v2, CONFIG);

    assertEquals(2, v2[0]);
    assertEquals(FIXTURE_EVENTS, decoded.events());
    assertTrue(decoded.isWarm());
    // while version 2 is current, decoding and encoding again must give the very same bytes
    assertArrayEquals(v2, BaselineCodec.encode(decoded));
  }

  @Test
  void shouldRejectBytesThatAreNotABaseline() {
    byte[] good = BaselineCodec.encode(SyntheticAgent.trained(2, 3, CONFIG));

    assertMessage(new byte[0], "empty");
    assertMessage(new byte[] {9, 1, 2}, "unknown baseline format version 9");
    assertMessage(Arrays.copyOf(good, good.length / 2), "truncated");
    byte[] trailing = Arrays.copyOf(good, good.length + 1);
    assertMessage(trailing, "trailing bytes");
  }

  private static void assertMessage(byte[] bytes, String expected) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> BaselineCodec.decode(bytes, CONFIG));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  /**
   * Writes the fixture of the current version; run once by hand when a format is released:
   * -Dwrite.fixture=path.
   */
  @Test
  void writeFixtureWhenAsked() throws IOException {
    String target = System.getProperty("write.fixture");
    if (target != null) {
      Files.write(Path.of(target), BaselineCodec.encode(SyntheticAgent.trained(1, 10, CONFIG)));
    }
    assertTrue(List.of(1, 2).contains(BaselineCodec.CURRENT_VERSION) || target == null);
  }
}
