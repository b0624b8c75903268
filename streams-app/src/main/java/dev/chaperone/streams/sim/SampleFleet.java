package dev.chaperone.streams.sim;

import dev.chaperone.schema.ActionType;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.AgentStatus;
import dev.chaperone.schema.Credential;
import dev.chaperone.schema.DelegationHop;
import dev.chaperone.schema.Outcome;
import dev.chaperone.schema.Output;
import dev.chaperone.schema.PrincipalType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A seeded generator of plausible agent actions: agents with a few tools each, sessions of a few
 * actions on a handful of resources, credentials bound to the session, a human at the root of every
 * delegation chain. Deterministic for a seed.
 */
public final class SampleFleet {

  private static final String[][] ROLES = {
    {"forum.read", "forum.search", "forum.reply", "kb.lookup"},
    {"repo.read", "repo.search", "ci.status", "ticket.comment"},
    {"crm.lookup", "email.draft", "email.send", "calendar.read"},
    {"sql.query", "dashboard.read", "report.export", "slack.post"},
  };
  private static final String[] SCHEMES = {
    "forum://thread/", "repo://acme/", "crm://account/", "db://warehouse/"
  };

  static {
    // Builders copy records through Avro's SpecificData, which loads classes by name.
    dev.chaperone.schema.ChaperoneSchemas.trustGeneratedClasses();
  }

  private final SplittableRandom random;
  private final int agents;
  private final Instant start;

  public SampleFleet(long seed, int agents, Instant start) {
    if (agents < 1) {
      throw new IllegalArgumentException("agents must be >= 1, was " + agents);
    }
    this.random = new SplittableRandom(seed);
    this.agents = agents;
    this.start = start;
  }

  /**
   * The registration of agent {@code index}: its role's tools and resource family, owned by its
   * team.
   */
  public static AgentRegistration registration(int index, Instant registeredAt) {
    int role = index % ROLES.length;
    String family = SCHEMES[role];
    return AgentRegistration.newBuilder()
        .setAgentId(agentId(index))
        .setDisplayName("Sample agent " + index)
        .setOwner("team-" + (role + 1))
        .setProvisionedBy("platform")
        .setRole("role-" + (role + 1))
        .setRegisteredAt(registeredAt)
        .setStatus(AgentStatus.ACTIVE)
        .setTools(
            java.util.Arrays.stream(ROLES[role])
                .map(t -> t.substring(0, t.indexOf('.')) + ".*")
                .distinct()
                .toList())
        .setResourceScopes(List.of(family.substring(0, family.indexOf("://") + 3) + "**"))
        .setApprovalRequiredFor(List.of(ActionType.PERMISSION_CHANGE))
        .setMaxCredentialTtlMs(Duration.ofHours(2).toMillis())
        .build();
  }

  public static String agentId(int index) {
    return String.format("agent-%04d", index);
  }

  /** {@code count} actions spread over the fleet, in event-time order, one session at a time. */
  public List<AgentAction> actions(int count) {
    List<AgentAction> out = new ArrayList<>(count);
    Instant clock = start;
    int session = 0;
    while (out.size() < count) {
      int agent = random.nextInt(agents);
      int role = agent % ROLES.length;
      String sessionId = "s-" + agentId(agent) + "-" + (session++);
      String resource = SCHEMES[role] + (1000 + random.nextInt(50));
      int length = 3 + random.nextInt(6);
      for (int i = 0; i < length && out.size() < count; i++) {
        clock = clock.plus(Duration.ofSeconds(1 + random.nextInt(30)));
        out.add(action(agent, role, sessionId, resource, clock, out.size()));
      }
    }
    return out;
  }

  private AgentAction action(
      int agent, int role, String sessionId, String resource, Instant at, int seq) {
    String[] tools = ROLES[role];
    String tool = tools[random.nextInt(tools.length)];
    boolean writes =
        tool.endsWith(".reply")
            || tool.endsWith(".send")
            || tool.endsWith(".post")
            || tool.endsWith(".comment");
    String id = agentId(agent);
    return AgentAction.newBuilder()
        .setEventId(id + "-" + seq)
        .setOccurredAt(at)
        .setAgentId(id)
        .setSessionId(sessionId)
        .setRequestRef(resource)
        .setActionType(writes ? ActionType.MESSAGE_PUBLISH : ActionType.RESOURCE_READ)
        .setTool(tool)
        .setResource(resource)
        .setOutcome(Outcome.SUCCEEDED)
        .setOutput(
            writes
                ? Output.newBuilder()
                    .setChannel(tool.split("\\.")[0])
                    .setContentClass("SUMMARY")
                    .build()
                : null)
        .setCredential(
            Credential.newBuilder()
                .setTokenId("tok-" + sessionId)
                .setSubject(id)
                .setIssuedAt(at.minus(Duration.ofMinutes(5)))
                .setExpiresAt(at.plus(Duration.ofMinutes(55)))
                .setScopes(List.of(tool.split("\\.")[0] + ":" + (writes ? "write" : "read")))
                .setSessionId(sessionId)
                .build())
        .setDelegation(
            List.of(
                DelegationHop.newBuilder()
                    .setPrincipal("user-" + (agent % 7))
                    .setPrincipalType(PrincipalType.HUMAN)
                    .setScopes(
                        List.of(tool.split("\\.")[0] + ":read", tool.split("\\.")[0] + ":write"))
                    .setRequestRef(resource)
                    .setIssuedAt(at.minus(Duration.ofMinutes(10)))
                    .build(),
                DelegationHop.newBuilder()
                    .setPrincipal(id)
                    .setPrincipalType(PrincipalType.AGENT)
                    .setDelegatedBy("user-" + (agent % 7))
                    .setScopes(List.of(tool.split("\\.")[0] + ":" + (writes ? "write" : "read")))
                    .setRequestRef(resource)
                    .setIssuedAt(at.minus(Duration.ofMinutes(5)))
                    .setExpiresAt(at.plus(Duration.ofMinutes(55)))
                    .build()))
        .setAttributes(Map.of("gen_ai.request.model", "model-" + (role + 1)))
        .build();
  }
}
