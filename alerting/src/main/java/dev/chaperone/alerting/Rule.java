package dev.chaperone.alerting;

import dev.chaperone.schema.Severity;
import java.util.List;

/**
 * The detection catalogue: every rule id that can appear in an alert, with its gap, default
 * severity, title, framework tags and the short response a SOC analyst should take.
 */
public enum Rule {
  UNREGISTERED_AGENT(
      Gap.REGISTRY,
      Severity.HIGH,
      "Unregistered agent is acting",
      List.of("OWASP-LLM06", "MITRE-ATLAS:AML.T0012"),
      "Identify the owner, suspend its credentials until it is registered."),
  AGENT_NOT_ACTIVE(
      Gap.REGISTRY,
      Severity.HIGH,
      "Suspended or retired agent is acting",
      List.of("OWASP-LLM06"),
      "Revoke the agent's credentials; find out who restarted it."),
  UNDECLARED_TOOL(
      Gap.REGISTRY,
      Severity.MEDIUM,
      "Agent used a tool it never declared",
      List.of("OWASP-LLM06"),
      "Check with the owner whether the tool was added on purpose; update the registry or remove the tool."),
  RESOURCE_OUT_OF_SCOPE(
      Gap.REGISTRY,
      Severity.MEDIUM,
      "Agent acted outside its declared resource scope",
      List.of("OWASP-LLM06"),
      "Review the action with the owner; narrow the agent's credential to its declared scope."),
  SHARED_PRINCIPAL(
      Gap.REGISTRY,
      Severity.MEDIUM,
      "Agent acts under a shared or foreign principal",
      List.of("OWASP-LLM06"),
      "Give the agent its own discrete principal; stop sharing service accounts."),

  CREDENTIAL_EXPIRED(
      Gap.CREDENTIAL,
      Severity.HIGH,
      "Agent used an expired credential",
      List.of("OWASP-LLM06"),
      "Find why the expired token was accepted downstream; revoke it."),
  CREDENTIAL_TTL_OVER_POLICY(
      Gap.CREDENTIAL,
      Severity.MEDIUM,
      "Credential lifetime exceeds policy",
      List.of("OWASP-LLM06"),
      "Reissue the credential with a lifetime within policy."),
  CREDENTIAL_NO_EXPIRY(
      Gap.CREDENTIAL,
      Severity.MEDIUM,
      "Credential never expires",
      List.of("OWASP-LLM06"),
      "Replace the long-lived token with a short-lived, session-bound one."),
  CREDENTIAL_WILDCARD_SCOPE(
      Gap.CREDENTIAL,
      Severity.HIGH,
      "Credential carries a wildcard or admin scope",
      List.of("OWASP-LLM06", "OWASP-LLM08"),
      "Reissue the credential with the narrowest scopes the task needs."),
  CREDENTIAL_NOT_SESSION_BOUND(
      Gap.CREDENTIAL,
      Severity.LOW,
      "Credential is not bound to a session or task",
      List.of("OWASP-LLM06"),
      "Issue per-session or per-task tokens."),
  CREDENTIAL_SESSION_MISMATCH(
      Gap.CREDENTIAL,
      Severity.HIGH,
      "Credential used outside the session it is bound to",
      List.of("OWASP-LLM06", "MITRE-ATLAS:AML.T0055"),
      "Treat the token as stolen: revoke it and review the session."),
  CREDENTIAL_SHARED(
      Gap.CREDENTIAL,
      Severity.HIGH,
      "One credential is used by several agents",
      List.of("OWASP-LLM06", "MITRE-ATLAS:AML.T0055"),
      "Treat the token as stolen or shared: revoke it, issue one per agent."),

  BEHAVIOURAL_DEVIATION(
      Gap.BEHAVIOUR,
      Severity.MEDIUM,
      "Agent deviates from its behavioural baseline",
      List.of("OWASP-LLM06", "OWASP-LLM01", "MITRE-ATLAS:AML.T0051"),
      "Read the signals; ask the owner whether the change was expected; contain the session if not."),
  APPROVAL_MISSING(
      Gap.BEHAVIOUR,
      Severity.HIGH,
      "Action that needs human approval had none",
      List.of("OWASP-LLM06"),
      "Roll back the action if possible; find out why the approval gate was bypassed."),

  DELEGATION_MISSING(
      Gap.DELEGATION,
      Severity.MEDIUM,
      "Action carries no delegation chain",
      List.of("OWASP-LLM06"),
      "Make the gateway attach the delegation chain; treat the action as unattributed."),
  NO_HUMAN_ORIGIN(
      Gap.DELEGATION,
      Severity.HIGH,
      "Delegation chain has no human at its origin",
      List.of("OWASP-LLM06"),
      "Find what started the chain; autonomous chains need an accountable human."),
  BROKEN_LINK(
      Gap.DELEGATION,
      Severity.HIGH,
      "Delegation chain has a broken link",
      List.of("OWASP-LLM06"),
      "A hop was not granted by the previous principal: review the token exchange."),
  ACTOR_MISMATCH(
      Gap.DELEGATION,
      Severity.HIGH,
      "Acting agent is not the end of its delegation chain",
      List.of("OWASP-LLM06", "MITRE-ATLAS:AML.T0055"),
      "Another agent is using this chain: treat as impersonation."),
  SCOPE_ESCALATION(
      Gap.DELEGATION,
      Severity.HIGH,
      "Delegation widened its scope",
      List.of("OWASP-LLM06", "OWASP-LLM08"),
      "A hop granted more than it held, or the action exceeds the delegated scope: block and review."),
  GRANT_EXPIRED(
      Gap.DELEGATION,
      Severity.MEDIUM,
      "Delegation grant has expired",
      List.of("OWASP-LLM06"),
      "The chain should have been refused; fix expiry enforcement at the gateway."),
  CHAIN_TOO_DEEP(
      Gap.DELEGATION,
      Severity.MEDIUM,
      "Delegation chain is deeper than policy",
      List.of("OWASP-LLM06"),
      "Look for runaway sub-agent spawning; cap re-delegation."),
  DELEGATION_CYCLE(
      Gap.DELEGATION,
      Severity.HIGH,
      "Delegation chain contains a cycle",
      List.of("OWASP-LLM06"),
      "Agents are delegating back and forth: stop the loop and review."),
  REQUEST_DRIFT(
      Gap.DELEGATION,
      Severity.HIGH,
      "Action targets something outside the originating request",
      List.of("OWASP-LLM06", "OWASP-LLM01", "MITRE-ATLAS:AML.T0051"),
      "The agent acted beyond what the human asked: review for prompt injection.");

  /** The post-authentication gap a rule closes. */
  public enum Gap {
    REGISTRY,
    CREDENTIAL,
    BEHAVIOUR,
    DELEGATION
  }

  private final Gap gap;
  private final Severity defaultSeverity;
  private final String title;
  private final List<String> tags;
  private final String response;

  Rule(Gap gap, Severity defaultSeverity, String title, List<String> tags, String response) {
    this.gap = gap;
    this.defaultSeverity = defaultSeverity;
    this.title = title;
    this.tags = tags;
    this.response = response;
  }

  public Gap gap() {
    return gap;
  }

  public Severity defaultSeverity() {
    return defaultSeverity;
  }

  public String title() {
    return title;
  }

  public List<String> tags() {
    return tags;
  }

  public String response() {
    return response;
  }

  /** Whether findings of this rule also go to the delegation-violations topic. */
  public boolean isDelegation() {
    return gap == Gap.DELEGATION;
  }
}
