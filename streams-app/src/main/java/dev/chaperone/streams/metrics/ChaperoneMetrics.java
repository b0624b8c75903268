package dev.chaperone.streams.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Objects;

/**
 * Chaperone's own meters, named once here. Names follow Micrometer's dotted lower-case convention;
 * the Prometheus registry renders {@code chaperone.dead.letters} as {@code
 * chaperone_dead_letters_total}. Thread-safe.
 */
public final class ChaperoneMetrics {

  /** Input records by outcome: {@code accepted} or {@code dead-lettered}. */
  public static final String EVENTS = "chaperone.events";

  /** Records sent to the dead-letter topic, by source topic and reason code. */
  public static final String DEAD_LETTERS = "chaperone.dead.letters";

  /** Records of global topics (registry, config) rejected, by topic and reason code. */
  public static final String REJECTED = "chaperone.rejected";

  /** Findings by rule, before any suppression. */
  public static final String FINDINGS = "chaperone.findings";

  /** Alerts emitted, by rule and severity. */
  public static final String ALERTS = "chaperone.alerts";

  /** Duplicate events dropped. */
  public static final String DUPLICATES = "chaperone.events.duplicate";

  /** Events older than the grace period: scored but not learned. */
  public static final String LATE = "chaperone.events.late";

  /** Events scored against a baseline, by baseline state. */
  public static final String SCORED = "chaperone.events.scored";

  /** Event scores in σ. */
  public static final String SCORES = "chaperone.score";

  public static final String TAG_RULE = "rule";
  public static final String TAG_SEVERITY = "severity";
  public static final String TAG_STATE = "state";
  public static final String TAG_KIND = "kind";
  public static final String TAG_VERDICT = "verdict";

  /** Analyst verdicts applied, by verdict. */
  public static final String FEEDBACK = "chaperone.feedback";

  /** Findings suppressed by an analyst's time-boxed suppression, by rule. */
  public static final String SUPPRESSED = "chaperone.alerts.suppressed";

  public static final String TAG_OUTCOME = "outcome";
  public static final String TAG_TOPIC = "topic";
  public static final String TAG_REASON = "reason";

  private final MeterRegistry registry;

  // meters touched by every event: looked up once, not per event
  private final Counter lookupHits;
  private final Counter lookupMisses;
  private final Counter sharingFromMemory;
  private final Counter sharingFromStore;
  private final io.micrometer.core.instrument.Timer lag;
  private final Counter accepted;
  private final Counter deadLetteredEvents;
  private final io.micrometer.core.instrument.DistributionSummary scores;
  private final Counter commitRequests;
  private final Counter commitDeferrals;

