package dev.chaperone.streams.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chaperone.streams.contract.IsoInstants;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ScoreJsonTest {

  @Test
  void shouldWriteEveryRoundedScoreAsDoubleToStringDoes() {
    // Given every whole number of thousandths within ±1,000 and of hundredths within ±10,000
    // (scores are clamped to ±50 σ) and a sample of larger ones up to the 10^7 bound
    for (long k = -1_000_000; k <= 1_000_000; k++) {
      assertNumber(k / 1000.0);
    }
    for (long k = -1_000_000; k <= 1_000_000; k++) {
      assertNumber(k / 100.0);
    }
    SplittableRandom random = new SplittableRandom(20261203);
    for (int i = 0; i < 200_000; i++) {
      assertNumber(random.nextLong(-10_000_000_000L, 10_000_000_000L) / 1000.0);
    }
  }

  @Test
  void shouldLeaveOtherNumbersToDoubleToString() {
    for (double value :
        new double[] {
          -0.0,
          0.0,
          1e7,
          -1e7,
          9_999_999.999,
          1e-4,
          0.0005,
          0.1234,
          1.0 / 3,
          123456789.5,
          1e300,
          Double.MIN_VALUE,
          Double.NaN,
          Double.POSITIVE_INFINITY,
          Double.NEGATIVE_INFINITY
        }) {
      assertNumber(value);
    }
  }

  @Test
  void shouldRenderScoresByteForByteAsJacksonDid() throws IOException {
    // Given scores whose ids need every kind of escape, non-ASCII text and a missing session
    SplittableRandom random = new SplittableRandom(7);
    String[] awkward = {
      "plain-id.01",
      "quote\"d",
      "back\\slash",
      "tab\tnew\nline\r",
      "bell\u0007nul\u0000",
      "del\u007f",
      "é-ü-中文",
      "emoji-\uD83D\uDE00-end",
      "lone-\uD800-\uDC00-",
      "/slash/",
      "\u001f\b\f"
    };
    for (int i = 0; i < 2_000; i++) {
      Map<String, Double> top = new LinkedHashMap<>();
      for (int s = random.nextInt(4); s > 0; s--) {
        top.put("SIGNAL_" + s, Math.round(random.nextDouble(-60, 60) * 100) / 100.0);
      }
      EventScore score =
          new EventScore(
              awkward[random.nextInt(awkward.length)] + i,
              awkward[random.nextInt(awkward.length)],
              random.nextInt(5) == 0 ? null : awkward[random.nextInt(awkward.length)],
              random.nextLong(0, 4_102_444_800_000L),
              random.nextDouble(0, 55),
              random.nextInt(3) == 0 ? 0 : random.nextDouble(0, 55),
              random.nextBoolean(),
              random.nextBoolean() ? "BASELINED" : "WARMING_UP",
              top);

      // Then the renderer writes exactly what the Jackson generator it replaced wrote
      assertArrayEquals(jackson(score), ScoreJson.render(score), score.toString());
    }
  }

  private static void assertNumber(double value) {
    assertEquals(Double.toString(value), ScoreJson.number(value), () -> "value " + value);
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The rendering with Jackson's generator that ScoreJson replaced (ChaperoneTopology, 3 Dec). */
  private static byte[] jackson(EventScore score) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
    try (JsonGenerator out = JSON.getFactory().createGenerator(bytes)) {
      out.writeStartObject();
      out.writeStringField("eventId", score.eventId());
      out.writeStringField("agentId", score.agentId());
      out.writeStringField("sessionId", score.sessionId());
      out.writeStringField(
          "occurredAt", IsoInstants.format(Instant.ofEpochMilli(score.occurredAt())));
      out.writeNumberField("eventScore", Math.round(score.eventScore() * 1000) / 1000.0);
      out.writeNumberField("sessionScore", Math.round(score.sessionScore() * 1000) / 1000.0);
      out.writeBooleanField("warmup", score.warmup());
      out.writeStringField("state", score.state());
      out.writeObjectFieldStart("topSignals");
      for (Map.Entry<String, Double> signal : score.topSignals().entrySet()) {
        out.writeNumberField(signal.getKey(), signal.getValue());
      }
      out.writeEndObject();
      out.writeEndObject();
    }
    return bytes.toByteArray();
  }

  @Test
  void shouldParseAsTheScoreItWasMadeFrom() throws IOException {
    EventScore score =
        new EventScore(
            "e-1",
            "agent-7",
            null,
            1_764_720_000_123L,
            4.56789,
            0.0,
            false,
            "BASELINED",
            Map.of("TOOL", 4.57));

    var tree = JSON.readTree(new String(ScoreJson.render(score), StandardCharsets.UTF_8));

    assertEquals("e-1", tree.get("eventId").asText());
    assertEquals(true, tree.get("sessionId").isNull());
    assertEquals("2025-12-03T00:00:00.123Z", tree.get("occurredAt").asText());
    assertEquals(4.568, tree.get("eventScore").asDouble());
    assertEquals(0.0, tree.get("sessionScore").asDouble());
    assertEquals(4.57, tree.get("topSignals").get("TOOL").asDouble());
  }
}
