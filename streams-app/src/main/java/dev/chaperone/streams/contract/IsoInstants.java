package dev.chaperone.streams.contract;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;

/**
 * Reads the one ISO-8601 form agents and gateways nearly always send, {@code
 * yyyy-MM-ddTHH:mm:ss[.f…]Z} (UTC, one to nine fraction digits), without the general date-time
 * parser, which costs several times the rest of an event's JSON. Anything else, such as an offset,
 * a leap second or a year beyond four digits, is left to {@link Instant#parse} by returning null.
 * Thread-safe (stateless).
 */
final class IsoInstants {

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
