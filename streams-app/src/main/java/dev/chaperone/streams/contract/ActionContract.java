package dev.chaperone.streams.contract;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.Credential;
import dev.chaperone.schema.DelegationHop;
import dev.chaperone.streams.fleet.UnregisteredAgents;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The checks a decoded {@link AgentAction} must pass before detection sees it: required identifiers
 * present, a sane event time, and hard bounds on every collection and string so that one record
 * cannot blow up state or memory. A record failing them goes to the dead-letter topic.
 *
 * <p>The bounds are generous for real agents (a 64-hop delegation chain, 256 attributes) and exist
 * to stop hostile or broken producers; a chain deeper than the configured policy but within these
 * bounds is scored and raises {@code CHAIN_TOO_DEEP} instead.
 */
public final class ActionContract {

  /** Longest identifier (ids, tool, resource, scope) accepted, in characters. */
  public static final int MAX_STRING_CHARS = 4_096;

  /** Most delegation hops accepted on one event. */
  public static final int MAX_DELEGATION_HOPS = 64;

  /** Most scopes accepted on a credential or a hop. */
  public static final int MAX_SCOPES = 256;

  /** Most attributes accepted on one event. */
  public static final int MAX_ATTRIBUTES = 256;

  /** Longest attribute value accepted, in characters. */
  public static final int MAX_ATTRIBUTE_CHARS = 8_192;

  private final long futureToleranceMs;

  /**
   * @param futureToleranceMs how far ahead of the wall clock an event may be dated
   */
  public ActionContract(long futureToleranceMs) {
    if (futureToleranceMs < 0) {
      throw new IllegalArgumentException(
          "futureToleranceMs must be >= 0, was " + futureToleranceMs);
    }
    this.futureToleranceMs = futureToleranceMs;
  }

  /**
   * Checks {@code action} as received at wall-clock time {@code nowMs}.
   *
   * @throws ContractViolationException naming the first field that breaks the contract
   */
  public void validate(AgentAction action, long nowMs) throws ContractViolationException {
    requireId(action.getEventId(), "eventId");
    requireId(action.getAgentId(), "agentId");
    agentId(action.getAgentId());
    requireId(action.getTool(), "tool");
    Instant occurredAt = action.getOccurredAt();
    if (occurredAt == null || occurredAt.toEpochMilli() < 0) {
      throw new ContractViolationException(
          "occurredAt",
          "negative timestamp "
              + (occurredAt == null ? "null" : occurredAt.toEpochMilli())
              + " (before 1970)");
    }
    if (occurredAt.toEpochMilli() > nowMs + futureToleranceMs) {
      throw new ContractViolationException(
          "occurredAt",
          "dated "
              + occurredAt
              + ", more than "
              + futureToleranceMs
              + " ms after the time it was received ("
              + Instant.ofEpochMilli(nowMs)
              + ")");
    }
    bounded(action.getAgentVersion(), "agentVersion");
    bounded(action.getSessionId(), "sessionId");
    bounded(action.getRequestRef(), "requestRef");
    bounded(action.getOperation(), "operation");
    bounded(action.getResource(), "resource");
    if (action.getOutput() != null) {
      bounded(action.getOutput().getChannel(), "output.channel");
      bounded(action.getOutput().getAudience(), "output.audience");
      bounded(action.getOutput().getContentClass(), "output.contentClass");
    }
    if (action.getApproval() != null) {
      requireId(action.getApproval().getApprovedBy(), "approval.approvedBy");
    }
    Credential credential = action.getCredential();
    if (credential != null) {
      requireId(credential.getTokenId(), "credential.tokenId");
      bounded(credential.getSubject(), "credential.subject");
      bounded(credential.getSessionId(), "credential.sessionId");
      bounded(credential.getTaskId(), "credential.taskId");
      scopes(credential.getScopes(), "credential.scopes");
    }
    List<DelegationHop> chain = action.getDelegation();
    if (chain.size() > MAX_DELEGATION_HOPS) {
      throw new ContractViolationException(
          "delegation", chain.size() + " hops, more than the " + MAX_DELEGATION_HOPS + " accepted");
    }
    for (int i = 0; i < chain.size(); i++) {
      DelegationHop hop = chain.get(i);
      String path = HOP_PATHS[i];
      requireId(hop.getPrincipal(), path, ".principal");
      bounded(hop.getDelegatedBy(), path, ".delegatedBy");
      bounded(hop.getGrantId(), path, ".grantId");
      bounded(hop.getRequestRef(), path, ".requestRef");
      scopes(hop.getScopes(), path, ".scopes");
    }
    Map<String, String> attributes = action.getAttributes();
    if (attributes.size() > MAX_ATTRIBUTES) {
      throw new ContractViolationException(
          "attributes",
          attributes.size() + " entries, more than the " + MAX_ATTRIBUTES + " accepted");
    }
    for (Map.Entry<String, String> entry : attributes.entrySet()) {
      bounded(entry.getKey(), "attributes (a key)");
      if (entry.getValue() != null && entry.getValue().length() > MAX_ATTRIBUTE_CHARS) {
        throw new ContractViolationException(
            "attributes." + abbreviate(entry.getKey()),
            entry.getValue().length()
                + " characters, more than the "
                + MAX_ATTRIBUTE_CHARS
                + " accepted");
      }
    }
  }

