package dev.chaperone.streams.detect;

import java.util.List;

/**
 * Glob patterns of the registry: {@code *} matches any run of characters but {@code /}, {@code **}
 * any run at all, {@code ?} one character. {@code forum.*} matches {@code forum.post}; {@code
 * forum://infra/**} matches everything under {@code forum://infra/}. No regular expressions, so a
 * hostile pattern cannot blow up matching time beyond O(pattern × text).
 */
public final class Globs {

  private Globs() {}

  /** Whether any pattern matches {@code text}. */
  public static boolean anyMatch(List<String> patterns, String text) {
    for (String pattern : patterns) {
      if (matches(pattern, text)) {
        return true;
      }
    }
    return false;
  }

  public static boolean matches(String pattern, String text) {
    // The registry's patterns are nearly all a literal, a literal then "**", or a literal then
    // "*": those are answered without the table, which every action would otherwise allocate for
    // each declared tool and scope (2 % of the detector's allocation).
    int wildcard = firstWildcard(pattern);
    if (wildcard < 0) {
      return pattern.equals(text);
    }
    int tail = pattern.length() - wildcard;
    if (tail <= 2
        && (tail == 1 || pattern.charAt(wildcard + 1) == '*')
        && pattern.charAt(wildcard) == '*') {
      if (!text.regionMatches(0, pattern, 0, wildcard)) {
        return false;
      }
      return tail == 2 || text.indexOf('/', wildcard) < 0;
    }
    return general(pattern, text);
  }

  /** The table-driven matcher every pattern shape goes through but the three above. */
  static boolean general(String pattern, String text) {
    return match(pattern, 0, text, 0, new byte[(pattern.length() + 1) * (text.length() + 1)]);
  }

  private static int firstWildcard(String pattern) {
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      if (c == '*' || c == '?') {
        return i;
      }
    }
    return -1;
  }

  // memo: 0 unknown, 1 true, 2 false
  private static boolean match(String p, int pi, String t, int ti, byte[] memo) {
    int cell = pi * (t.length() + 1) + ti;
    if (memo[cell] != 0) {
      return memo[cell] == 1;
    }
    boolean result;
    if (pi == p.length()) {
      result = ti == t.length();
    } else if (p.charAt(pi) == '*') {
      boolean deep = pi + 1 < p.length() && p.charAt(pi + 1) == '*';
      int next = deep ? pi + 2 : pi + 1;
      result =
          match(p, next, t, ti, memo)
              || (ti < t.length()
                  && (deep || t.charAt(ti) != '/')
                  && match(p, pi, t, ti + 1, memo));
    } else if (ti < t.length() && (p.charAt(pi) == '?' || p.charAt(pi) == t.charAt(ti))) {
      result = match(p, pi + 1, t, ti + 1, memo);
    } else {
      result = false;
    }
    memo[cell] = (byte) (result ? 1 : 2);
    return result;
  }
}
