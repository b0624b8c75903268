package dev.chaperone.streams.detect;

import dev.chaperone.alerting.Finding;
import dev.chaperone.alerting.Rule;
import dev.chaperone.schema.ActionType;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.AgentStatus;
import dev.chaperone.schema.Credential;
import dev.chaperone.schema.DelegationHop;
import dev.chaperone.schema.PrincipalType;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The stateless rules of gaps 1, 2 and 4: what can be told from one action, its agent's
 * registration and the config. Each method appends its findings. Rules that need memory across
 * events (unregistered-agent suppression, shared credentials and principals) live in the processor.
 */
public final class ActionChecks {

  private ActionChecks() {}

  /** Gap 1, given a registration (null when the agent is unregistered: see the processor). */
  public static void registry(
      AgentAction action, AgentRegistration registration, List<Finding> out) {
    if (registration == null) {
      return;
    }
    if (registration.getStatus() != AgentStatus.ACTIVE) {
      out.add(
          Finding.of(
              Rule.AGENT_NOT_ACTIVE,
              "agent "
                  + action.getAgentId()
                  + " is "
                  + registration.getStatus()
                  + " in the registry but performed "
                  + action.getTool()));
    }
    if (!Globs.anyMatch(registration.getTools(), action.getTool())) {
      out.add(
          Finding.of(
              Rule.UNDECLARED_TOOL,
              "tool "
                  + action.getTool()
                  + " is not among the declared tools "
                  + registration.getTools()));
    }
    String resource = action.getResource();
    if (resource != null
        && !registration.getResourceScopes().isEmpty()
        && !Globs.anyMatch(registration.getResourceScopes(), resource)) {
      out.add(
          Finding.of(
              Rule.RESOURCE_OUT_OF_SCOPE,
              "resource "
                  + resource
                  + " is outside the declared scopes "
                  + registration.getResourceScopes()));
    }
    Credential credential = action.getCredential();
    if (credential != null
        && credential.getSubject() != null
        && !credential.getSubject().equals(action.getAgentId())) {
      out.add(
          Finding.of(
              Rule.SHARED_PRINCIPAL,
              "credential "
                  + credential.getTokenId()
                  + " was issued to "
                  + credential.getSubject()
                  + ", not to the acting agent "
                  + action.getAgentId()));
    }
    if (registration.getApprovalRequiredFor().contains(action.getActionType())
        && action.getApproval() == null) {
      out.add(
          Finding.of(
              Rule.APPROVAL_MISSING,
              action.getActionType()
                  + " by "
                  + action.getAgentId()
                  + " ("
                  + action.getTool()
                  + (action.getResource() == null ? "" : " on " + action.getResource())
                  + ") needs a human approval by registry policy and carried none"));
    }
  }

  /** Gap 2. */
  public static void credential(
      AgentAction action,
      AgentRegistration registration,
      EffectiveConfig config,
      List<Finding> out) {
    Credential c = action.getCredential();
    if (c == null) {
      return;
    }
    Instant at = action.getOccurredAt();
    String token = "credential " + c.getTokenId();
    if (c.getExpiresAt() != null && c.getExpiresAt().isBefore(at)) {
      out.add(
          Finding.of(
              Rule.CREDENTIAL_EXPIRED,
              token
                  + " expired at "
                  + c.getExpiresAt()
                  + ", "
                  + human(Duration.between(c.getExpiresAt(), at))
                  + " before it was used"));
    }
    if (c.getExpiresAt() == null) {
      out.add(
          Finding.of(
              Rule.CREDENTIAL_NO_EXPIRY,
              token
                  + " never expires"
                  + (c.getIssuedAt() == null
                      ? ""
                      : " (issued "
                          + c.getIssuedAt()
                          + ", "
                          + human(Duration.between(c.getIssuedAt(), at))
                          + " ago)")));
    } else if (c.getIssuedAt() != null) {
      long ttl = Duration.between(c.getIssuedAt(), c.getExpiresAt()).toMillis();
      boolean fromRegistry = registration != null && registration.getMaxCredentialTtlMs() != null;
      long max = fromRegistry ? registration.getMaxCredentialTtlMs() : config.maxCredentialTtlMs();
      if (ttl > max) {
        out.add(
            Finding.of(
                Rule.CREDENTIAL_TTL_OVER_POLICY,
                token
                    + " lives "
                    + human(Duration.ofMillis(ttl))
                    + ", over the "
                    + human(Duration.ofMillis(max))
                    + " allowed by "
                    + (fromRegistry ? "the agent's registration" : "the detector config")));
      }
    }
    for (String scope : c.getScopes()) {
      for (String wildcard : config.wildcardScopes()) {
        if (scope.equalsIgnoreCase(wildcard)) {
          out.add(
              Finding.of(
                  Rule.CREDENTIAL_WILDCARD_SCOPE,
                  token + " carries the wildcard or admin scope " + scope));
          break;
        }
      }
    }
    if (c.getSessionId() == null && c.getTaskId() == null) {
      out.add(
          Finding.of(
              Rule.CREDENTIAL_NOT_SESSION_BOUND, token + " is bound to no session and no task"));
    } else if (c.getSessionId() != null
        && action.getSessionId() != null
        && !c.getSessionId().equals(action.getSessionId())) {
      out.add(
          Finding.of(
              Rule.CREDENTIAL_SESSION_MISMATCH,
              token
                  + " is bound to session "
                  + c.getSessionId()
                  + " but was used in session "
                  + action.getSessionId()));
    }
  }

