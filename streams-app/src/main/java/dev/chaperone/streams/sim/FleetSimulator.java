package dev.chaperone.streams.sim;

import dev.chaperone.schema.ActionType;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.AgentStatus;
import dev.chaperone.schema.Approval;
import dev.chaperone.schema.Credential;
import dev.chaperone.schema.DelegationHop;
import dev.chaperone.schema.Outcome;
import dev.chaperone.schema.Output;
import dev.chaperone.schema.PrincipalType;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A simulated fleet for the demo, {@code chaperone simulate} and tests: agents in five roles with
 * their own tools, resources, working hours and humans, each action inside a session that a human
 * asked for, on a session-bound token, through a delegation chain from that human; plus one shadow
 * agent that nobody registered. Deterministic for a seed.
 *
 * <p>Roles: forum troubleshooting ({@code support}), code review ({@code review}), CRM and customer
 * e-mail ({@code sales}), warehouse reporting ({@code analyst}) work weekdays in office hours;
 * on-call operations ({@code oncall}) work around the clock.
 */
public final class FleetSimulator {

  /** The agent nobody registered. */
  public static final String SHADOW_AGENT = "shadow-scraper-01";

  static {
    // Builders copy records through Avro's SpecificData, which loads classes by name.
    dev.chaperone.schema.ChaperoneSchemas.trustGeneratedClasses();
  }

  /** One role of the fleet. */
  public enum Role {
    SUPPORT("support", "team-support", false, 10, List.of("forum", "kb")),
    REVIEW("review", "team-devex", false, 8, List.of("repo", "ci")),
    SALES("sales", "team-sales", false, 8, List.of("crm", "email")),
    ANALYST("analyst", "team-data", false, 4, List.of("sql", "report")),
    ONCALL("oncall", "team-sre", true, 12, List.of("metrics", "logs", "ticket"));

    final String id;
    final String owner;
    final boolean aroundTheClock;
    final int sessionsPerDay;
    final List<String> tools;

    Role(String id, String owner, boolean aroundTheClock, int sessionsPerDay, List<String> tools) {
      this.id = id;
      this.owner = owner;
      this.aroundTheClock = aroundTheClock;
      this.sessionsPerDay = sessionsPerDay;
      this.tools = tools;
    }

    List<String> scopes() {
      List<String> scopes = new ArrayList<>();
      for (String tool : tools) {
        scopes.add(tool + ":read");
        scopes.add(tool + ":write");
      }
      return scopes;
    }

    List<String> resourceScopes() {
      return switch (this) {
        case SUPPORT -> List.of("forum://**", "kb://**");
        case REVIEW -> List.of("repo://**", "ci://**");
        case SALES -> List.of("crm://**");
        case ANALYST -> List.of("db://warehouse/**", "report://**");
        case ONCALL -> List.of("metrics://**", "logs://**", "ticket://**");
      };
    }
  }

  /** One simulated agent: its id, role and the humans who ask it for work. */
  public record Agent(String agentId, Role role, List<String> humans) {}

  private static final String[] TABLES = {
    "orders", "invoices", "usage_daily", "churn", "pipeline", "tickets", "nps", "revenue"
  };
  private static final String[] SERVICES = {"api", "auth", "billing", "search", "queue", "web"};

  private final long seed;
  private final List<Agent> agents;

  /** A fleet of {@code size} agents (at least 5), spread evenly over the five roles. */
  public FleetSimulator(long seed, int size) {
    if (size < Role.values().length) {
      throw new IllegalArgumentException("the fleet needs at least 5 agents, was " + size);
    }
    this.seed = seed;
    List<Agent> all = new ArrayList<>();
    int[] perRole = new int[Role.values().length];
    for (int i = 0; i < size; i++) {
      Role role = Role.values()[i % Role.values().length];
      int n = ++perRole[role.ordinal()];
      String id = String.format(Locale.ROOT, "%s-%02d", role.id, n);
      all.add(new Agent(id, role, List.of(human(role, n), human(role, n + 3))));
    }
    this.agents = List.copyOf(all);
  }

  private static String human(Role role, int n) {
    String[] names = {"alice", "bob", "chen", "dara", "emeka", "farah", "goran", "hana"};
    return role.id + "." + names[n % names.length];
  }

  public List<Agent> agents() {
    return agents;
  }

  /** The first agent of {@code role}. */
  public Agent first(Role role) {
    return agents.stream().filter(a -> a.role() == role).findFirst().orElseThrow();
  }

