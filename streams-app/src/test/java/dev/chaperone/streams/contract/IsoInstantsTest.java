package dev.chaperone.streams.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class IsoInstantsTest {

  /** The general parser's answer: the instant, or null where it refuses the text. */
  private static Instant reference(String text) {
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  @Test
  void shouldAgreeWithInstantParseOnEveryUtcFormItAccepts() {
    // Given 200,000 instants from year 1 to 9999 (seed 11), rendered with 0 to 9 fraction digits
    SplittableRandom random = new SplittableRandom(11);
    long min = Instant.parse("0001-01-01T00:00:00Z").getEpochSecond();
    long max = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
    for (int i = 0; i < 200_000; i++) {
      Instant instant = Instant.ofEpochSecond(random.nextLong(min, max + 1));
      String text = instant.toString();
      int digits = random.nextInt(10);
      if (digits > 0) {
        String nanos = String.format("%09d", random.nextInt(1_000_000_000));
        text = text.substring(0, 19) + "." + nanos.substring(0, digits) + "Z";
      }

      // Then the fast path reads exactly what Instant.parse reads
      assertEquals(reference(text), IsoInstants.parseUtc(text), text);
    }
  }

  @Test
  void shouldLeaveEveryOtherFormToTheGeneralParser() {
    // Invalid dates and times, other forms and broken texts: null, never a different instant
    for (String text :
        List.of(
            "2026-02-29T00:00:00Z",
            "2024-02-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-11-02T24:00:00Z",
            "2026-11-02T09:60:00Z",
            "2026-11-02T23:59:60Z",
            "2026-11-02T09:15:00.Z",
            "2026-11-02T09:15:00.1234567890Z",
            "2026-11-02T09:15:00+01:00",
            "2026-11-02T09:15:00z",
            "2026-11-02 09:15:00Z",
            "2026-11-02T09:15Z",
            "+12026-11-02T09:15:00Z",
            "2026-1x-02T09:15:00Z",
            "2026-11-02T09:15:0-Z",
            "2026-11-02T09:15:00,5Z",
            "yesterday")) {
      assertNull(IsoInstants.parseUtc(text), text);
    }
    // And a leap day in a leap year is read
    assertEquals(
        Instant.parse("2024-02-29T12:00:00.5Z"), IsoInstants.parseUtc("2024-02-29T12:00:00.5Z"));
  }

  @Test
  void shouldReadTheSameTimestampsThroughTheCodecAsBefore() throws Exception {
    // The codec's fallback still reads offsets and still names a bad text
    String base = "{\"eventId\":\"e-1\",\"agentId\":\"a-1\",\"tool\":\"t\",\"occurredAt\":";
    assertEquals(
        Instant.parse("2026-11-02T08:15:00Z"),
        JsonContractCodec.readAction(base + "\"2026-11-02T09:15:00+01:00\"}").getOccurredAt());
    assertEquals(
        Instant.parse("2026-11-02T09:15:00.123456789Z"),
        JsonContractCodec.readAction(base + "\"2026-11-02T09:15:00.123456789Z\"}").getOccurredAt());
  }

  @Test
  void shouldWriteEveryInstantAsInstantToStringDoes() {
    // Given 200,000 instants from year 0 to 9999 (seed 12) with no fraction, milliseconds,
    // microseconds or nanoseconds, the first and last instants written fast, and a few beyond them
    SplittableRandom random = new SplittableRandom(12);
    long min = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
    long max = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
    List<Instant> instants =
        new java.util.ArrayList<>(
            List.of(
                Instant.ofEpochSecond(min),
                Instant.ofEpochSecond(max, 999_999_999),
                Instant.ofEpochSecond(min - 1),
                Instant.ofEpochSecond(max + 1),
                Instant.EPOCH,
                Instant.ofEpochMilli(-1),
                Instant.parse("2024-02-29T23:59:59.100Z"),
                Instant.MIN,
                Instant.MAX));
    for (int i = 0; i < 200_000; i++) {
      int nanos =
          switch (i % 4) {
            case 0 -> 0;
            case 1 -> random.nextInt(1_000) * 1_000_000;
            case 2 -> random.nextInt(1_000_000) * 1_000;
            default -> random.nextInt(1_000_000_000);
          };
      instants.add(Instant.ofEpochSecond(random.nextLong(min, max + 1), nanos));
    }

    // When each is written, Then the text is Instant.toString's
    for (Instant instant : instants) {
      assertEquals(instant.toString(), IsoInstants.format(instant));
    }
  }
}
