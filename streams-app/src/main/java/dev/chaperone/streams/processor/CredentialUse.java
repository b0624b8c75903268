package dev.chaperone.streams.processor;

import dev.chaperone.schema.AgentAction;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The first use of a credential (token id) or principal (credential subject) by an agent within the
 * sharing window, on its way to the check partitioned by credential. The check reads the agent and
 * the time of every use but the whole action only when it raises an alert, so a use read from the
 * repartition topic decodes its action on the first call of {@link #action()}.
 */
public final class CredentialUse {

  public static final String TOKEN = "token:";
  public static final String PRINCIPAL = "principal:";

  private final String credential;
  private final String agentId;
  private final long occurredAtMs;
  private Supplier<AgentAction> decode;
  private AgentAction action;

  /**
   * @param credential {@code token:<id>} or {@code principal:<subject>}
   * @param action the action that used it
   */
  public CredentialUse(String credential, AgentAction action) {
    this.credential = Objects.requireNonNull(credential);
    this.action = action;
    this.agentId = action.getAgentId();
    this.occurredAtMs = action.getOccurredAt().toEpochMilli();
  }

  /** A use whose action is decoded by {@code decode} when first asked for. */
  CredentialUse(
      String credential, String agentId, long occurredAtMs, Supplier<AgentAction> decode) {
    this.credential = Objects.requireNonNull(credential);
    this.agentId = Objects.requireNonNull(agentId);
    this.occurredAtMs = occurredAtMs;
    this.decode = Objects.requireNonNull(decode);
  }

  /** {@code token:<id>} or {@code principal:<subject>}. */
  public String credential() {
    return credential;
  }

  /** The agent that used it. */
  public String agentId() {
    return agentId;
  }

  /** When it was used (the action's {@code occurredAt}), epoch ms. */
  public long occurredAtMs() {
    return occurredAtMs;
  }

  /** The action that used it; may throw the decoder's exception if read from bad bytes. */
  public AgentAction action() {
    if (action == null) {
      action = decode.get();
      decode = null;
    }
    return action;
  }

  public boolean isToken() {
    return credential.startsWith(TOKEN);
  }

  @Override
  public String toString() {
    return "CredentialUse[" + credential + " by " + agentId + " at " + occurredAtMs + "]";
  }
}
