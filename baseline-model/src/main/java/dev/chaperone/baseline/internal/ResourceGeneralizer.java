package dev.chaperone.baseline.internal;

/**
 * Folds the identifiers in a resource into a placeholder so that resources of one family share a
 * key: {@code forum://thread/8812} and {@code forum://thread/9920} both become {@code
 * forum://thread/{id}}, while {@code repo://acme/payments} stays as it is.
 *
 * <p>The resource is cut at {@code / : ? & = # , ; @} and whitespace; a piece that is a UUID is
 * folded whole; otherwise each part between {@code - _ .} is folded when it is all digits, a hex
 * string of 8 or more characters with a digit, or 6 or more characters of which at least 3 and 30%
 * are digits (ticket numbers, IBANs, prefixed ids). Single pass, no regular expressions.
 */
public final class ResourceGeneralizer {

  public static final String PLACEHOLDER = "{id}";

  private ResourceGeneralizer() {}

  /** The generalised form of {@code resource}; null stays null. */
  public static String generalize(String resource) {
    if (resource == null) {
      return null;
    }
    StringBuilder out = new StringBuilder(resource.length());
    generalize(resource, out);
    return out.toString();
  }

  /** Appends the generalised form of {@code resource} to {@code out}. */
  public static void generalize(String resource, StringBuilder out) {
    int n = resource.length();
    int start = 0;
    for (int i = 0; i <= n; i++) {
      if (i == n || isMajor(resource.charAt(i))) {
        piece(resource, start, i, out);
        if (i < n) {
          out.append(resource.charAt(i));
        }
        start = i + 1;
      }
    }
  }

  private static boolean isMajor(char c) {
    return c == '/' || c == ':' || c == '?' || c == '&' || c == '=' || c == '#' || c == ','
        || c == ';' || c == '@' || c == ' ' || c == '\t';
  }

  private static boolean isMinor(char c) {
    return c == '-' || c == '_' || c == '.';
  }

  private static void piece(String s, int from, int to, StringBuilder out) {
    if (to - from == 36 && isUuid(s, from)) {
      out.append(PLACEHOLDER);
      return;
    }
    int start = from;
    for (int i = from; i <= to; i++) {
      if (i == to || isMinor(s.charAt(i))) {
        if (isIdentifier(s, start, i)) {
          out.append(PLACEHOLDER);
        } else {
          out.append(s, start, i);
        }
        if (i < to) {
          out.append(s.charAt(i));
        }
        start = i + 1;
      }
    }
  }

  private static boolean isUuid(String s, int from) {
    for (int i = 0; i < 36; i++) {
      char c = s.charAt(from + i);
      boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash ? c != '-' : !isHex(c)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isIdentifier(String s, int from, int to) {
    int length = to - from;
    if (length == 0) {
      return false;
    }
    int digits = 0;
    boolean allHex = true;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') {
        digits++;
      } else if (!isHex(c)) {
        allHex = false;
      }
    }
    if (digits == length) {
      return true;
    }
    if (allHex && length >= 8 && digits > 0) {
      return true;
    }
    return length >= 6 && digits >= 3 && digits * 10 >= length * 3;
  }

  private static boolean isHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }
}
