package dev.chaperone.streams;

import dev.chaperone.schema.ActionType;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.Credential;
import dev.chaperone.schema.DelegationHop;
import dev.chaperone.schema.Outcome;
import dev.chaperone.schema.Output;
import dev.chaperone.schema.PrincipalType;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Valid actions for tests. */
public final class TestActions {

  private TestActions() {}

  public static AgentAction action(String eventId, String agentId, Instant at) {
    return AgentAction.newBuilder()
        .setEventId(eventId)
        .setOccurredAt(at)
        .setAgentId(agentId)
        .setSessionId("s-" + agentId)
        .setRequestRef("forum://thread/8812")
        .setActionType(ActionType.MESSAGE_PUBLISH)
        .setTool("forum.reply")
        .setOperation("post")
        .setResource("forum://thread/8812")
        .setOutcome(Outcome.SUCCEEDED)
        .setOutput(
            Output.newBuilder()
                .setChannel("forum")
                .setAudience("internal")
                .setContentClass("SUMMARY")
                .setSizeBytes(512L)
                .build())
        .setCredential(
            Credential.newBuilder()
                .setTokenId("tok-" + agentId)
                .setSubject(agentId)
                .setIssuedAt(at.minusSeconds(60))
                .setExpiresAt(at.plusSeconds(3600))
                .setScopes(List.of("forum:write"))
                .setSessionId("s-" + agentId)
                .build())
        .setDelegation(
            List.of(
                DelegationHop.newBuilder()
                    .setPrincipal("alice")
                    .setPrincipalType(PrincipalType.HUMAN)
                    .setScopes(List.of("forum:read", "forum:write"))
                    .setRequestRef("forum://thread/8812")
                    .setIssuedAt(at.minusSeconds(120))
                    .build(),
                DelegationHop.newBuilder()
                    .setPrincipal(agentId)
                    .setPrincipalType(PrincipalType.AGENT)
                    .setDelegatedBy("alice")
                    .setScopes(List.of("forum:write"))
                    .setIssuedAt(at.minusSeconds(60))
                    .setExpiresAt(at.plusSeconds(3600))
                    .build()))
        .setAttributes(Map.of("gen_ai.request.model", "m-1"))
        .build();
  }
}