  /** Gap 4. */
  public static void delegation(AgentAction action, EffectiveConfig config, List<Finding> out) {
    List<DelegationHop> chain = action.getDelegation();
    if (chain.isEmpty()) {
      out.add(
          Finding.of(
              Rule.DELEGATION_MISSING,
              "the action carries no delegation chain: nobody can tell who asked for it"));
      return;
    }
    Instant at = action.getOccurredAt();
    DelegationHop first = chain.get(0);
    if (first.getPrincipalType() != PrincipalType.HUMAN) {
      out.add(
          Finding.atHop(
              Rule.NO_HUMAN_ORIGIN,
              0,
              "the chain starts at "
                  + first.getPrincipalType()
                  + " "
                  + first.getPrincipal()
                  + ", not at a human"));
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < chain.size(); i++) {
      DelegationHop hop = chain.get(i);
      if (!seen.add(hop.getPrincipal())) {
        out.add(
            Finding.atHop(
                Rule.DELEGATION_CYCLE,
                i,
                hop.getPrincipal() + " appears twice in the chain (again at hop " + i + ")"));
      }
      if (i > 0) {
        DelegationHop previous = chain.get(i - 1);
        if (hop.getDelegatedBy() == null || !hop.getDelegatedBy().equals(previous.getPrincipal())) {
          out.add(
              Finding.atHop(
                  Rule.BROKEN_LINK,
                  i,
                  "hop "
                      + i
                      + " ("
                      + hop.getPrincipal()
                      + ") was delegated by "
                      + hop.getDelegatedBy()
                      + ", but the previous hop is "
                      + previous.getPrincipal()));
        }
        String widened = Scopes.firstNotCovered(previous.getScopes(), hop.getScopes());
        if (widened != null) {
          out.add(
              Finding.atHop(
                  Rule.SCOPE_ESCALATION,
                  i,
                  "hop "
                      + i
                      + " ("
                      + hop.getPrincipal()
                      + ") holds "
                      + widened
                      + ", which "
                      + previous.getPrincipal()
                      + " never had "
                      + previous.getScopes()));
        }
      }
      if (hop.getExpiresAt() != null && hop.getExpiresAt().isBefore(at)) {
        out.add(
            Finding.atHop(
                Rule.GRANT_EXPIRED,
                i,
                "the grant of hop "
                    + i
                    + " ("
                    + hop.getPrincipal()
                    + ") expired at "
                    + hop.getExpiresAt()
                    + ", "
                    + human(Duration.between(hop.getExpiresAt(), at))
                    + " before the action"));
      }
    }
    DelegationHop last = chain.get(chain.size() - 1);
    if (!last.getPrincipal().equals(action.getAgentId())) {
      out.add(
          Finding.atHop(
              Rule.ACTOR_MISMATCH,
              chain.size() - 1,
              "the chain ends at "
                  + last.getPrincipal()
                  + " but "
                  + action.getAgentId()
                  + " performed the action"));
    }
    String required =
        Scopes.required(action.getTool(), action.getActionType(), action.getAttributes());
    if (required != null && !Scopes.coveredByAny(last.getScopes(), required)) {
      out.add(
          Finding.atHop(
              Rule.SCOPE_ESCALATION,
              chain.size() - 1,
              action.getActionType()
                  + " with "
                  + action.getTool()
                  + " needs "
                  + required
                  + ", outside the delegated scopes "
                  + last.getScopes()));
    }
    if (chain.size() > config.maxDelegationDepth()) {
      out.add(
          Finding.of(
              Rule.CHAIN_TOO_DEEP,
              "the chain has "
                  + chain.size()
                  + " hops, more than the "
                  + config.maxDelegationDepth()
                  + " allowed"));
    }
    requestDrift(action, first, out);
  }

  private static void requestDrift(AgentAction action, DelegationHop first, List<Finding> out) {
    String request = first.getRequestRef() != null ? first.getRequestRef() : action.getRequestRef();
    if (request == null || !changesSomething(action.getActionType())) {
      return;
    }
    String target = action.getResource();
    if (action.getActionType() == ActionType.PERMISSION_CHANGE
        || target == null
        || !related(request, target)) {
      out.add(
          Finding.of(
              Rule.REQUEST_DRIFT,
              "the originating request was about "
                  + request
                  + ", but the agent performed "
                  + action.getActionType()
                  + " with "
                  + action.getTool()
                  + (target == null ? "" : " on " + target)));
    }
  }

  /**
   * Reading around is how agents work; changing, publishing or exporting is what must stay on
   * topic.
   */
  private static boolean changesSomething(ActionType type) {
    return switch (type) {
      case RESOURCE_WRITE,
          PERMISSION_CHANGE,
          MESSAGE_PUBLISH,
          DATA_EXPORT,
          CODE_EXECUTION,
          NETWORK_REQUEST ->
          true;
      default -> false;
    };
  }

  /** The target is the request itself, below it, or above it. */
  static boolean related(String request, String target) {
    if (request.equals(target)) {
      return true;
    }
    return isBelow(target, request) || isBelow(request, target);
  }

  private static boolean isBelow(String child, String parent) {
    return child.length() > parent.length()
        && child.startsWith(parent)
        && "/#?".indexOf(child.charAt(parent.length())) >= 0;
  }

  static String human(Duration d) {
    long seconds = Math.abs(d.getSeconds());
    if (seconds >= 86_400 * 2) {
      return (seconds / 86_400) + " days";
    }
    if (seconds >= 7_200) {
      return (seconds / 3_600) + " hours";
    }
    if (seconds >= 120) {
      return (seconds / 60) + " minutes";
    }
    return seconds + " seconds";
  }
}
