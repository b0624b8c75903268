package dev.chaperone.streams.processor;

import dev.chaperone.streams.contract.IsoInstants;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;

/**
 * The JSON form of an {@link EventScore}, one per event on the scores topic and in {@code replay
 * --scores}: {@code eventId, agentId, sessionId, occurredAt} (ISO-8601), {@code eventScore,
 * sessionScore} (σ, rounded to three decimals), {@code warmup, state, topSignals}.
 *
 * <p>Written byte by byte, as Jackson's generator writes it (the same escapes, numbers as {@link
 * Double#toString}, other non-ASCII as UTF-8), without a generator per record: Jackson took 3.5 %
 * of the stream threads in {@code chaperone bench}, a third of that formatting doubles and a tenth
 * making and closing the generator (1.9 % now). A score rounded to a fixed number of decimals is
 * written from its integer count of those decimals; any other value goes through {@link
 * Double#toString}, and a test holds the two equal. Stateless and thread-safe.
 */
public final class ScoreJson {

  private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

  private ScoreJson() {}

  /** {@code score} as UTF-8 JSON. */
  public static byte[] render(EventScore score) {
    Out out = new Out();
    out.raw("{\"eventId\":").string(score.eventId());
    out.raw(",\"agentId\":").string(score.agentId());
    out.raw(",\"sessionId\":").string(score.sessionId());
    out.raw(",\"occurredAt\":")
        .string(IsoInstants.format(Instant.ofEpochMilli(score.occurredAt())));
    out.raw(",\"eventScore\":").number(Math.round(score.eventScore() * 1000) / 1000.0);
    out.raw(",\"sessionScore\":").number(Math.round(score.sessionScore() * 1000) / 1000.0);
    out.raw(score.warmup() ? ",\"warmup\":true" : ",\"warmup\":false");
    out.raw(",\"state\":").string(score.state());
    out.raw(",\"topSignals\":{");
    boolean first = true;
    for (Map.Entry<String, Double> signal : score.topSignals().entrySet()) {
      if (!first) {
        out.raw(",");
      }
      first = false;
      out.string(signal.getKey()).raw(":").number(signal.getValue());
    }
    return out.raw("}}").bytes();
  }

  /**
   * {@code value} as {@link Double#toString} writes it: directly when it is a whole number of
   * thousandths under 10^7 in magnitude (the rounded scores), else through {@code Double.toString}.
   */
  static String number(double value) {
    Out out = new Out();
    out.number(value);
    return new String(out.bytes(), StandardCharsets.US_ASCII);
  }

  /** A growable byte buffer with JSON's string escapes. */
  private static final class Out {
    private byte[] buf = new byte[384]; // a score is ~300 bytes
    private int len;

    Out raw(String ascii) {
      ensure(ascii.length());
      for (int i = 0; i < ascii.length(); i++) {
        buf[len++] = (byte) ascii.charAt(i);
      }
      return this;
    }

    /**
     * A JSON string: {@code null} as {@code null}; escapes as Jackson's generator writes them
     * (short ones for quote, backslash and {@code \b \f \n \r \t}, backslash-{@code u00XX} for
     * other control characters, backslash-{@code uXXXX} for each surrogate, paired or not), other
     * non-ASCII as UTF-8.
     */
    Out string(String value) {
      if (value == null) {
        return raw("null");
      }
      ensure(value.length() + 2);
      buf[len++] = '"';
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
          ensure(1);
          buf[len++] = (byte) c;
        } else if (c < 0x80 || Character.isSurrogate(c)) {
          escape(c);
        } else {
          int end = i + 1;
          while (end < value.length()
              && value.charAt(end) >= 0x80
              && !Character.isSurrogate(value.charAt(end))) {
            end++;
          }
          byte[] utf8 = value.substring(i, end).getBytes(StandardCharsets.UTF_8);
          ensure(utf8.length);
          System.arraycopy(utf8, 0, buf, len, utf8.length);
          len += utf8.length;
          i = end - 1;
        }
      }
      ensure(1);
      buf[len++] = '"';
      return this;
    }

    private void escape(char c) {
      ensure(6);
      buf[len++] = '\\';
      switch (c) {
        case '"' -> buf[len++] = '"';
        case '\\' -> buf[len++] = '\\';
        case '\b' -> buf[len++] = 'b';
        case '\f' -> buf[len++] = 'f';
        case '\n' -> buf[len++] = 'n';
        case '\r' -> buf[len++] = 'r';
        case '\t' -> buf[len++] = 't';
        default -> {
          buf[len++] = 'u';
          buf[len++] = HEX[c >> 12];
          buf[len++] = HEX[(c >> 8) & 0xF];
          buf[len++] = HEX[(c >> 4) & 0xF];
          buf[len++] = HEX[c & 0xF];
        }
      }
    }

    Out number(double value) {
      if (!thousandths(value)) {
        raw(Double.toString(value));
      }
      return this;
    }

    /**
     * Writes {@code value} if it is exactly {@code units / 1000.0} for an integer {@code units} (so
     * also any {@code units / 100.0}, the same real number rounded the same way) and under 10^7 in
     * magnitude: the digits of {@code units} with the point three places from the right, trailing
     * zeros of the fraction dropped but one kept, as {@code Double.toString} prints it.
     */
    private boolean thousandths(double value) {
      if (!(Math.abs(value) < 1e7)) {
        return false;
      }
      long units = Math.round(value * 1000);
      if (units / 1000.0 != value || (units == 0 && 1 / value < 0)) {
        return false; // not a whole number of thousandths, or -0.0
      }
      long whole = Math.abs(units) / 1000;
      int fraction = (int) (Math.abs(units) % 1000);
      ensure(24);
      if (units < 0) {
        buf[len++] = '-';
      }
      len += digits(whole, buf, len);
      buf[len++] = '.';
      buf[len++] = (byte) ('0' + fraction / 100);
      if (fraction % 100 != 0) {
        buf[len++] = (byte) ('0' + fraction / 10 % 10);
        if (fraction % 10 != 0) {
          buf[len++] = (byte) ('0' + fraction % 10);
        }
      }
      return true;
    }

    private static int digits(long value, byte[] into, int at) {
      int count = 1;
      for (long rest = value / 10; rest != 0; rest /= 10) {
        count++;
      }
      for (int i = at + count - 1; i >= at; i--) {
        into[i] = (byte) ('0' + value % 10);
        value /= 10;
      }
      return count;
    }

    private void ensure(int more) {
      if (len + more > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
      }
    }

    byte[] bytes() {
      return Arrays.copyOf(buf, len);
    }
  }
}