  /** The {@code n}-th agent (from 0) of {@code role}, or the last one if there are fewer. */
  public Agent nth(Role role, int n) {
    List<Agent> of = agents.stream().filter(a -> a.role() == role).toList();
    return of.get(Math.min(n, of.size() - 1));
  }

  /** The registry entries of the fleet; the shadow agent has none. */
  public List<AgentRegistration> registrations(Instant registeredAt) {
    List<AgentRegistration> out = new ArrayList<>();
    for (Agent agent : agents) {
      Role role = agent.role();
      out.add(
          AgentRegistration.newBuilder()
              .setAgentId(agent.agentId())
              .setDisplayName(role.id + " agent " + agent.agentId())
              .setOwner(role.owner)
              .setProvisionedBy("platform-team")
              .setRole(role.id)
              .setRegisteredAt(registeredAt)
              .setStatus(AgentStatus.ACTIVE)
              .setTools(role.tools.stream().map(t -> t + ".*").toList())
              .setResourceScopes(role.resourceScopes())
              .setApprovalRequiredFor(
                  role == Role.SUPPORT
                      ? List.of(ActionType.MESSAGE_PUBLISH, ActionType.PERMISSION_CHANGE)
                      : List.of(ActionType.PERMISSION_CHANGE))
              .setMaxCredentialTtlMs(Duration.ofHours(2).toMillis())
              .build());
    }
    return out;
  }

  /**
   * The normal work of the fleet and the shadow agent between {@code from} and {@code to}, in
   * event-time order. Each agent's day is drawn from its own seeded stream, so a day's traffic does
   * not depend on the range asked for.
   */
  public List<AgentAction> traffic(Instant from, Instant to) {
    List<AgentAction> out = new ArrayList<>();
    LocalDate first = from.atZone(ZoneOffset.UTC).toLocalDate();
    LocalDate last = to.atZone(ZoneOffset.UTC).toLocalDate();
    for (LocalDate day = first; !day.isAfter(last); day = day.plusDays(1)) {
      sessionsOn(day, out);
    }
    out.removeIf(e -> e.getOccurredAt().isBefore(from) || !e.getOccurredAt().isBefore(to));
    out.sort(EVENT_TIME_ORDER);
    return out;
  }

  /** The order of the fleet's traffic: event time, then event id. */
  public static final Comparator<AgentAction> EVENT_TIME_ORDER =
      Comparator.comparing(AgentAction::getOccurredAt).thenComparing(AgentAction::getEventId);

  /**
   * Every action of the sessions the fleet and the shadow agent start on {@code day} (UTC), in
   * event-time order. A session starts on its day and may run past the next midnight, so once the
   * sessions of every day up to {@code day} are known, so is all traffic before the next midnight.
   */
  public List<AgentAction> sessionsOn(LocalDate day) {
    List<AgentAction> out = new ArrayList<>();
    sessionsOn(day, out);
    out.sort(EVENT_TIME_ORDER);
    return out;
  }

  private void sessionsOn(LocalDate day, List<AgentAction> out) {
    for (int a = 0; a < agents.size(); a++) {
      day(agents.get(a), a, day, out);
    }
    shadowDay(day, out);
  }

  /**
   * The normal work of one agent ({@code index} into {@link #agents()}) between {@code from} and
   * {@code to}, in event-time order: exactly its events in {@link #traffic(Instant, Instant)}.
   */
  public List<AgentAction> traffic(int index, Instant from, Instant to) {
    List<AgentAction> out = new ArrayList<>();
    LocalDate first = from.atZone(ZoneOffset.UTC).toLocalDate();
    LocalDate last = to.atZone(ZoneOffset.UTC).toLocalDate();
    for (LocalDate day = first; !day.isAfter(last); day = day.plusDays(1)) {
      day(agents.get(index), index, day, out);
    }
    out.removeIf(e -> e.getOccurredAt().isBefore(from) || !e.getOccurredAt().isBefore(to));
    out.sort(EVENT_TIME_ORDER);
    return out;
  }

  private SplittableRandom random(long salt, LocalDate day) {
    return new SplittableRandom(seed * 1_000_003L + salt * 7_919L + day.toEpochDay());
  }

