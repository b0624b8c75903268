package dev.chaperone.baseline;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded, stationary synthetic agent: 20 tools with skewed popularity, each tool working on its
 * own resource family (a few hundred resources in all, Zipf-like), tool-to-tool transitions from a
 * fixed workflow (each tool is followed by one of three others), sessions of 3 to 15 actions, an
 * office-hours rhythm (weekdays 08:00-18:00 UTC, a trickle at weekends), and outputs (SUMMARY 70%,
 * ANSWER 30%) on the tools that publish.
 */
final class SyntheticAgent {

  static final long DAY_MS = 86_400_000L;

  /** Monday 2026-09-07 00:00 UTC: day 0 of the synthetic calendar. */
  static final long START_MS = 1_788_739_200_000L;

  static final String[] TOOLS = {
    "forum.read", "forum.search", "forum.reply", "kb.lookup", "kb.search", "repo.read",
        "repo.search",
    "ci.status", "ticket.read", "ticket.comment", "chat.post", "calendar.read", "docs.read",
        "docs.search",
    "metrics.query", "logs.search", "pager.read", "wiki.read", "wiki.search", "email.draft"
  };
  private static final String[] FAMILIES = {
    "forum://thread/", "forum://search/", "forum://thread/", "kb://article/", "kb://search/",
        "repo://acme/",
    "repo://acme/", "ci://pipeline/", "ticket://INC", "ticket://INC", "chat://channel/",
        "calendar://team/",
    "docs://page/", "docs://search/", "metrics://dash/", "logs://query/", "pager://incident/",
        "wiki://page/",
    "wiki://search/", "email://draft/"
  };
  private static final String[] REPOS = {"payments", "frontend", "backend", "infra", "docs-site"};
  private static final String[] CHANNELS = {
    null, null, "forum", null, null, null, null, null, null, "ticket", "chat", null, null, null,
    null, null, null, null, null, "email"
  };

  private final SplittableRandom random;
  private final int sessionsPerWeekday;
  private final int idsPerFamily;
  private final double[] popularity = new double[TOOLS.length];
  private final int[][] next = new int[TOOLS.length][3];
  private int session;

  SyntheticAgent(long seed) {
    this(seed, 28, 40);
  }

  /**
   * @param sessionsPerWeekday the least sessions on a weekday (up to 8 more)
   * @param idsPerFamily distinct ids per resource family (threads, tickets, …)
   */
  SyntheticAgent(long seed, int sessionsPerWeekday, int idsPerFamily) {
    this.sessionsPerWeekday = sessionsPerWeekday;
    this.idsPerFamily = idsPerFamily;
    random = new SplittableRandom(seed);
    double sum = 0;
    for (int i = 0; i < TOOLS.length; i++) {
      popularity[i] = 1.0 / Math.pow(i + 1, 0.9);
      sum += popularity[i];
    }
    for (int i = 0; i < TOOLS.length; i++) {
      popularity[i] /= sum;
      for (int j = 0; j < 3; j++) {
        next[i][j] = (i + 1 + j * 3 + random.nextInt(2)) % TOOLS.length;
      }
    }
  }

  /** The events of {@code day} (0 = a Monday), in time order. */
  List<Observation> day(int day) {
    List<Observation> out = new ArrayList<>();
    boolean weekend = Math.floorMod(day, 7) >= 5;
    int sessions = weekend ? random.nextInt(3) : sessionsPerWeekday + random.nextInt(8);
    List<Long> starts = new ArrayList<>();
    for (int s = 0; s < sessions; s++) {
      starts.add(
          START_MS
              + day * DAY_MS
              + (8 * 3_600_000L)
              + (long) (random.nextDouble() * 10 * 3_600_000L));
    }
    starts.sort(Long::compare);
    for (long start : starts) {
      out.addAll(session(start));
    }
    out.sort((a, b) -> Long.compare(a.timestampMs(), b.timestampMs()));
    return out;
  }

  List<Observation> session(long start) {
    List<Observation> out = new ArrayList<>();
    String sessionId = "s-" + (session++);
    int length = 3 + random.nextInt(13);
    int tool = pickTool();
    long t = start;
    for (int i = 0; i < length; i++) {
      out.add(action(t, sessionId, tool));
      t += 5_000 + random.nextInt(60_000);
      tool = next[tool][random.nextInt(3)];
    }
    return out;
  }

  Observation action(long t, String sessionId, int tool) {
    String channel = CHANNELS[tool];
    String type =
        channel != null ? "MESSAGE_PUBLISH" : tool % 4 == 3 ? "TOOL_CALL" : "RESOURCE_READ";
    Observation o = Observation.of(t, sessionId, type, TOOLS[tool], resource(tool));
    if (channel != null) {
      o = o.withOutput(channel, random.nextDouble() < 0.7 ? "SUMMARY" : "ANSWER");
    }
    return o;
  }

  private String resource(int tool) {
    String family = FAMILIES[tool];
    if (family.startsWith("repo://")) {
      return family + REPOS[zipf(REPOS.length)];
    }
    return family + (1000 + zipf(idsPerFamily));
  }

  private int zipf(int n) {
    // P(i) ~ 1/(i+1): inverse-transform on the harmonic weights.
    double h = 0;
    for (int i = 0; i < n; i++) {
      h += 1.0 / (i + 1);
    }
    double u = random.nextDouble() * h;
    for (int i = 0; i < n; i++) {
      u -= 1.0 / (i + 1);
      if (u <= 0) {
        return i;
      }
    }
    return n - 1;
  }

  private int pickTool() {
    double u = random.nextDouble();
    for (int i = 0; i < popularity.length; i++) {
      u -= popularity[i];
      if (u <= 0) {
        return i;
      }
    }
    return popularity.length - 1;
  }

  /** Trains {@code days} days into a fresh baseline with the usual accept() policy. */
  static Baseline trained(long seed, int days, BaselineConfig config) {
    SyntheticAgent agent = new SyntheticAgent(seed);
    Baseline baseline = new Baseline(config);
    int n = 0;
    for (int d = 0; d < days; d++) {
      for (Observation o : agent.day(d)) {
        baseline.accept("e-" + (n++), o);
      }
    }
    return baseline;
  }
}
