package dev.chaperone.streams.fleet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Which unregistered agents a stream task follows one by one, so that state for agents nobody
 * registered stays bounded whatever ids arrive. An unknown agent is <em>admitted</em> (tracked: its
 * own inventory entry, baseline and alerts) while the task tracks fewer than {@link
 * Limits#maxTracked} and has admitted fewer than {@link Limits#admissionsPerHour} in the hour
 * (event time) of the action; otherwise it is <em>refused</em> and its actions only count towards
 * one fleet-level alert. Tracked agents silent for {@link Limits#ttl} are forgotten (see {@link
 * #sweep}), as are agents that have since been registered.
 *
 * <p>The store maps agent id to the event time of admission. Counts are rebuilt from it lazily, so
 * after a crash they follow the restored (committed) store: the same input admits the same agents.
 * Agents forgotten by a sweep of another holder of the same store (the detect step sweeps, the
 * inventory step admits) show in this holder's counts at its next hourly recount; until then the
 * count errs high, so the bound holds and a few admissions may wait for the hour.
 */
public final class UnregisteredAgents {

  /**
   * Agent id under which the actions of refused unknown agents are alerted, fleet-wide. Agent ids
   * with the prefix {@link #RESERVED_PREFIX} are refused by the action contract, so it names no
   * real agent.
   */
  public static final String FLEET_KEY = "chaperone:unregistered-agents";

  /** Prefix of agent ids Chaperone keeps for itself. */
  public static final String RESERVED_PREFIX = "chaperone:";

  private static final long HOUR_MS = Duration.ofHours(1).toMillis();

  /** The bounds, per stream task (one partition of the actions). */
  public record Limits(int maxTracked, int admissionsPerHour, Duration ttl) {
    public Limits {
      if (maxTracked < 0 || admissionsPerHour < 0 || ttl.isNegative() || ttl.isZero()) {
        throw new IllegalArgumentException(
            "unregistered-agent limits must be >= 0 and the TTL positive: " + this);
      }
    }
  }

  /** What happened to one action of an unregistered agent. */
  public enum Admission {
    /** Already tracked. */
    TRACKED,
    /** Newly tracked. */
    ADMITTED,
    /** Not tracked: the task already tracks {@link Limits#maxTracked} unknown agents. */
    OVER_CAP,
    /** Not tracked: the task admitted {@link Limits#admissionsPerHour} in this hour already. */
    OVER_RATE;

    public boolean tracked() {
      return this == TRACKED || this == ADMITTED;
    }

    /** The metric tag. */
    public String tag() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
  }

  private final KeyValueStore<String, Long> store;
  private final Limits limits;
  private int tracked = -1;
  private long budgetHour = Long.MIN_VALUE;
  private int admittedThisHour;

  public UnregisteredAgents(KeyValueStore<String, Long> store, Limits limits) {
    this.store = store;
    this.limits = limits;
  }

  /** Whether {@code agentId} is tracked one by one. */
  public boolean isTracked(String agentId) {
    return store.get(agentId) != null;
  }

  /** Admits {@code agentId} if the limits allow, at event time {@code atMs}. */
  public Admission admit(String agentId, long atMs) {
    if (store.get(agentId) != null) {
      return Admission.TRACKED;
    }
    long hour = atMs - Math.floorMod(atMs, HOUR_MS);
    if (tracked < 0 || hour != budgetHour) {
      recount(hour);
    }
    if (tracked >= limits.maxTracked()) {
      return Admission.OVER_CAP;
    }
    if (admittedThisHour >= limits.admissionsPerHour()) {
      return Admission.OVER_RATE;
    }
    store.put(agentId, atMs);
    tracked++;
    admittedThisHour++;
    return Admission.ADMITTED;
  }

  private void recount(long hour) {
    int all = 0;
    int inHour = 0;
    try (KeyValueIterator<String, Long> it = store.all()) {
      while (it.hasNext()) {
        long admittedAt = it.next().value;
        all++;
        if (admittedAt >= hour && admittedAt < hour + HOUR_MS) {
          inHour++;
        }
      }
    }
    tracked = all;
    budgetHour = hour;
    admittedThisHour = inHour;
  }

  /**
   * Forgets tracked agents that are now registered, and those whose last action ({@code
   * lastSeenMs}, absent when unknown) is older than the TTL at {@code streamTimeMs}; the latter are
   * passed to {@code onExpired} so that their other state goes too.
   */
  public Swept sweep(
      long streamTimeMs,
      java.util.function.Predicate<String> registered,
      java.util.function.ToLongFunction<String> lastSeenMs,
      Consumer<String> onExpired) {
    List<KeyValue<String, Boolean>> forget = new ArrayList<>();
    long horizon = streamTimeMs - limits.ttl().toMillis();
    try (KeyValueIterator<String, Long> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<String, Long> entry = it.next();
        if (registered.test(entry.key)) {
          forget.add(KeyValue.pair(entry.key, false));
        } else if (Math.max(entry.value, lastSeenMs.applyAsLong(entry.key)) < horizon) {
          forget.add(KeyValue.pair(entry.key, true));
        }
      }
    }
    for (KeyValue<String, Boolean> agent : forget) {
      store.delete(agent.key);
      if (agent.value) {
        onExpired.accept(agent.key);
      }
    }
    tracked = -1;
    int expired = (int) forget.stream().filter(agent -> agent.value).count();
    return new Swept(forget.size() - expired, expired);
  }

  /** How many agents one {@link #sweep} forgot, by reason. */
  public record Swept(int registered, int expired) {}
}