  private void day(Agent agent, int index, LocalDate day, List<AgentAction> out) {
    Role role = agent.role();
    boolean weekend =
        day.getDayOfWeek() == DayOfWeek.SATURDAY || day.getDayOfWeek() == DayOfWeek.SUNDAY;
    if (weekend && !role.aroundTheClock) {
      return;
    }
    SplittableRandom random = random(index, day);
    int sessions = Math.max(1, role.sessionsPerDay - 2 + random.nextInt(5));
    if (weekend) {
      sessions = Math.max(1, sessions / 2);
    }
    Instant midnight = day.atStartOfDay(ZoneOffset.UTC).toInstant();
    for (int s = 0; s < sessions; s++) {
      int minute;
      if (role.aroundTheClock) {
        // On-call: around the clock, busier in the day.
        minute =
            random.nextDouble() < 0.6 ? 7 * 60 + random.nextInt(12 * 60) : random.nextInt(24 * 60);
      } else {
        minute = 8 * 60 + random.nextInt(9 * 60 + 30);
      }
      Instant start = midnight.plus(Duration.ofMinutes(minute)).plusSeconds(random.nextInt(60));
      String session = String.format(Locale.ROOT, "s-%s-%s-%02d", agent.agentId(), day, s);
      String human = agent.humans().get(random.nextInt(agent.humans().size()));
      session(agent, human, session, start, random, out);
    }
  }

  private void session(
      Agent agent,
      String human,
      String session,
      Instant start,
      SplittableRandom random,
      List<AgentAction> out) {
    Session s = new Session(agent, human, session, start);
    switch (agent.role()) {
      case SUPPORT -> {
        String thread = "forum://thread/" + (8000 + random.nextInt(3000));
        s.request(thread);
        s.step(ActionType.RESOURCE_READ, "forum.read", thread, null, null, random);
        s.step(
            ActionType.TOOL_CALL,
            "kb.search",
            "kb://search/" + random.nextInt(300),
            null,
            null,
            random);
        s.step(
            ActionType.MESSAGE_PUBLISH,
            "forum.reply",
            thread,
            "forum",
            random.nextDouble() < 0.7 ? "SUMMARY" : "ANSWER",
            random);
      }
      case REVIEW -> {
        String repo = "repo://acme/" + SERVICES[random.nextInt(SERVICES.length)];
        String pull = repo + "/pull/" + (100 + random.nextInt(900));
        s.request(pull);
        s.step(ActionType.RESOURCE_READ, "repo.read", pull, null, null, random);
        s.step(ActionType.TOOL_CALL, "ci.status", pull + "/checks", null, null, random);
        s.step(ActionType.MESSAGE_PUBLISH, "repo.comment", pull, "repo", "REVIEW", random);
      }
      case SALES -> {
        String account = "crm://account/" + (1000 + random.nextInt(400));
        s.request(account);
        s.step(ActionType.RESOURCE_READ, "crm.lookup", account, null, null, random);
        s.step(ActionType.TOOL_CALL, "email.draft", account + "/draft", null, null, random);
        s.step(
            ActionType.MESSAGE_PUBLISH,
            "email.send",
            account + "/contact",
            "email",
            "CUSTOMER_EMAIL",
            random);
      }
      case ANALYST -> {
        String report = "report://weekly/" + agent.agentId();
        s.request(report);
        int queries = 2 + random.nextInt(3);
        for (int q = 0; q < queries; q++) {
          s.step(
              ActionType.RESOURCE_READ,
              "sql.query",
              "db://warehouse/" + TABLES[random.nextInt(TABLES.length)],
              null,
              null,
              random);
        }
        s.step(ActionType.DATA_EXPORT, "report.export", report, "dashboard", "AGGREGATE", random);
      }
      case ONCALL -> {
        String service = SERVICES[random.nextInt(SERVICES.length)];
        String ticket = "ticket://OPS-" + (4000 + random.nextInt(2000));
        s.request(ticket);
        s.step(
            ActionType.RESOURCE_READ, "metrics.read", "metrics://" + service, null, null, random);
        s.step(ActionType.RESOURCE_READ, "logs.search", "logs://" + service, null, null, random);
        s.step(ActionType.RESOURCE_WRITE, "ticket.update", ticket, "ticket", "STATUS", random);
      }
    }
    out.addAll(s.actions);
  }

  private void shadowDay(LocalDate day, List<AgentAction> out) {
    SplittableRandom random = random(-1, day);
    Instant midnight = day.atStartOfDay(ZoneOffset.UTC).toInstant();
    Agent shadow = new Agent(SHADOW_AGENT, Role.SUPPORT, List.of("intern.zed"));
    for (int s = 0; s < 4; s++) {
      Instant start = midnight.plus(Duration.ofMinutes(random.nextInt(24 * 60)));
      String session = String.format(Locale.ROOT, "s-%s-%s-%02d", SHADOW_AGENT, day, s);
      Session session1 = new Session(shadow, "intern.zed", session, start);
      String thread = "forum://thread/" + (8000 + random.nextInt(3000));
      session1.request(thread);
      for (int i = 0; i < 5; i++) {
        session1.step(
            ActionType.RESOURCE_READ,
            "forum.read",
            "forum://thread/" + (8000 + random.nextInt(3000)),
            null,
            null,
            random);
      }
      out.addAll(session1.actions);
    }
  }

