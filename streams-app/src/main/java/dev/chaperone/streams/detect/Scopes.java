package dev.chaperone.streams.detect;

import dev.chaperone.schema.ActionType;
import java.util.List;

/**
 * Scope arithmetic for credentials and delegation hops. A granted scope covers a requested one when
 * they are equal, the granted one is {@code *}, or the granted one, read as a glob where {@code *}
 * matches anything, matches it ({@code forum:*} covers {@code forum:write}; {@code write:*} covers
 * {@code write:repo}).
 */
public final class Scopes {

  private Scopes() {}

  public static boolean covers(String granted, String requested) {
    if (granted.equals(requested) || granted.equals("*")) {
      return true;
    }
    return granted.indexOf('*') >= 0 && Globs.matches(granted.replace("*", "**"), requested);
  }

  public static boolean coveredByAny(List<String> granted, String requested) {
    for (String g : granted) {
      if (covers(g, requested)) {
        return true;
      }
    }
    return false;
  }

  /** The first of {@code child} not covered by {@code parent}, or null when all are. */
  public static String firstNotCovered(List<String> parent, List<String> child) {
    for (String c : child) {
      if (!coveredByAny(parent, c)) {
        return c;
      }
    }
    return null;
  }

  /**
   * The scope an action needs: {@code <tool prefix>:read} for reads, {@code :write} for writes,
   * publishing, execution, exports and network calls, {@code :admin} for permission changes; null
   * for tool calls and other actions, whose scope cannot be told. An explicit {@code
   * chaperone.required_scope} attribute wins.
   */
  public static String required(
      String tool, ActionType type, java.util.Map<String, String> attributes) {
    String explicit = attributes.get("chaperone.required_scope");
    if (explicit != null && !explicit.isBlank()) {
      return explicit;
    }
    int dot = tool.indexOf('.');
    String prefix = dot > 0 ? tool.substring(0, dot) : tool;
    return switch (type) {
      case RESOURCE_READ -> prefix + ":read";
      case RESOURCE_WRITE,
          MESSAGE_PUBLISH,
          CODE_EXECUTION,
          NETWORK_REQUEST,
          DATA_EXPORT,
          CREDENTIAL_USE ->
          prefix + ":write";
      case PERMISSION_CHANGE -> prefix + ":admin";
      default -> null;
    };
  }
}
