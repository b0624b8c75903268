package dev.chaperone.streams.contract;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;

/**
 * Reads the one ISO-8601 form agents and gateways nearly always send, {@code
 * yyyy-MM-ddTHH:mm:ss[.f…]Z} (UTC, one to nine fraction digits), without the general date-time
 * parser, which costs several times the rest of an event's JSON. Anything else, such as an offset,
 * a leap second or a year beyond four digits, is left to {@link Instant#parse} by returning null.
 * Writes instants as {@link Instant#toString} does, without the general formatter either (every
 * score line and every action of a written trace has one). Thread-safe (stateless).
 */
public final class IsoInstants {

  /** 0000-01-01 and 9999-12-31: the years {@link #format} writes itself. */
  private static final long FIRST_DAY = LocalDate.of(0, 1, 1).toEpochDay();

  private static final long LAST_DAY = LocalDate.of(9999, 12, 31).toEpochDay();

  private IsoInstants() {}

  /**
   * The instant {@code text} denotes if it is in the UTC form above and a valid date and time; null
   * when it is in another form or not a valid date (the caller then parses it the general way,
   * which gives the same instant or the error).
   */
  static Instant parseUtc(String text) {
    int length = text.length();
    if (length < 20
        || length > 30
        || length == 21
        || text.charAt(length - 1) != 'Z'
        || text.charAt(4) != '-'
        || text.charAt(7) != '-'
        || text.charAt(10) != 'T'
        || text.charAt(13) != ':'
        || text.charAt(16) != ':') {
      return null;
    }
    int year = digits(text, 0, 4);
    int month = digits(text, 5, 2);
    int day = digits(text, 8, 2);
    int hour = digits(text, 11, 2);
    int minute = digits(text, 14, 2);
    int second = digits(text, 17, 2);
    if ((year | month | day | hour | minute | second) < 0
        || hour > 23
        || minute > 59
        || second > 59) {
      return null;
    }
    int nanos = 0;
    if (length > 20) {
      if (text.charAt(19) != '.') {
        return null;
      }
      int fraction = length - 21;
      int value = digits(text, 20, fraction);
      if (value < 0) {
        return null;
      }
      for (int i = fraction; i < 9; i++) {
        value *= 10;
      }
      nanos = value;
    }
    long epochDay;
    try {
      epochDay = LocalDate.of(year, month, day).toEpochDay();
    } catch (DateTimeException e) {
      return null;
    }
    return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3_600L + minute * 60L + second, nanos);
  }

  /**
   * {@code instant} as {@link Instant#toString} writes it: {@code yyyy-MM-ddTHH:mm:ss}, a fraction
   * of 3, 6 or 9 digits unless it is 0, then {@code Z}. Years outside 0000–9999 are left to {@link
   * Instant#toString}.
   */
  public static String format(Instant instant) {
    long seconds = instant.getEpochSecond();
    long epochDay = Math.floorDiv(seconds, 86_400L);
    if (epochDay < FIRST_DAY || epochDay > LAST_DAY) {
      return instant.toString();
    }
    LocalDate date = LocalDate.ofEpochDay(epochDay);
    int secondOfDay = (int) Math.floorMod(seconds, 86_400L);
    int nanos = instant.getNano();
    char[] out = new char[30];
    put(out, 0, date.getYear(), 4);
    out[4] = '-';
    put(out, 5, date.getMonthValue(), 2);
    out[7] = '-';
    put(out, 8, date.getDayOfMonth(), 2);
    out[10] = 'T';
    put(out, 11, secondOfDay / 3_600, 2);
    out[13] = ':';
    put(out, 14, secondOfDay / 60 % 60, 2);
    out[16] = ':';
    put(out, 17, secondOfDay % 60, 2);
    int end = 19;
    if (nanos != 0) {
      out[end++] = '.';
      if (nanos % 1_000_000 == 0) {
        put(out, end, nanos / 1_000_000, 3);
        end += 3;
      } else if (nanos % 1_000 == 0) {
        put(out, end, nanos / 1_000, 6);
        end += 6;
      } else {
        put(out, end, nanos, 9);
        end += 9;
      }
    }
    out[end++] = 'Z';
    return new String(out, 0, end);
  }

  /** Writes {@code value} as {@code width} decimal digits at {@code at}, zero-padded. */
  private static void put(char[] out, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      out[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }

  /**
   * The decimal value of {@code count} ASCII digits at {@code from}, or -1 if one is not a digit.
   */
  private static int digits(String text, int from, int count) {
    int value = 0;
    for (int i = from; i < from + count; i++) {
      int digit = text.charAt(i) - '0';
      if (digit < 0 || digit > 9) {
        return -1;
      }
      value = value * 10 + digit;
    }
    return value;
  }
}
