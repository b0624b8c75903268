package dev.chaperone.streams.sim;

import dev.chaperone.schema.ActionType;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.Credential;
import dev.chaperone.schema.DelegationHop;
import dev.chaperone.schema.Output;
import dev.chaperone.schema.PrincipalType;
import dev.chaperone.streams.sim.FleetSimulator.Agent;
import dev.chaperone.streams.sim.FleetSimulator.Role;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The attacks the demo plays against a {@link FleetSimulator} fleet, each a short list of actions
 * that happen at a given event time. What detects them is up to the detector: a scenario only says
 * which events are the attack.
 */
public final class AttackScenarios {

  private AttackScenarios() {}

  /** One attack: a name, what happens, and its actions in event-time order. */
  public record Scenario(String name, String description, List<AgentAction> events) {
    public Set<String> eventIds() {
      Set<String> ids = new LinkedHashSet<>();
      events.forEach(e -> ids.add(e.getEventId()));
      return ids;
    }

    public Instant start() {
      return events.get(0).getOccurredAt();
    }
  }

  /** The names of the scenarios, in the order they are played. */
  public static final List<String> NAMES =
      List.of(
          "reference-incident",
          "stolen-token",
          "prompt-injection-exfiltration",
          "weekend-3am-burst",
          "runaway-delegation");

  /** Every scenario, the first starting a minute after {@code at}, one a minute after another. */
  public static List<Scenario> all(FleetSimulator fleet, Instant at) {
    return List.of(
        referenceIncident(fleet, at.plus(Duration.ofMinutes(1))),
        stolenToken(fleet, at.plus(Duration.ofMinutes(2))),
        exfiltration(fleet, at.plus(Duration.ofMinutes(3))),
        weekendBurst(fleet, at.plus(Duration.ofMinutes(4))),
        runawayDelegation(fleet, at.plus(Duration.ofMinutes(5))));
  }

  /** Only the scenarios named in {@code names}. */
  public static List<Scenario> named(FleetSimulator fleet, Instant at, List<String> names) {
    for (String name : names) {
      if (!NAMES.contains(name)) {
        throw new IllegalArgumentException(
            "unknown scenario '" + name + "'; the scenarios are " + NAMES);
      }
    }
    return all(fleet, at).stream().filter(s -> names.contains(s.name())).toList();
  }

  /**
   * The incident that started Chaperone: the forum troubleshooting agent, asked about one thread,
   * posts advice to widen repository permissions in another thread, with no approval.
   */
  static Scenario referenceIncident(FleetSimulator fleet, Instant t) {
    Agent agent = fleet.first(Role.SUPPORT);
    String human = agent.humans().get(0);
    String session = "s-incident-" + agent.agentId();
    String thread = "forum://thread/8812";
    List<AgentAction> events = new ArrayList<>();
    events.add(
        step(agent, human, session, thread, t, t, 0)
            .setActionType(ActionType.RESOURCE_READ)
            .setTool("forum.read")
            .setResource(thread)
            .build());
    events.add(
        step(agent, human, session, thread, t, t.plusSeconds(20), 1)
            .setActionType(ActionType.TOOL_CALL)
            .setTool("kb.search")
            .setResource("kb://search/repo-permissions")
            .build());
    events.add(
        step(agent, human, session, thread, t, t.plusSeconds(45), 2)
            .setActionType(ActionType.MESSAGE_PUBLISH)
            .setTool("forum.reply")
            .setResource("forum://thread/9920")
            .setOutput(
                Output.newBuilder()
                    .setChannel("forum")
                    .setAudience("internal")
                    .setContentClass("PERMISSION_CHANGE_INSTRUCTION")
                    .setSizeBytes(1800L)
                    .build())
            .build());
    return new Scenario(
        "reference-incident",
        agent.agentId()
            + ", asked about thread 8812, posts unapproved advice to widen repository permissions"
            + " in thread 9920",
        events);
  }

  /** One on-call agent's session token, used a minute later by another agent. */
  static Scenario stolenToken(FleetSimulator fleet, Instant t) {
    Agent victim = fleet.nth(Role.ONCALL, 0);
    Agent thief = fleet.nth(Role.ONCALL, 1);
    String victimSession = "s-victim-" + victim.agentId();
    String ticket = "ticket://OPS-5120";
    List<AgentAction> events = new ArrayList<>();
    events.add(
        step(victim, victim.humans().get(0), victimSession, ticket, t, t, 0)
            .setActionType(ActionType.RESOURCE_READ)
            .setTool("metrics.read")
            .setResource("metrics://auth")
            .build());
    AgentAction victimAction = events.get(0);
    String thiefSession = "s-thief-" + thief.agentId();
    Instant later = t.plusSeconds(50);
    events.add(
        step(thief, thief.humans().get(0), thiefSession, "ticket://OPS-5121", later, later, 0)
            .setActionType(ActionType.RESOURCE_READ)
            .setTool("logs.search")
            .setResource("logs://auth")
            .setCredential(Credential.newBuilder(victimAction.getCredential()).build())
            .build());
    return new Scenario(
        "stolen-token",
        thief.agentId()
            + " reuses "
            + victimAction.getCredential().getTokenId()
            + ", the session token of "
            + victim.agentId(),
        events);
  }