  public ChaperoneMetrics(MeterRegistry registry) {
    String baselineDoc =
        "Baseline lookups, served from the in-memory cache (hit) or decoded (miss)";
    this.lookupHits = resultCounter(registry, BASELINE_LOOKUPS, baselineDoc, "hit");
    this.lookupMisses = resultCounter(registry, BASELINE_LOOKUPS, baselineDoc, "miss");
    String sharingDoc =
        "Credential-sharing lookups, answered from memory or by reading the window store"
            + " (late uses, keys pushed out by chaperone.sharing.memory.capacity)";
    this.sharingFromMemory = resultCounter(registry, SHARING_LOOKUPS, sharingDoc, "memory");
    this.sharingFromStore = resultCounter(registry, SHARING_LOOKUPS, sharingDoc, "store");
    this.lag =
        io.micrometer.core.instrument.Timer.builder(LAG)
            .description("From an action's event time to its scoring")
            .serviceLevelObjectives(
                java.time.Duration.ofMillis(100),
                java.time.Duration.ofMillis(250),
                java.time.Duration.ofSeconds(1),
                java.time.Duration.ofSeconds(10),
                java.time.Duration.ofMinutes(1))
            .register(registry);
    this.accepted = eventsCounter(registry, "accepted");
    this.deadLetteredEvents = eventsCounter(registry, "dead-lettered");
    this.scores =
        io.micrometer.core.instrument.DistributionSummary.builder(SCORES)
            .description("Event scores in standard deviations")
            .baseUnit("sigma")
            .serviceLevelObjectives(1, 2, 3, 4, 6, 8)
            .register(registry);
    this.commitRequests =
        Counter.builder(COMMIT_REQUESTS)
            .description("Commits asked for at commit.interval.ms while the stream thread kept up")
            .register(registry);
    this.commitDeferrals =
        Counter.builder(COMMIT_DEFERRALS)
            .description(
                "Commits held back while the stream thread was behind its input (once per window)")
            .register(registry);
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  private static Counter eventsCounter(MeterRegistry registry, String outcome) {
    return Counter.builder(EVENTS)
        .description("Input events by outcome")
        .tag(TAG_OUTCOME, outcome)
        .register(registry);
  }

  /** Metrics kept in memory only, for tests and tools. */
  public static ChaperoneMetrics inMemory() {
    return new ChaperoneMetrics(new SimpleMeterRegistry());
  }

  public MeterRegistry registry() {
    return registry;
  }

  public void eventAccepted() {
    accepted.increment();
  }

  /**
   * Input events read so far, accepted or dead-lettered: what {@link #total}{@code (EVENTS)} sums,
   * without searching the registry (which also holds every Kafka client metric), for callers that
   * poll it while the topology runs.
   */
  public long eventsRead() {
    return (long) (accepted.count() + deadLetteredEvents.count());
  }

  public void deadLettered(String topic, String reasonCode) {
    deadLetteredEvents.increment();
    Counter.builder(DEAD_LETTERS)
        .description("Records sent to the dead-letter topic")
        .tag(TAG_TOPIC, topic)
        .tag(TAG_REASON, reasonCode)
        .register(registry)
        .increment();
  }

  public void rejected(String topic, String reasonCode) {
    Counter.builder(REJECTED)
        .description("Records of global topics rejected")
        .tag(TAG_TOPIC, topic)
        .tag(TAG_REASON, reasonCode)
        .register(registry)
        .increment();
  }

  public void finding(String rule) {
    Counter.builder(FINDINGS)
        .description("Findings by rule")
        .tag(TAG_RULE, rule)
        .register(registry)
        .increment();
  }

  /** An alert left the aggregation: a new one, or an update of one already out. */
  public void alertEmitted(String rule, String severity, boolean update) {
    Counter.builder(ALERTS)
        .description("Alerts emitted, new and updates")
        .tag(TAG_RULE, rule)
        .tag(TAG_SEVERITY, severity)
        .tag(TAG_KIND, update ? "update" : "new")
        .register(registry)
        .increment();
  }

  public void feedback(String verdict) {
    Counter.builder(FEEDBACK)
        .description("Analyst verdicts applied")
        .tag(TAG_VERDICT, verdict)
        .register(registry)
        .increment();
  }

  public void suppressed(String rule) {
    Counter.builder(SUPPRESSED)
        .description("Findings not alerted because an analyst suppressed the rule for the agent")
        .tag(TAG_RULE, rule)
        .register(registry)
        .increment();
  }

  /** Event ids forgotten early, shortening an agent's de-duplication horizon. */
  public static final String SIGHTINGS_EVICTED = "chaperone.dedup.evicted";

  /**
   * Counts {@code ids} event ids let go before their 24 hours because one agent (or the untracked
   * unknown agents together) exceeded the per-agent cap.
   */
  public void sightingsEvicted(long ids) {
    Counter.builder(SIGHTINGS_EVICTED)
        .description(
            "Event ids forgotten before 24 h because an agent exceeded the per-agent cap:"
                + " its duplicates older than what is kept are no longer dropped")
        .register(registry)
        .increment(ids);
  }

  public void duplicate() {
    Counter.builder(DUPLICATES)
        .description("Duplicate events dropped")
        .register(registry)
        .increment();
  }

  /** Baseline lookups by {@code result}: {@code hit} (decoded in memory) or {@code miss}. */
  public static final String BASELINE_LOOKUPS = "chaperone.baseline.cache.lookups";

  /** From an action's event time to its scoring, on the wall clock. */
  public static final String LAG = "chaperone.events.lag";

  public static final String TAG_RESULT = "result";

  /** A counter of {@code name} tagged with one {@code result}, registered once at construction. */
  private static Counter resultCounter(
      MeterRegistry registry, String name, String description, String result) {
    return Counter.builder(name)
        .description(description)
        .tag(TAG_RESULT, result)
        .register(registry);
  }

  public void baselineLookup(boolean hit) {
    (hit ? lookupHits : lookupMisses).increment();
  }

  /**
   * The sharing check's lookups by {@code result}: answered from its memory ({@code memory}) or by
   * a range read of its window store ({@code store}).
   */
  public static final String SHARING_LOOKUPS = "chaperone.sharing.lookups";

  public void sharingLookup(boolean fromStore) {
    (fromStore ? sharingFromStore : sharingFromMemory).increment();
  }

  /** Records the end-to-end lag of one action: from when it happened to when it was scored. */
  public void lag(long millis) {
    lag.record(Math.max(0, millis), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  public void late() {
    Counter.builder(LATE)
        .description("Events older than the grace period, scored but not learned")
        .register(registry)
        .increment();
  }

  /**
   * Behavioural alerts by threshold, beside each other: {@code threshold=live} for those raised
   * under the live thresholds, {@code threshold=shadow} for those a scope's candidate {@code
   * shadowThresholdSigma} would raise; {@code scope} is the config version in force.
   */
  public static final String THRESHOLD_ALERTS = "chaperone.threshold.alerts";

  public static final String TAG_THRESHOLD = "threshold";
  public static final String TAG_SCOPE = "scope";

  /** Counts a behavioural alert under the live thresholds or a shadow one. */
  public void thresholdAlert(String threshold, String scope) {
    Counter.builder(THRESHOLD_ALERTS)
        .description("Behavioural alerts raised (live) or that a candidate threshold would raise")
        .tag(TAG_THRESHOLD, threshold)
        .tag(TAG_SCOPE, scope)
        .register(registry)
        .increment();
  }

  public void scored(String state, double score) {
    scoredByState
        .computeIfAbsent(
            state,
            st ->
                Counter.builder(SCORED)
                    .description("Events scored")
                    .tag(TAG_STATE, st)
                    .register(registry))
        .increment();
    scores.record(score);
  }

  private final java.util.Map<String, Counter> scoredByState =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Actions of unregistered agents by {@code admission}: {@code tracked} (followed one by one),
   * {@code admitted} (newly followed), {@code over-cap} or {@code over-rate} (not followed: counted
   * in the fleet-level alert only).
   */
  public static final String UNREGISTERED = "chaperone.unregistered.actions";

  /** Unregistered agents forgotten, by {@code reason}: {@code registered} or {@code expired}. */
  public static final String UNREGISTERED_FORGOTTEN = "chaperone.unregistered.forgotten";

  public static final String TAG_ADMISSION = "admission";

  public void unregistered(dev.chaperone.streams.fleet.UnregisteredAgents.Admission admission) {
    // every action of every unknown agent in a flood: looked up once per admission, not per event
    unregisteredActions
        .computeIfAbsent(
            admission,
            a ->
                Counter.builder(UNREGISTERED)
                    .description(
                        "Actions of unregistered agents, by whether the agent is tracked one by one")
                    .tag(TAG_ADMISSION, a.tag())
                    .register(registry))
        .increment();
  }

  private final java.util.Map<dev.chaperone.streams.fleet.UnregisteredAgents.Admission, Counter>
      unregisteredActions = new java.util.concurrent.ConcurrentHashMap<>();

  public void unregisteredForgotten(String reason, int agents) {
    Counter.builder(UNREGISTERED_FORGOTTEN)
        .description("Unregistered agents no longer tracked: registered since, or silent too long")
        .tag(TAG_REASON, reason)
        .register(registry)
        .increment(agents);
  }

  /**
   * Commits the pacer asked for: every commit interval while the stream thread keeps up with its
   * input, less often the further behind it is.
   */
  public static final String COMMIT_REQUESTS = "chaperone.commit.requests";

  /**
   * Commits the pacer held back because the stream thread was busy (behind its input), once per
   * commit window: a rising count means the detector is catching up.
   */
  public static final String COMMIT_DEFERRALS = "chaperone.commit.deferrals";

  public void commitRequested() {
    commitRequests.increment();
  }

  public void commitDeferred() {
    commitDeferrals.increment();
  }

  /** Current count of a counter, 0 when it was never incremented. */
  public double count(String name, String... tags) {
    Counter counter = registry.find(name).tags(tags).counter();
    return counter == null ? 0 : counter.count();
  }

  /** Sum over every counter of this name whatever its tags. */
  public double total(String name, String... tags) {
    return registry.find(name).tags(tags).counters().stream().mapToDouble(Counter::count).sum();
  }
}