  /** One session's actions: same human, request, token and delegation chain throughout. */
  private static final class Session {
    final Agent agent;
    final String human;
    final String sessionId;
    final Instant start;
    final List<AgentAction> actions = new ArrayList<>();
    String request;
    Instant clock;

    Session(Agent agent, String human, String sessionId, Instant start) {
      this.agent = agent;
      this.human = human;
      this.sessionId = sessionId;
      this.start = start;
      this.clock = start;
    }

    void request(String request) {
      this.request = request;
    }

    void step(
        ActionType type,
        String tool,
        String resource,
        String channel,
        String content,
        SplittableRandom random) {
      clock = clock.plusSeconds(5 + random.nextInt(40));
      AgentAction.Builder action =
          base(agent, human, sessionId, request, start, clock, actions.size())
              .setActionType(type)
              .setTool(tool)
              .setResource(resource);
      if (channel != null) {
        action.setOutput(
            Output.newBuilder()
                .setChannel(channel)
                .setAudience("internal")
                .setContentClass(content)
                .setSizeBytes(400L + random.nextInt(4000))
                .build());
      }
      if (type == ActionType.MESSAGE_PUBLISH && agent.role() == Role.SUPPORT) {
        action.setApproval(Approval.newBuilder().setApprovedBy(human).setApprovedAt(clock).build());
      }
      actions.add(action.build());
    }
  }

  /**
   * A well-formed action of {@code agent} in a session a human asked for: session-bound one-hour
   * token, chain human → agent carrying the role's scopes.
   */
  static AgentAction.Builder base(
      Agent agent,
      String human,
      String sessionId,
      String request,
      Instant sessionStart,
      Instant at,
      int seq) {
    List<String> scopes = agent.role().scopes();
    return AgentAction.newBuilder()
        .setEventId(sessionId + "-" + seq)
        .setOccurredAt(at)
        .setAgentId(agent.agentId())
        .setAgentVersion("1.4.2")
        .setSessionId(sessionId)
        .setRequestRef(request)
        .setActionType(ActionType.RESOURCE_READ)
        .setTool("noop")
        .setOutcome(Outcome.SUCCEEDED)
        .setCredential(
            Credential.newBuilder()
                .setTokenId("tok-" + sessionId)
                .setSubject(agent.agentId())
                .setIssuedAt(sessionStart.minusSeconds(60))
                .setExpiresAt(sessionStart.plus(Duration.ofMinutes(59)))
                .setScopes(scopes)
                .setSessionId(sessionId)
                .build())
        .setDelegation(
            List.of(
                DelegationHop.newBuilder()
                    .setPrincipal(human)
                    .setPrincipalType(PrincipalType.HUMAN)
                    .setScopes(scopes)
                    .setRequestRef(request)
                    .setIssuedAt(sessionStart.minusSeconds(120))
                    .build(),
                DelegationHop.newBuilder()
                    .setPrincipal(agent.agentId())
                    .setPrincipalType(PrincipalType.AGENT)
                    .setDelegatedBy(human)
                    .setScopes(scopes)
                    .setRequestRef(request)
                    .setIssuedAt(sessionStart.minusSeconds(60))
                    .setExpiresAt(sessionStart.plus(Duration.ofMinutes(59)))
                    .build()))
        .setAttributes(Map.of("gen_ai.request.model", "model-" + agent.role().id));
  }

  /**
   * The most recent Saturday 03:00 UTC at least an hour before {@code now}: the demo's attacks
   * happen then, when only on-call agents work, with the fleet's history before it.
   */
  public static Instant weekendNight(Instant now) {
    ZonedDateTime t =
        now.minus(Duration.ofHours(1))
            .atZone(ZoneOffset.UTC)
            .with(TemporalAdjusters.previousOrSame(DayOfWeek.SATURDAY))
            .truncatedTo(ChronoUnit.DAYS)
            .withHour(3);
    if (t.toInstant().isAfter(now.minus(Duration.ofHours(1)))) {
      t = t.minusWeeks(1);
    }
    return t.toInstant();
  }
}