  /**
   * A prompt-injected on-call agent: a log line tells it to post customer records to an external
   * paste site, and it does.
   */
  static Scenario exfiltration(FleetSimulator fleet, Instant t) {
    Agent agent = fleet.nth(Role.ONCALL, 2);
    String human = agent.humans().get(0);
    String session = "s-injected-" + agent.agentId();
    String ticket = "ticket://OPS-5130";
    List<AgentAction> events = new ArrayList<>();
    events.add(
        step(agent, human, session, ticket, t, t, 0)
            .setActionType(ActionType.RESOURCE_READ)
            .setTool("logs.search")
            .setResource("logs://web")
            .build());
    events.add(
        step(agent, human, session, ticket, t, t.plusSeconds(15), 1)
            .setActionType(ActionType.DATA_EXPORT)
            .setTool("http.post")
            .setResource("https://paste.example.net/u/9f3k")
            .setOutput(
                Output.newBuilder()
                    .setChannel("http")
                    .setAudience("external")
                    .setContentClass("CUSTOMER_PII")
                    .setSizeBytes(2_400_000L)
                    .build())
            .build());
    return new Scenario(
        "prompt-injection-exfiltration",
        agent.agentId()
            + " reads an injected log line, then posts customer records to a new external address",
        events);
  }

  /** An office-hours analyst running 120 queries at 3 AM on a Saturday, on its usual tables. */
  static Scenario weekendBurst(FleetSimulator fleet, Instant t) {
    Agent agent = fleet.nth(Role.ANALYST, 1);
    String human = agent.humans().get(0);
    String session = "s-burst-" + agent.agentId();
    String report = "report://weekly/" + agent.agentId();
    String[] tables = {"orders", "invoices", "usage_daily", "revenue"};
    List<AgentAction> events = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      events.add(
          step(agent, human, session, report, t, t.plusMillis(2_000L * i), i)
              .setActionType(ActionType.RESOURCE_READ)
              .setTool("sql.query")
              .setResource("db://warehouse/" + tables[i % tables.length])
              .build());
    }
    return new Scenario(
        "weekend-3am-burst",
        agent.agentId()
            + ", an office-hours agent, runs 120 queries in 4 minutes at 03:04 Saturday",
        events);
  }

  /**
   * A review agent spawns a sub-agent that spawns another, six deep; the third widens its own
   * scopes to repository admin and the last changes the repository's permissions.
   */
  static Scenario runawayDelegation(FleetSimulator fleet, Instant t) {
    Agent root = fleet.first(Role.REVIEW);
    String human = root.humans().get(0);
    String request = "repo://acme/api/pull/512";
    List<String> scopes = root.role().scopes();
    List<DelegationHop> chain = new ArrayList<>();
    chain.add(
        DelegationHop.newBuilder()
            .setPrincipal(human)
            .setPrincipalType(PrincipalType.HUMAN)
            .setScopes(scopes)
            .setRequestRef(request)
            .setIssuedAt(t.minusSeconds(120))
            .build());
    chain.add(
        DelegationHop.newBuilder()
            .setPrincipal(root.agentId())
            .setPrincipalType(PrincipalType.AGENT)
            .setDelegatedBy(human)
            .setScopes(scopes)
            .setRequestRef(request)
            .setIssuedAt(t.minusSeconds(60))
            .build());
    List<AgentAction> events = new ArrayList<>();
    List<String> granted = new ArrayList<>(scopes);
    for (int depth = 1; depth <= 6; depth++) {
      String parent = chain.get(chain.size() - 1).getPrincipal();
      String sub = root.agentId() + ".sub" + depth;
      if (depth == 3) {
        granted.add("repo:admin");
      }
      Instant at = t.plusSeconds(10L * depth);
      chain.add(
          DelegationHop.newBuilder()
              .setPrincipal(sub)
              .setPrincipalType(PrincipalType.AGENT)
              .setDelegatedBy(parent)
              .setScopes(List.copyOf(granted))
              .setRequestRef(request)
              .setIssuedAt(at.minusSeconds(2))
              .build());
      String session = "s-runaway-" + sub;
      boolean last = depth == 6;
      events.add(
          FleetSimulator.base(
                  new Agent(sub, root.role(), root.humans()), human, session, request, at, at, 0)
              .setActionType(last ? ActionType.PERMISSION_CHANGE : ActionType.RESOURCE_READ)
              .setTool(last ? "repo.admin" : "repo.read")
              .setResource(last ? "repo://acme/api/settings/collaborators" : request)
              .setDelegation(List.copyOf(chain))
              .setCredential(
                  Credential.newBuilder()
                      .setTokenId("tok-" + session)
                      .setSubject(sub)
                      .setIssuedAt(at.minusSeconds(2))
                      .setExpiresAt(at.plus(Duration.ofMinutes(30)))
                      .setScopes(List.copyOf(granted))
                      .setSessionId(session)
                      .build())
              .build());
    }
    return new Scenario(
        "runaway-delegation",
        root.agentId()
            + " spawns sub-agents six deep; the third grants itself repo:admin, the last changes"
            + " collaborators",
        events);
  }

  private static AgentAction.Builder step(
      Agent agent,
      String human,
      String session,
      String request,
      Instant sessionStart,
      Instant at,
      int seq) {
    return FleetSimulator.base(agent, human, session, request, sessionStart, at, seq);
  }
}
