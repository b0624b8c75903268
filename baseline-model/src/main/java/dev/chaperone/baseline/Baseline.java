package dev.chaperone.baseline;

import dev.chaperone.baseline.internal.DayBucket;
import dev.chaperone.baseline.internal.Feature;
import dev.chaperone.baseline.internal.Hashing;
import dev.chaperone.baseline.internal.IntIntMap;
import dev.chaperone.baseline.internal.KeyIndex;
import dev.chaperone.baseline.internal.Moments;
import dev.chaperone.baseline.internal.ResourceGeneralizer;
import dev.chaperone.baseline.internal.Sidak;
import dev.chaperone.baseline.internal.TailCalibrator;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One agent's behavioural baseline over a rolling window of UTC days, and the scoring of new
 * actions against it.
 *
 * <h2>State</h2>
 *
 * A ring of day buckets covers the window: the newest (open) day as counters, closed days encoded
 * once and never rewritten (but for late events). Running totals are kept in step, so scoring costs
 * O(1) in the window length: a day leaving the window is subtracted exactly. Counted features:
 * action types, tools, exact and generalised (tool, resource) pairs, tool→tool transitions within a
 * session, hour of the week (168 bins), channels and (channel, content class), positions within
 * sessions (log2 bins), and active-hour counts for the rate. Every feature has a cap on its
 * distinct keys; past it the least used quarter is evicted, and an overall cap on the encoded size
 * ({@link BaselineConfig#maxEncodedBytes()}) holds whatever the agent does.
 *
 * <h2>Scoring</h2>
 *
 * {@link #assess(Observation)} scores first, {@link #learn(Assessment)} learns after, so an event
 * never vouches for itself. A categorical signal's raw value is its surprise, s = −ln((c + α) / (N
 * + α(K + 1))), with c the key's count, N the feature's total, K its distinct keys and α the
 * smoothing. Each raw value is calibrated against the agent's own history of that signal: σ = (s −
 * mean) / max(sd, floor), with running moments that forget at the window's pace. The event score is
 * the largest σ corrected for the number of signals looked at (Šidák): a max over k independent
 * standard normals exceeds z with probability 1 − Φ(z)ᵏ, so the corrected score keeps its meaning
 * as a tail probability however many signals there are. The session score is Stouffer's combination
 * of calibrated per-event aggregates, Σz/√n, tail-calibrated against the agent's own history of
 * session values (format version 2; moments until that history is long enough).
 *
 * <h2>Learning policy</h2>
 *
 * Events at or above the event threshold are not learned; {@link #quarantine} holds them (bounded)
 * until {@link #release} learns them as benign. Slow poisoning is resisted twice: a key first seen
 * in the last {@code driftDays} learns at most {@code noveltyDailyShare} of the agent's mean daily
 * volume per day, and the {@link Signal#DRIFT} signal compares the last days with the rest of the
 * window.
 *
 * <p>Deterministic: no wall clock, no randomness; the same observations in the same order give the
 * same scores and the same encoding. Not thread-safe: one baseline belongs to one stream task.
 */
public final class Baseline {

  static final long DAY_MS = 86_400_000L;
  static final long HOUR_MS = 3_600_000L;
  static final int SIGNALS = Signal.values().length;
  static final int FEATURES = Feature.ALL.length;
  static final int AGGREGATE = 0;
  static final int SESSION = 1;
  static final double SESSION_LOW = -4;
  static final double SESSION_MIN_SCALE = 0.5;
  static final int MAX_SESSIONS = 32;
  static final int MAX_NAME_CHARS = 128;
  static final int QUARANTINE_BYTES = 16 * 1024;
  static final long KEY_MASK = 0xFFFF_FFFFL;
  static final int MAX_SEQ = 1 << (31 - Feature.BITS);
  static final double DRIFT_DISPERSION_SD = 2.0;
  private static final Feature[] DRIFT_FEATURES = {Feature.TOOL, Feature.PAIR_GENERAL};
  static final long SESSION_IDLE_MS = 2 * 3_600_000L;

  BaselineConfig config;

  // dictionary: 32-bit key hash -> (id, window count); id ((seq << 4) | feature) -> (hash, name)
  final KeyIndex index;
  final KeyTable keys;
  int nextSeq = 1;
  long nameBytes;

  // running totals over the window (the per-key counts live in the index)
  final long[] featureTotal = new long[Feature.ALL.length];
  final int[] featureDistinct = new int[Feature.ALL.length];
  final long[] hourOfWeek = new long[168];
  long events;

  // the last driftDays days
  final IntIntMap recent = new IntIntMap(64);
  long recentEvents;

  // events per active hour over closed days
  long activeHours;
  long hourSum;
  long hourSumSq;

  // the ring
  DayBucket open;
  final TreeMap<Long, byte[]> closed = new TreeMap<>();
  long closedBytes;
  // closed days written or rewritten, and days dropped, since the last drainDayChanges()
  final java.util.TreeSet<Long> changedDays = new java.util.TreeSet<>();
  final java.util.TreeSet<Long> removedDays = new java.util.TreeSet<>();

  // calibration of each signal, and of the per-event aggregate; their histograms side by side in
  // one bank, with the session's
  private final TailCalibrator.Bank calibrationBank = new TailCalibrator.Bank(SIGNALS + 1);
  final TailCalibrator[] calibration = new TailCalibrator[SIGNALS];
  // calibration of the session score: the agent's own history of Stouffer session values, whose
  // tails are far heavier than a normal's (the events of a session are correlated)
  final TailCalibrator sessionCalibration = new TailCalibrator(SESSION_LOW, calibrationBank);
  final Moments[] moments = {new Moments(), new Moments()};

  // sessions in progress and the hour being counted for the rate (all events, learned or not)
  final LinkedHashMap<String, SessionState> sessions = new LinkedHashMap<>(16, 0.75f, true);
  long rateHour = -1;
  int rateCount;

  final ArrayDeque<Quarantined> quarantine = new ArrayDeque<>();
  long quarantineBytes;

  private final StringBuilder scratch = new StringBuilder(64);
  private static final int GENERALIZED_CACHE = 256;
  private final String[] generalizedFrom = new String[GENERALIZED_CACHE];
  private final String[] generalizedTo = new String[GENERALIZED_CACHE];
  // per slot, the keys of the pair (tool, resource) and (tool, generalised resource) last hashed
  // for the slot's resource, and that tool (null: none yet): hashing is a multiply per character,
  // and an agent's resources come back with the same tools
  private final String[] pairTool = new String[GENERALIZED_CACHE];
  private final long[] pairKey = new long[GENERALIZED_CACHE];
  private final long[] pairGeneralKey = new long[GENERALIZED_CACHE];

  /** What a session in progress remembers. */
  static final class SessionState {
    String lastTool;
    int position;
    double sumZ;
    int scored;
    long lastSeenMs;
  }

  /** An event held out of learning. */
  record Quarantined(String eventId, Observation observation) {}

  /** An empty baseline. */
  public Baseline(BaselineConfig config) {
    this(config, 256);
  }

  /** An empty baseline sized for about {@code expectedKeys} keys (decoding knows the number). */
  Baseline(BaselineConfig config, int expectedKeys) {
    int capacity = Math.max(64, expectedKeys + expectedKeys / 4);
    this.index = new KeyIndex(capacity);
    this.keys = new KeyTable(capacity);
    this.config = Objects.requireNonNull(config, "config");
    for (Signal s : Signal.values()) {
      calibration[s.ordinal()] = new TailCalibrator(s == Signal.DRIFT ? -10 : 0, calibrationBank);
    }
  }

  public BaselineConfig config() {
    return config;
  }

  // ---------------------------------------------------------------- scoring

  /**
   * Scores {@code observation} against this baseline. Moves the session and rate trackers forward
   * (the session goes on whether or not the event is learned) but learns nothing: call {@link
   * #learn(Assessment)} after.
   */
  public Assessment assess(Observation observation) {
    return assess(observation, null);
  }

  /**
   * Scores {@code observation}; while this baseline is warming up, against {@code cohort} when that
   * one is warm (null for none).
   */
  public Assessment assess(Observation observation, Baseline cohort) {
    SessionState session = session(observation);
    String previousTool = session == null ? null : session.lastTool;
    int position = session == null ? 1 : session.position + 1;
    int rate = countForRate(observation.timestampMs());

    BaselineState state;
    Baseline reference;
    if (isWarm()) {
      state = BaselineState.BASELINED;
      reference = this;
    } else if (cohort != null && cohort.isWarm()) {
      state = BaselineState.WARMING_UP;
      reference = cohort;
    } else {
      state = BaselineState.UNBASELINED;
      reference = this;
    }
    Assessment a = new Assessment(this, reference, observation, state, previousTool, position);
    reference.computeSignals(a, reference == this ? rate : -1);

    if (session != null) {
      session.lastTool = observation.tool();
      session.position = position;
      session.lastSeenMs = Math.max(session.lastSeenMs, observation.timestampMs());
      if (a.presentSignals > 0) {
        session.sumZ += a.aggregateZ;
        session.scored++;
      }
      double stouffer = session.scored > 0 ? session.sumZ / Math.sqrt(session.scored) : 0;
      a.sessionRaw = stouffer;
      // Events of one session are correlated, so Σz/√n is wider than N(0, 1), and heavy-tailed:
      // read it against the agent's own history of session values, tail-calibrated as the
      // signals are (moments only while that history is too short, e.g. after an upgrade).
      if (sessionCalibration.weight() >= config.minCalibrationSamples()) {
        a.sessionScore =
            Math.max(
                0,
                Math.min(
                    50,
                    sessionCalibration.sigma(
                        stouffer, config.minCalibrationSamples(), SESSION_MIN_SCALE)));
      } else {
        Moments m = moments[SESSION];
        a.sessionScore =
            m.weight() >= config.minCalibrationSamples()
                ? Math.max(
                    0, Math.min(50, (stouffer - m.mean()) / Math.max(m.standardDeviation(), 0.5)))
                : 0;
      }
    }
    if (state == BaselineState.UNBASELINED) {
      a.eventScore = 0;
      a.sessionScore = 0;
    }
    return a;
  }

  private SessionState session(Observation o) {
    if (o.sessionId() == null) {
      return null;
    }
    SessionState s = sessions.get(o.sessionId());
    if (s == null) {
      s = new SessionState();
      s.lastSeenMs = o.timestampMs();
      sessions.put(o.sessionId(), s);
      // Forget sessions idle for two hours of event time, and the least recent past the cap.
      Iterator<Map.Entry<String, SessionState>> eldest = sessions.entrySet().iterator();
      while (eldest.hasNext()) {
        Map.Entry<String, SessionState> e = eldest.next();
        boolean idle = e.getValue().lastSeenMs < o.timestampMs() - SESSION_IDLE_MS;
        if (e.getValue() != s && (idle || sessions.size() > MAX_SESSIONS)) {
          eldest.remove();
        } else {
          break;
        }
      }
    }
    return s;
  }

  private int countForRate(long timestampMs) {
    long hour = Math.floorDiv(timestampMs, HOUR_MS);
    if (hour > rateHour) {
      rateHour = hour;
      rateCount = 0;
    }
    if (hour == rateHour) {
      return ++rateCount;
    }
    return -1; // a late event says nothing about the current hour
  }

  void computeSignals(Assessment a, int rateCount) {
    Observation o = a.observation;
    double alpha = config.smoothing();

    a.keyHash[Feature.ACTION_TYPE.ordinal()] = key(Feature.ACTION_TYPE, o.actionType(), null);
    a.keyHash[Feature.TOOL.ordinal()] = key(Feature.TOOL, o.tool(), null);
    long previousToolHash = a.previousTool == null ? 0 : key(Feature.TOOL, a.previousTool, null);
    if (o.resource() != null) {
      int slot = generalizedSlot(o.resource());
      String tool = o.tool();
      if (!tool.equals(pairTool[slot])) {
        pairKey[slot] = key(Feature.PAIR, tool, o.resource());
        pairGeneralKey[slot] = key(Feature.PAIR_GENERAL, tool, generalizedTo[slot]);
        pairTool[slot] = tool;
      }
      a.keyHash[Feature.PAIR.ordinal()] = pairKey[slot];
      a.keyHash[Feature.PAIR_GENERAL.ordinal()] = pairGeneralKey[slot];
    }
    if (a.previousTool != null) {
      a.keyHash[Feature.TRANSITION.ordinal()] = key(Feature.TRANSITION, a.previousTool, o.tool());
    }
    if (o.channel() != null) {
      a.keyHash[Feature.CHANNEL.ordinal()] = key(Feature.CHANNEL, o.channel(), null);
      if (o.contentClass() != null) {
        a.keyHash[Feature.CONTENT.ordinal()] = key(Feature.CONTENT, o.channel(), o.contentClass());
      }
    }
    if (o.sessionId() != null) {
      a.keyHash[Feature.SESSION_POSITION.ordinal()] = positionKey(a.position);
    }
    // Every key's count first, then the arithmetic: each lookup is a probe of the index, which
    // with a fleet of agents is rarely in the CPU's caches, and lookups one after another let the
    // CPU fetch their lines together where a lookup between two logarithms waits alone.
    long[] counts = new long[FEATURES];
    for (int f = 0; f < FEATURES; f++) {
      counts[f] = count(a.keyHash[f]);
    }
    long previousToolCount = count(previousToolHash);

    surprise(
        a,
        Signal.ACTION_TYPE,
        counts[Feature.ACTION_TYPE.ordinal()],
        featureTotal[Feature.ACTION_TYPE.ordinal()],
        featureDistinct[Feature.ACTION_TYPE.ordinal()],
        alpha);
    surprise(
        a,
        Signal.TOOL,
        counts[Feature.TOOL.ordinal()],
        featureTotal[Feature.TOOL.ordinal()],
        featureDistinct[Feature.TOOL.ordinal()],
        alpha);
    if (o.resource() != null) {
      // Resources are scored given the tool: a tool's usual targets, not the fleet of all targets.
      long toolCount = counts[Feature.TOOL.ordinal()];
      surprise(
          a,
          Signal.RESOURCE,
          counts[Feature.PAIR.ordinal()],
          toolCount,
          featureDistinct[Feature.PAIR.ordinal()],
          alpha);
      surprise(
          a,
          Signal.RESOURCE_FAMILY,
          counts[Feature.PAIR_GENERAL.ordinal()],
          toolCount,
          featureDistinct[Feature.PAIR_GENERAL.ordinal()],
          alpha);
    }
    if (a.previousTool != null) {
      surprise(
          a,
          Signal.TRANSITION,
          counts[Feature.TRANSITION.ordinal()],
          previousToolCount,
          featureDistinct[Feature.TOOL.ordinal()],
          alpha);
    }
    int how = hourOfWeek(o.timestampMs());
    a.hourOfWeek = how;
    // 168 bins over a few weeks are sparse: smooth each bin with its neighbouring hours (weight
    // 1/2) and the same hour on the neighbouring days (1/4), so 16:00 on a fourth Friday is not
    // news.
    double smoothed =
        hourOfWeek[how]
            + 0.5 * (hourOfWeek[(how + 1) % 168] + hourOfWeek[(how + 167) % 168])
            + 0.25 * (hourOfWeek[(how + 24) % 168] + hourOfWeek[(how + 144) % 168]);
    int k = Signal.HOUR_OF_WEEK.ordinal();
    a.count[k] = hourOfWeek[how];
    a.total[k] = events;
    setRaw(
        a,
        Signal.HOUR_OF_WEEK,
        -Math.log((smoothed + alpha) / (2.5 * events + alpha * 168)),
        hourOfWeek[how] == 0);
    if (a.keyHash[Feature.CONTENT.ordinal()] != 0) {
      surprise(
          a,
          Signal.CONTENT_CLASS,
          counts[Feature.CONTENT.ordinal()],
          counts[Feature.CHANNEL.ordinal()],
          featureDistinct[Feature.CONTENT.ordinal()],
          alpha);
    }
    if (o.sessionId() != null) {
      surprise(
          a,
          Signal.SESSION_LENGTH,
          counts[Feature.SESSION_POSITION.ordinal()],
          featureTotal[Feature.SESSION_POSITION.ordinal()],
          31,
          alpha);
    }
    if (rateCount > 0 && activeHours >= 24) {
      double mean = (double) hourSum / activeHours;
      double variance = Math.max(0, (double) hourSumSq / activeHours - mean * mean);
      double sd = Math.max(Math.max(Math.sqrt(variance), Math.sqrt(mean)), 1.0);
      a.rateCount = rateCount;
      a.rateMean = mean;
      a.rateSd = sd;
      setRaw(a, Signal.RATE, (rateCount - mean) / sd, false);
    }
    drift(a, alpha);
    calibrate(a);
  }

  private void surprise(
      Assessment a, Signal signal, long c, long total, int distinct, double alpha) {
    int k = signal.ordinal();
    a.count[k] = c;
    a.total[k] = total;
    setRaw(a, signal, -Math.log((c + alpha) / (total + alpha * (distinct + 1))), c == 0);
  }

  private static void setRaw(Assessment a, Signal signal, double raw, boolean firstSeen) {
    int k = signal.ordinal();
    a.present[k] = true;
    a.raw[k] = raw;
    a.firstSeen[k] = firstSeen;
  }

  private void drift(Assessment a, double alpha) {
    long older = events - recentEvents;
    if (older < 100 || recentEvents < 20) {
      return;
    }
    double best = Double.NEGATIVE_INFINITY;
    for (Feature feature : DRIFT_FEATURES) {
      long hash = a.keyHash[feature.ordinal()];
      int id = hash == 0 ? -1 : index.idOf(hash, -1);
      if (id < 0) {
        continue;
      }
      int inRecent = recent.get(id);
      if (inRecent < 3) {
        continue;
      }
      long inOlder = index.countOf(hash) - inRecent;
      // Two-proportion z-test of the recent share against the older share, deflated by a fixed
      // dispersion (φ = 4): actions come in sessions, so counts vary more than binomially.
      double pooled = (double) (inRecent + inOlder) / events;
      double se =
          Math.sqrt(Math.max(pooled * (1 - pooled), 1e-9) * (1.0 / recentEvents + 1.0 / older));
      double z =
          ((double) inRecent / recentEvents - (double) inOlder / older) / se / DRIFT_DISPERSION_SD;
      if (z > best) {
        best = z;
        a.driftFeature = feature;
        a.driftRecent = inRecent;
        a.driftOlder = inOlder;
      }
    }
    if (best > Double.NEGATIVE_INFINITY) {
      a.driftRecentEvents = recentEvents;
      a.driftOlderEvents = older;
      setRaw(a, Signal.DRIFT, best, false);
    }
  }

  private void calibrate(Assessment a) {
    // Every calibrated signal's tail probability first (held in a.sigma), then their z: see
    // TailCalibrator.tailProbability.
    int minSamples = config.minCalibrationSamples();
    double minScale = config.minSigmaNats();
    for (int k = 0; k < SIGNALS; k++) {
      if (a.present[k] && k != Signal.RATE.ordinal() && k != Signal.DRIFT.ordinal()) {
        a.sigma[k] = calibration[k].tailProbability(a.raw[k], minSamples, minScale);
      }
    }
    double max = 0;
    double sum = 0;
    int present = 0;
    for (int k = 0; k < SIGNALS; k++) {
      if (!a.present[k]) {
        continue;
      }
      present++;
      double sigma;
      if (k == Signal.RATE.ordinal() || k == Signal.DRIFT.ordinal()) {
        sigma = a.raw[k];
      } else {
        sigma = TailCalibrator.sigmaOf(a.sigma[k]);
      }
      sigma = Math.max(-50, Math.min(50, sigma));
      a.sigma[k] = sigma;
      max = Math.max(max, sigma);
      sum += Math.max(-10, Math.min(10, sigma));
    }
    a.presentSignals = present;
    a.eventScore = Sidak.correct(max, present);
    a.aggregateRaw = present > 0 ? sum / Math.sqrt(present) : 0;
    Moments m = moments[AGGREGATE];
    a.aggregateZ =
        m.weight() >= config.minCalibrationSamples()
            ? Math.max(
                -10,
                Math.min(10, (a.aggregateRaw - m.mean()) / Math.max(m.standardDeviation(), 0.1)))
            : 0;
  }

  private long count(long hash) {
    if (hash == 0) {
      return 0;
    }
    return index.countOf(hash);
  }

  /**
   * The slot of {@code resource} in a small direct-mapped cache of generalised forms (and of the
   * pair keys hashed with it): agents revisit their resources, and generalising is the costliest
   * step of hashing an event.
   */
  private int generalizedSlot(String resource) {
    int slot = resource.hashCode() & (GENERALIZED_CACHE - 1);
    if (resource.equals(generalizedFrom[slot])) {
      return slot;
    }
    scratch.setLength(0);
    ResourceGeneralizer.generalize(resource, scratch);
    generalizedFrom[slot] = resource;
    generalizedTo[slot] = scratch.toString();
    pairTool[slot] = null; // the pair keys were of the resource this one replaces
    return slot;
  }

  static long key(Feature feature, CharSequence first, CharSequence second) {
    long h = Hashing.mix(Hashing.seed(feature.ordinal()), first);
    if (second != null) {
      h = Hashing.mix(h, second);
    }
    long masked = h & KEY_MASK;
    return masked == 0 ? 1 : masked;
  }

  static long positionKey(int position) {
    int bin = 31 - Integer.numberOfLeadingZeros(Math.max(1, position));
    long h = Hashing.mix(Hashing.seed(Feature.SESSION_POSITION.ordinal()), bin) & KEY_MASK;
    return h == 0 ? 1 : h;
  }

  static int positionBin(int position) {
    return 31 - Integer.numberOfLeadingZeros(Math.max(1, position));
  }

  static int hourOfWeek(long timestampMs) {
    long day = Math.floorDiv(timestampMs, DAY_MS);
    int hour = (int) (Math.floorMod(timestampMs, DAY_MS) / HOUR_MS);
    return dayOfWeek(day) * 24 + hour;
  }

  /** Monday = 0; 1970-01-01 was a Thursday. */
  static int dayOfWeek(long epochDay) {
    return (int) Math.floorMod(epochDay + 3, 7);
  }

  // ---------------------------------------------------------------- learning

  /**
   * Learns the assessed event into the baseline. Returns false when the event is older than the
   * window (it trains nothing) or was already learned.
   */
  public boolean learn(Assessment a) {
    if (a.baseline != this) {
      throw new IllegalArgumentException("the assessment was made by another baseline");
    }
    if (a.learned) {
      return false;
    }
    a.learned = true;
    return learnObservation(
        a.observation, a.keyHash, a.raw, a.present, a.aggregateRaw, a.sessionRaw);
  }

  /**
   * Scores, then learns unless the event scores at or above the event threshold, in which case it
   * is quarantined under {@code eventId} until {@link #release released} or {@link #discard
   * discarded}. The usual way to feed a baseline.
   */
  public Assessment accept(String eventId, Observation observation) {
    return accept(eventId, observation, null);
  }

  /** {@link #accept(String, Observation)} with a cohort for the warm-up. */
  public Assessment accept(String eventId, Observation observation, Baseline cohort) {
    Assessment a = assess(observation, cohort);
    if (a.state() != BaselineState.UNBASELINED && a.isAlert()) {
      quarantine(eventId, observation);
    } else {
      learn(a);
    }
    return a;
  }

  /**
   * Holds an event out of learning; the oldest held event is dropped (never learned) past the cap
   * of {@code quarantineCapacity} events or 16 KiB.
   */
  public void quarantine(String eventId, Observation observation) {
    if (config.quarantineCapacity() == 0) {
      return;
    }
    holdQuarantined(new Quarantined(eventId, observation));
    while (quarantine.size() > config.quarantineCapacity() || quarantineBytes > QUARANTINE_BYTES) {
      quarantineBytes -= sizeOf(quarantine.removeFirst());
    }
  }

  void holdQuarantined(Quarantined q) {
    quarantine.addLast(q);
    quarantineBytes += sizeOf(q);
  }

  private static long sizeOf(Quarantined q) {
    Observation o = q.observation();
    return 16
        + length(q.eventId())
        + length(o.sessionId())
        + length(o.actionType())
        + length(o.tool())
        + length(o.resource())
        + length(o.channel())
        + length(o.contentClass());
  }

  private static int length(String s) {
    return s == null ? 1 : s.length() + 2;
  }

  /** Ids of the events held out of learning, oldest first. */
  public List<String> quarantined() {
    return quarantine.stream().map(Quarantined::eventId).toList();
  }

  /** Learns a quarantined event as benign; false when it is not (or no longer) held. */
  public boolean release(String eventId) {
    for (Iterator<Quarantined> it = quarantine.iterator(); it.hasNext(); ) {
      Quarantined q = it.next();
      if (q.eventId().equals(eventId)) {
        it.remove();
        quarantineBytes -= sizeOf(q);
        Assessment a =
            new Assessment(this, this, q.observation(), BaselineState.BASELINED, null, 1);
        computeSignals(a, -1);
        a.learned = true;
        learnObservation(q.observation(), a.keyHash, a.raw, a.present, Double.NaN, Double.NaN);
        return true;
      }
    }
    return false;
  }

  /**
   * Learns every quarantined event as benign (an analyst called the behaviour an expected change or
   * a false positive); returns how many.
   */
  public int releaseAll() {
    List<String> held = quarantined();
    int released = 0;
    for (String eventId : held) {
      if (release(eventId)) {
        released++;
      }
    }
    return released;
  }

  /** Drops a quarantined event for good (a true positive); false when it is not held. */
  public boolean discard(String eventId) {
    for (Iterator<Quarantined> it = quarantine.iterator(); it.hasNext(); ) {
      Quarantined q = it.next();
      if (q.eventId().equals(eventId)) {
        it.remove();
        quarantineBytes -= sizeOf(q);
        return true;
      }
    }
    return false;
  }

  private boolean learnObservation(
      Observation o,
      long[] keyHash,
      double[] raw,
      boolean[] present,
      double aggregateRaw,
      double sessionRaw) {
    long day = Math.floorDiv(o.timestampMs(), DAY_MS);
    if (open == null) {
      open = new DayBucket(day);
    } else if (day > open.day()) {
      roll(day);
    }
    if (day <= open.day() - config.windowDays()) {
      return false;
    }
    DayBucket target;
    byte[] before = null;
    if (day == open.day()) {
      target = open;
    } else {
      before = closed.get(day);
      target = before == null ? new DayBucket(day) : DayBucket.decode(before);
    }
    boolean isRecent = day > open.day() - config.driftDays();
    long noveltyCap = noveltyCap();
    for (Feature feature : Feature.ALL) {
      long hash = keyHash[feature.ordinal()];
      if (hash == 0) {
        continue;
      }
      int id = index.idOf(hash, -1);
      if (id >= 0
          && feature.tracksRecent()
          && isNovel(id, hash)
          && target.counts().get(id) >= noveltyCap) {
        continue; // a new behaviour learns at most its daily cap: slow poisoning stays visible
      }
      if (id < 0) {
        id = newKey(feature, hash, nameOf(feature, o));
      }
      target.counts().add(id, 1);
      index.addCount(hash, 1);
      featureTotal[feature.ordinal()]++;
      if (isRecent && feature.tracksRecent()) {
        recent.add(id, 1);
      }
    }
    int hourOfDay = (int) (Math.floorMod(o.timestampMs(), DAY_MS) / HOUR_MS);
    if (before != null) {
      removeRateStats(target.hourly());
    }
    target.addEvent(hourOfDay, 1);
    hourOfWeek[dayOfWeek(day) * 24 + hourOfDay]++;
    events++;
    if (isRecent) {
      recentEvents++;
    }
    if (target != open) {
      if (before != null) {
        closedBytes -= before.length;
      }
      byte[] after = target.encode();
      closed.put(day, after);
      changedDays.add(day);
      closedBytes += after.length;
      addRateStats(target.hourly());
    }
    // Calibrate only on a warm baseline: in the first days everything is new, and those surprises
    // would teach the calibration that novelty is normal.
    boolean calibrate = isWarm();
    for (int k = 0; k < SIGNALS; k++) {
      if (calibrate && present[k] && k != Signal.RATE.ordinal() && k != Signal.DRIFT.ordinal()) {
        calibration[k].accept(raw[k]);
      }
    }
    if (calibrate && !Double.isNaN(aggregateRaw)) {
      moments[AGGREGATE].accept(aggregateRaw);
    }
    if (calibrate && !Double.isNaN(sessionRaw) && o.sessionId() != null) {
      moments[SESSION].accept(sessionRaw);
      sessionCalibration.accept(sessionRaw);
    }
    enforceSizeCap();
    return true;
  }

  private boolean isNovel(int id, long hash) {
    return index.countOf(hash) == recent.get(id) && events - recentEvents >= 100;
  }

  private long noveltyCap() {
    long days = Math.max(1, activeDays());
    return Math.max(5, (long) Math.ceil(config.noveltyDailyShare() * events / days));
  }

  private String nameOf(Feature feature, Observation o) {
    String name =
        switch (feature) {
          case ACTION_TYPE -> o.actionType();
          case TOOL -> o.tool();
          case PAIR_GENERAL -> o.tool() + " " + ResourceGeneralizer.generalize(o.resource());
          case CHANNEL -> o.channel();
          case CONTENT -> o.channel() + " " + o.contentClass();
          default -> null;
        };
    return name == null || name.length() <= MAX_NAME_CHARS
        ? name
        : name.substring(0, MAX_NAME_CHARS);
  }

  private int newKey(Feature feature, long hash, String name) {
    if (featureDistinct[feature.ordinal()] >= feature.cap()) {
      evictLeastUsed(feature, Math.max(1, feature.cap() / 4));
    }
    int id;
    do {
      if (nextSeq >= MAX_SEQ) {
        // After 2^27 keys the sequence wraps: drop every reference to dead keys first, so a
        // reused id can never pick up an old key's counts.
        nextSeq = 1;
        compactClosedBuckets();
      }
      id = (nextSeq++ << Feature.BITS) | feature.ordinal();
    } while (keys.contains(id));
    index.put(hash, id, 0);
    byte[] utf8 = name == null ? null : name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    keys.put(id, hash, utf8);
    featureDistinct[feature.ordinal()]++;
    nameBytes += utf8 == null ? 0 : utf8.length;
    return id;
  }

  /** Evicts the {@code n} least used keys of {@code feature} (ties: oldest first). */
  void evictLeastUsed(Feature feature, int n) {
    List<int[]> candidates = new ArrayList<>();
    keys.forEach(
        (id, hash, name) -> {
          if (Feature.of(id) == feature) {
            candidates.add(new int[] {id, index.countOf(hash)});
          }
        });
    candidates.sort(
        (x, y) -> x[1] != y[1] ? Integer.compare(x[1], y[1]) : Integer.compare(x[0], y[0]));
    for (int i = 0; i < Math.min(n, candidates.size()); i++) {
      dropKey(candidates.get(i)[0]);
    }
  }

  private void dropKey(int id) {
    Feature feature = Feature.of(id);
    long droppedHash = keys.contains(id) ? keys.hash(id) : 0;
    int count = droppedHash == 0 ? 0 : index.countOf(droppedHash);
    featureTotal[feature.ordinal()] -= count;
    if (open != null) {
      open.counts().remove(id);
    }
    recent.remove(id);
    if (keys.contains(id)) {
      index.remove(droppedHash);
      byte[] name = keys.nameBytes(id);
      nameBytes -= name == null ? 0 : name.length;
      keys.remove(id);
      featureDistinct[feature.ordinal()]--;
    }
  }

  private void roll(long newDay) {
    long oldDay = open.day();
    byte[] bytes = open.encode();
    closed.put(oldDay, bytes);
    changedDays.add(oldDay);
    closedBytes += bytes.length;
    addRateStats(open.hourly());
    open = new DayBucket(newDay);
    // days leaving the recent range
    for (Map.Entry<Long, byte[]> e :
        closed
            .subMap(oldDay - config.driftDays(), false, newDay - config.driftDays(), true)
            .entrySet()) {
      subtractFromRecent(e.getValue());
    }
    // days leaving the window
    while (!closed.isEmpty() && closed.firstKey() <= newDay - config.windowDays()) {
      Map.Entry<Long, byte[]> leaving = closed.pollFirstEntry();
      dayRemoved(leaving.getKey());
      subtractBucket(leaving.getKey(), leaving.getValue());
    }
    double factor =
        Math.pow(1 - 1.0 / config.windowDays(), Math.min(newDay - oldDay, config.windowDays()));
    for (Moments m : moments) {
      m.age(factor);
    }
    for (long d = 0; d < Math.min(newDay - oldDay, config.windowDays()); d++) {
      for (TailCalibrator c : calibration) {
        c.age(config.windowDays() - 1, config.windowDays());
      }
      sessionCalibration.age(config.windowDays() - 1, config.windowDays());
    }
    for (TailCalibrator c : calibration) {
      c.freeze();
    }
    sessionCalibration.freeze();
  }

  private void subtractFromRecent(byte[] bucket) {
    DayBucket.forEachEntry(
        bucket,
        (id, count) -> {
          if (recent.containsKey(id)) {
            recent.add(id, -Math.min(count, recent.get(id)));
          }
        });
    recentEvents -= DayBucket.decodeEvents(bucket);
    if (recentEvents < 0) {
      recentEvents = 0;
    }
  }

  private void subtractBucket(long day, byte[] bucket) {
    closedBytes -= bucket.length;
    DayBucket.forEachEntry(
        bucket,
        (id, count) -> {
          if (!keys.contains(id)) {
            return; // evicted since: its counts left the totals then
          }
          long keyHash = keys.hash(id);
          int left = index.addCount(keyHash, -count);
          featureTotal[Feature.of(id).ordinal()] -= count;
          if (left <= 0) {
            if (left < 0) {
              featureTotal[Feature.of(id).ordinal()] -= left;
              index.addCount(keyHash, -left);
            }
            recent.remove(id);
            index.remove(keyHash);
            byte[] name = keys.nameBytes(id);
            nameBytes -= name == null ? 0 : name.length;
            keys.remove(id);
            featureDistinct[Feature.of(id).ordinal()]--;
          }
        });
    DayBucket decoded = DayBucket.decode(bucket);
    int dow = dayOfWeek(day);
    for (int h = 0; h < 24; h++) {
      hourOfWeek[dow * 24 + h] -= decoded.hourly()[h];
    }
    events -= decoded.events();
    removeRateStats(decoded.hourly());
  }

  private void addRateStats(int[] hourly) {
    for (int c : hourly) {
      if (c > 0) {
        activeHours++;
        hourSum += c;
        hourSumSq += (long) c * c;
      }
    }
  }

  private void removeRateStats(int[] hourly) {
    for (int c : hourly) {
      if (c > 0) {
        activeHours--;
        hourSum -= c;
        hourSumSq -= (long) c * c;
      }
    }
  }

  private void dayRemoved(long day) {
    changedDays.remove(day);
    removedDays.add(day);
  }

  /**
   * The closed days written or rewritten, and the days dropped, since the last call: what a store
   * that keeps closed days apart (written once, never again) must write and delete. Clears both.
   */
  public DayChanges drainDayChanges() {
    Map<Long, byte[]> written = new TreeMap<>();
    for (long day : changedDays) {
      byte[] bytes = closed.get(day);
      if (bytes != null) {
        written.put(day, bytes);
      }
    }
    DayChanges changes = new DayChanges(written, List.copyOf(removedDays));
    changedDays.clear();
    removedDays.clear();
    return changes;
  }

  /** Closed days to write (day → encoded bucket) and days to delete. */
  public record DayChanges(Map<Long, byte[]> written, List<Long> removed) {
    public boolean isEmpty() {
      return written.isEmpty() && removed.isEmpty();
    }
  }

  // ---------------------------------------------------------------- size

  /** An upper estimate of {@link BaselineCodec#encode} output, maintained incrementally. */
  public long estimatedBytes() {
    long dictionary = keys.size() * 12L + nameBytes;
    long openBytes = open == null ? 0 : 40 + open.counts().size() * 6L;
    long sessionBytes = sessions.size() * 48L;
    return 1_024
        + dictionary
        + closedBytes
        + openBytes
        + sessionBytes
        + recent.size() * 6L
        + quarantineBytes;
  }

  private void enforceSizeCap() {
    long cap = config.maxEncodedBytes();
    if (estimatedBytes() <= cap) {
      return;
    }
    compactClosedBuckets();
    int guard = 0;
    while (estimatedBytes() > cap && guard++ < 64) {
      Feature largest = null;
      for (Feature f : Feature.ALL) {
        if (featureDistinct[f.ordinal()] > 8
            && (largest == null
                || featureDistinct[f.ordinal()] > featureDistinct[largest.ordinal()])) {
          largest = f;
        }
      }
      if (largest == null) {
        break;
      }
      evictLeastUsed(largest, Math.max(1, featureDistinct[largest.ordinal()] / 4));
      compactClosedBuckets();
    }
    while (estimatedBytes() > cap && closed.size() > 1) {
      // Last resort: forget the oldest day early rather than break the cap.
      Map.Entry<Long, byte[]> oldest = closed.pollFirstEntry();
      dayRemoved(oldest.getKey());
      subtractBucket(oldest.getKey(), oldest.getValue());
    }
  }

  /** Rewrites closed buckets without the entries of evicted keys. */
  private void compactClosedBuckets() {
    for (Map.Entry<Long, byte[]> e : closed.entrySet()) {
      DayBucket bucket = DayBucket.decode(e.getValue());
      int[] ids = bucket.counts().sortedKeys();
      boolean dead = false;
      for (int id : ids) {
        if (!keys.contains(id)) {
          bucket.counts().remove(id);
          dead = true;
        }
      }
      if (dead) {
        byte[] bytes = bucket.encode();
        closedBytes += bytes.length - e.getValue().length;
        e.setValue(bytes);
        changedDays.add(e.getKey());
      }
    }
  }

  // ---------------------------------------------------------------- state

  /** Whether the agent has enough history to be scored against itself. */
  public boolean isWarm() {
    return activeDays() >= config.warmupDays() && events >= config.warmupEvents();
  }

  /** Days with at least one learned event in the window. */
  public int activeDays() {
    return closed.size() + (open != null && open.events() > 0 ? 1 : 0);
  }

  /** Learned events in the window. */
  public long events() {
    return events;
  }

  /** The window's span in days as far as data goes, for explanations. */
  int spanDays() {
    if (open == null) {
      return 0;
    }
    long first = closed.isEmpty() ? open.day() : closed.firstKey();
    return (int) Math.min(config.windowDays(), open.day() - first + 1);
  }

  /** The learned count of a (feature, name) key, for tests and the baseline view. */
  public long count(String featureName, String first, String second) {
    Feature feature = Feature.valueOf(featureName);
    return count(key(feature, first, second));
  }

  /** The newest day in the window (epoch day), or -1 when empty. */
  public long newestDay() {
    return open == null ? -1 : open.day();
  }

  /**
   * Puts new settings in force (thresholds, warm-up, window): a changed window length is applied
   * with {@link #resizeWindow}. The live config of the streams app arrives this way.
   */
  public void reconfigure(BaselineConfig newConfig) {
    Objects.requireNonNull(newConfig, "newConfig");
    if (newConfig.equals(config)) {
      return;
    }
    int days = newConfig.windowDays();
    this.config = newConfig.withWindowDays(config.windowDays());
    if (days != config.windowDays()) {
      resizeWindow(days);
    }
    this.config = newConfig;
  }

  /**
   * Changes the window length. Growing keeps every day already held; shrinking drops the days that
   * fall out.
   */
  public void resizeWindow(int days) {
    BaselineConfig resized = config.withWindowDays(days);
    this.config = resized;
    if (open != null) {
      while (!closed.isEmpty() && closed.firstKey() <= open.day() - days) {
        Map.Entry<Long, byte[]> leaving = closed.pollFirstEntry();
        dayRemoved(leaving.getKey());
        subtractBucket(leaving.getKey(), leaving.getValue());
      }
    }
  }

  /**
   * Adds {@code other}'s learned history into this one, day by day: how a cohort baseline is built
   * from its members. Sessions, rate trackers and quarantines are not combined.
   */
  public Baseline combine(Baseline other) {
    if (other.open == null) {
      return this;
    }
    Map<Long, byte[]> days = new TreeMap<>(other.closed);
    days.put(other.open.day(), other.open.encode());
    for (Map.Entry<Long, byte[]> e : days.entrySet()) {
      DayBucket theirs = DayBucket.decode(e.getValue());
      long day = e.getKey();
      for (int id : theirs.counts().sortedKeys()) {
        if (!other.keys.contains(id)) {
          continue;
        }
        addCount(
            day, Feature.of(id), other.keys.hash(id), other.keys.name(id), theirs.counts().get(id));
      }
      for (int h = 0; h < 24; h++) {
        if (theirs.hourly()[h] > 0) {
          addEvents(day, h, theirs.hourly()[h]);
        }
      }
    }
    for (int k = 0; k < calibration.length; k++) {
      calibration[k].combine(other.calibration[k]);
    }
    sessionCalibration.combine(other.sessionCalibration);
    for (int k = 0; k < moments.length; k++) {
      moments[k].combine(other.moments[k]);
    }
    enforceSizeCap();
    return this;
  }

  private DayBucket bucketFor(long day) {
    if (open == null) {
      open = new DayBucket(day);
    } else if (day > open.day()) {
      roll(day);
    }
    if (day <= open.day() - config.windowDays()) {
      return null;
    }
    if (day == open.day()) {
      return open;
    }
    byte[] bytes = closed.get(day);
    return bytes == null ? new DayBucket(day) : DayBucket.decode(bytes);
  }

  private void storeBucket(DayBucket bucket, boolean hourlyChanged, int[] hourlyBefore) {
    if (bucket == open) {
      return;
    }
    byte[] before = closed.get(bucket.day());
    if (before != null) {
      closedBytes -= before.length;
    }
    if (hourlyChanged) {
      if (hourlyBefore != null) {
        removeRateStats(hourlyBefore);
      }
      addRateStats(bucket.hourly());
    }
    byte[] after = bucket.encode();
    closed.put(bucket.day(), after);
    changedDays.add(bucket.day());
    closedBytes += after.length;
  }

  private void addCount(long day, Feature feature, long hash, String name, int count) {
    DayBucket bucket = bucketFor(day);
    if (bucket == null) {
      return;
    }
    int id = index.idOf(hash, -1);
    if (id < 0) {
      id = newKey(feature, hash, name);
    }
    bucket.counts().add(id, count);
    index.addCount(hash, count);
    featureTotal[feature.ordinal()] += count;
    if (day > open.day() - config.driftDays() && feature.tracksRecent()) {
      recent.add(id, count);
    }
    storeBucket(bucket, false, null);
  }

  private void addEvents(long day, int hourOfDay, int count) {
    DayBucket bucket = bucketFor(day);
    if (bucket == null) {
      return;
    }
    int[] before = bucket == open ? null : bucket.hourly().clone();
    bucket.addEvent(hourOfDay, count);
    hourOfWeek[dayOfWeek(day) * 24 + hourOfDay] += count;
    events += count;
    if (day > open.day() - config.driftDays()) {
      recentEvents += count;
    }
    storeBucket(bucket, true, closed.containsKey(day) ? before : null);
  }

  // ---------------------------------------------------------------- explanations

  /**
   * The {@code n} most frequent names of {@code feature} with their counts, most frequent first.
   */
  List<Map.Entry<String, Long>> top(Feature feature, int n, String prefix) {
    List<Map.Entry<String, Long>> all = new ArrayList<>();
    keys.forEach(
        (id, hash, stored) -> {
          if (Feature.of(id) != feature || stored == null) {
            return;
          }
          String name = new String(stored, java.nio.charset.StandardCharsets.UTF_8);
          if (prefix != null) {
            if (!name.startsWith(prefix)) {
              return;
            }
            name = name.substring(prefix.length());
          }
          all.add(Map.entry(name, (long) index.countOf(hash)));
        });
    all.sort(
        (x, y) ->
            x.getValue().equals(y.getValue())
                ? x.getKey().compareTo(y.getKey())
                : Long.compare(y.getValue(), x.getValue()));
    return all.subList(0, Math.min(n, all.size()));
  }

  /**
   * What this baseline has learned, for operators: the {@code n} most frequent action types, tools,
   * (tool, resource family) pairs and (channel, content class) pairs, the hour-of-week profile, and
   * how much history each signal's calibration holds.
   */
  public Profile profile(int n) {
    Map<String, Double> calibrationSamples = new java.util.LinkedHashMap<>();
    for (Signal s : Signal.values()) {
      if (s != Signal.RATE && s != Signal.DRIFT) {
        calibrationSamples.put(s.name(), calibration[s.ordinal()].weight());
      }
    }
    return new Profile(
        events,
        activeDays(),
        isWarm(),
        top(Feature.ACTION_TYPE, n, null),
        top(Feature.TOOL, n, null),
        top(Feature.PAIR_GENERAL, n, null),
        top(Feature.CONTENT, n, null),
        hourOfWeek.clone(),
        calibrationSamples);
  }

  /**
   * A learned profile: see {@link #profile(int)}. {@code hourOfWeek[0]} is Monday 00:00-01:00 UTC.
   */
  public record Profile(
      long events,
      int activeDays,
      boolean warm,
      List<Map.Entry<String, Long>> actionTypes,
      List<Map.Entry<String, Long>> tools,
      List<Map.Entry<String, Long>> resources,
      List<Map.Entry<String, Long>> outputs,
      long[] hourOfWeek,
      Map<String, Double> calibrationSamples) {}

  /** The busiest hour of the week (0 = Monday 00:00 UTC). */
  int busiestHourOfWeek() {
    int best = 0;
    for (int i = 1; i < 168; i++) {
      if (hourOfWeek[i] > hourOfWeek[best]) {
        best = i;
      }
    }
    return best;
  }

  /** The share of learned session positions at or below {@code bin}. */
  double positionShareUpTo(int bin) {
    long total = featureTotal[Feature.SESSION_POSITION.ordinal()];
    if (total == 0) {
      return 0;
    }
    long below = 0;
    for (int b = 0; b <= bin; b++) {
      below += count(positionKey(1 << b));
    }
    return (double) below / total;
  }

  // ---------------------------------------------------------------- equality

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Baseline other)) {
      return false;
    }
    return java.util.Arrays.equals(BaselineCodec.encode(this), BaselineCodec.encode(other));
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(BaselineCodec.encode(this));
  }
}