  /**
   * Agent ids key state and alerts: no control characters (they would forge lines in the SOC's
   * views and break the stores' key layout) and not Chaperone's reserved prefix.
   */
  private static void agentId(String value) throws ContractViolationException {
    if (value.startsWith(UnregisteredAgents.RESERVED_PREFIX)) {
      throw new ContractViolationException(
          "agentId",
          "starts with \""
              + UnregisteredAgents.RESERVED_PREFIX
              + "\", which Chaperone reserves for its fleet-level alerts");
    }
    for (int i = 0; i < value.length(); i++) {
      if (Character.isISOControl(value.charAt(i))) {
        throw new ContractViolationException(
            "agentId",
            "contains the control character U+"
                + String.format("%04X", (int) value.charAt(i))
                + " at index "
                + i);
      }
    }
  }

  /**
   * {@code delegation[i]} for every hop the contract accepts, made once: the checks run on every
   * event and join a field's name to its path only to report it.
   */
  private static final String[] HOP_PATHS = new String[MAX_DELEGATION_HOPS];

  static {
    for (int i = 0; i < HOP_PATHS.length; i++) {
      HOP_PATHS[i] = "delegation[" + i + "]";
    }
  }

  private static void requireId(String value, String path) throws ContractViolationException {
    requireId(value, path, "");
  }

  /** A non-empty id within bounds; {@code path + field} names it when it is not. */
  private static void requireId(String value, String path, String field)
      throws ContractViolationException {
    if (value == null || value.isBlank()) {
      throw new ContractViolationException(path + field, "missing: must be a non-empty string");
    }
    bounded(value, path, field);
  }

  private static void bounded(String value, String path) throws ContractViolationException {
    bounded(value, path, "");
  }

  /** At most {@link #MAX_STRING_CHARS} characters; {@code path + field} names it when longer. */
  private static void bounded(String value, String path, String field)
      throws ContractViolationException {
    if (value != null && value.length() > MAX_STRING_CHARS) {
      throw new ContractViolationException(
          path + field,
          value.length() + " characters, more than the " + MAX_STRING_CHARS + " accepted");
    }
  }

  private static void scopes(List<String> scopes, String path) throws ContractViolationException {
    scopes(scopes, path, "");
  }

  /** At most {@link #MAX_SCOPES} scopes, each bounded; {@code path + field} names them. */
  private static void scopes(List<String> scopes, String path, String field)
      throws ContractViolationException {
    if (scopes.size() > MAX_SCOPES) {
      throw new ContractViolationException(
          path + field, scopes.size() + " scopes, more than the " + MAX_SCOPES + " accepted");
    }
    for (int i = 0; i < scopes.size(); i++) {
      String scope = scopes.get(i);
      if (scope != null && scope.length() > MAX_STRING_CHARS) {
        bounded(scope, path + field + "[" + i + "]");
      }
    }
  }

  private static String abbreviate(String text) {
    return text.length() <= 40 ? text : text.substring(0, 37) + "...";
  }
}
