package dev.chaperone.streams.processor;

import dev.chaperone.schema.AgentAction;

/**
 * The first use of a credential (token id) or principal (credential subject) by an agent within the
 * sharing window, on its way to the check partitioned by credential.
 *
 * @param credential {@code token:<id>} or {@code principal:<subject>}
 * @param action the action that used it
 */
public record CredentialUse(String credential, AgentAction action) {

  public static final String TOKEN = "token:";
  public static final String PRINCIPAL = "principal:";

  public boolean isToken() {
    return credential.startsWith(TOKEN);
  }
}
