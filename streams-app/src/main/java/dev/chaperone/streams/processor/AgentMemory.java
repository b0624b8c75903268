package dev.chaperone.streams.processor;

import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which agents were seen with a key (a credential, a principal) in the last 24 hours. The record of
 * it is a window store of hourly windows whose value is the comma-separated agents first seen in
 * that hour (its retention bounds it; at most {@value #MAX_AGENTS} agents are remembered per key).
 *
 * <p>In front of the store, the same windows of the most recently written keys are held in memory
 * (at most {@code capacity} keys), so that a use is answered without a range read of the store:
 * with session-bound tokens nearly every key is new, and that read was most of the sharing check's
 * cost. Writes go through to the store, so what it holds, and its changelog, are as before. The
 * memory answers only what it knows completely: every window of the store that starts after {@code
 * knownAfter} is in memory, for every key, because it was loaded when the task started or written
 * since; a key pushed out (the least recently written first, when full) or expired raises {@code
 * knownAfter} to its last window. A use whose 24 hours reach back to {@code knownAfter} or before
 * (an event more than a day behind the newest, or soon after a start whose store held more keys
 * than the memory does) reads the store, exactly as without the memory.
 *
 * <p>Keys are kept for {@link #KEPT_MS}, a day longer than the window, for the uses that come late:
 * the sharing check reads uses from every partition of the detector, and while the detector catches
 * up on a backlog its partitions run hours apart in event time. Kept for the window and an hour,
 * every use more than an hour behind the newest read the store ({@code chaperone bench}: 95,000
 * range reads in 600,000 events, 3.8 % of the stream threads; in its timed backlog about 20,000,
 * and 6,600 of 36,500 lookups once kept a day longer). The memory then holds what the store's
 * retention may already have let go; an answer from it has those windows, one from the store has
 * not.
 *
 * <p>Not thread-safe: one per task, made afresh whenever the task's processor is initialised, so it
 * never outlives a rolled-back transaction.
 */
final class AgentMemory {

  static final long WINDOW_MS = Duration.ofHours(24).toMillis();
  static final long HOUR_MS = Duration.ofHours(1).toMillis();
  static final int MAX_AGENTS = 16;

  /**
   * Windows older than this behind the latest use are no longer kept in memory: a window and a day
   * of lateness, so that a use up to a day behind the newest is answered from memory.
   */
  static final long KEPT_MS = 2 * WINDOW_MS;

  /** The window store, seen through what the memory needs of it. */
  interface Windows {
    /** Every window of {@code key} starting in {@code [from, to]}, in time order. */
    void fetch(String key, long from, long to, WindowSink sink);

    /** Every window of every key starting in {@code [from, to]}. */
    void fetchAll(long from, long to, KeyedWindowSink sink);

    void put(String key, String agents, long windowStart);
  }

  /** Receives one window: its start and its comma-separated agents. */
  interface WindowSink {
    void accept(long start, String agents);
  }

  /** Receives one window of a key. */
  interface KeyedWindowSink {
    void accept(String key, long start, String agents);
  }

  /** The windows of one key held in memory: (start, agent) pairs in time order, then first use. */
  private static final class Known {
    long[] starts = new long[2];
    String[] agents = new String[2];
    int size;

    /** No window of this key starting at or before this is held (dropped as too old). */
    long droppedUpTo = Long.MIN_VALUE;

    long latest() {
      return starts[size - 1];
    }

    void add(long start, String agent) {
      if (size == starts.length) {
        starts = Arrays.copyOf(starts, size * 2);
        agents = Arrays.copyOf(agents, size * 2);
      }
      int at = size;
      while (at > 0 && starts[at - 1] > start) {
        at--;
      }
      System.arraycopy(starts, at, starts, at + 1, size - at);
      System.arraycopy(agents, at, agents, at + 1, size - at);
      starts[at] = start;
      agents[at] = agent;
      size++;
    }

    void addAll(long start, String commaSeparated) {
      for (String agent : commaSeparated.split(",")) {
        add(start, agent);
      }
    }

    /** Drops the windows starting before {@code before}. */
    void dropBefore(long before) {
      int dropped = 0;
      while (dropped < size && starts[dropped] < before) {
        droppedUpTo = Math.max(droppedUpTo, starts[dropped]);
        dropped++;
      }
      if (dropped > 0) {
        System.arraycopy(starts, dropped, starts, 0, size - dropped);
        System.arraycopy(agents, dropped, agents, 0, size - dropped);
        Arrays.fill(agents, size - dropped, size, null);
        size -= dropped;
      }
    }

    /** The agents of the window starting at {@code start}, comma-separated, or null. */
    String window(long start) {
      StringBuilder joined = null;
      for (int i = 0; i < size; i++) {
        if (starts[i] == start) {
          joined =
              joined == null ? new StringBuilder(agents[i]) : joined.append(',').append(agents[i]);
        }
      }
      return joined == null ? null : joined.toString();
    }
  }

  private final Windows store;
  private final int capacity;

  /** Held keys, the least recently written first. */
  private final LinkedHashMap<String, Known> known = new LinkedHashMap<>(16, 0.75f, false);

  private long knownAfter;
  private long latestUse = Long.MIN_VALUE;
  private boolean started;
  private boolean lastReadStore;

  AgentMemory(Windows store, int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
    }
    this.store = store;
    this.capacity = capacity;
  }

  /**
   * Records that {@code agentId} used {@code key} at {@code at}; returns every agent seen with it
   * in the 24 hours up to {@code at}, in the order they were first seen. {@code streamTime} is the
   * task's stream time (every window already in the store starts at or before it), read at the
   * first use to load the store's last 24 hours.
   */
  Set<String> remember(String key, String agentId, long at, long streamTime) {
    if (!started) {
      start(Math.max(streamTime, at));
    }
    latestUse = Math.max(latestUse, at);
    long hour = at - Math.floorMod(at, HOUR_MS);
    long from = at - WINDOW_MS;
    Known entry = known.get(key);
    boolean complete =
        from > (entry == null ? knownAfter : Math.max(knownAfter, entry.droppedUpTo));
    lastReadStore = !complete;
    if (!complete) {
      entry = load(key, from, at, entry);
    }
    Set<String> agents = new LinkedHashSet<>();
    if (entry != null) {
      for (int i = 0; i < entry.size; i++) {
        if (entry.starts[i] >= from && entry.starts[i] <= at) {
          agents.add(entry.agents[i]);
        }
      }
    }
    if (!agents.contains(agentId) && agents.size() < MAX_AGENTS) {
      if (entry == null) {
        entry = new Known();
      }
      String thisHour = entry.window(hour);
      store.put(key, thisHour == null ? agentId : thisHour + "," + agentId, hour);
      entry.add(hour, agentId);
      entry.dropBefore(latestUse - KEPT_MS);
      // re-inserted: the map's order is the order of last writes
      known.remove(key);
      if (entry.size > 0) {
        known.put(key, entry);
      } else {
        // a use so late that even its own window is past what is kept
        knownAfter = Math.max(knownAfter, entry.droppedUpTo);
      }
    }
    agents.add(agentId);
    expire();
    return agents;
  }

  /** Whether the last {@link #remember} read the store (memory could not vouch for the answer). */
  boolean lastReadStore() {
    return lastReadStore;
  }

  /** Keys held now; for tests and the sharing check's own bound. */
  int size() {
    return known.size();
  }

  /**
   * Loads the store's windows of the last 25 hours before {@code now}. If they are more keys than
   * the memory holds, none are kept and the memory knows only what is written from now on.
   */
  private void start(long now) {
    started = true;
    latestUse = now;
    long startHour = now - Math.floorMod(now, HOUR_MS);
    knownAfter = startHour - KEPT_MS;
    Map<String, Known> loaded = new LinkedHashMap<>();
    boolean[] overflow = {false};
    store.fetchAll(
        knownAfter + 1,
        Long.MAX_VALUE,
        (key, start, agents) -> {
          if (overflow[0]) {
            return;
          }
          Known entry = loaded.computeIfAbsent(key, k -> new Known());
          entry.addAll(start, agents);
          if (loaded.size() > capacity) {
            overflow[0] = true;
          }
        });
    if (overflow[0]) {
      // what was written before the start is read from the store until it is 24 hours old
      knownAfter = startHour;
      return;
    }
    loaded.entrySet().stream()
        .sorted((a, b) -> Long.compare(a.getValue().latest(), b.getValue().latest()))
        .forEach(e -> known.put(e.getKey(), e.getValue()));
  }

  /**
   * The store's windows of {@code key} in {@code [from, to]}, merged into what is held: the store
   * is the whole truth for that span, the memory keeps what it wrote later.
   */
  private Known load(String key, long from, long to, Known held) {
    Known entry = new Known();
    store.fetch(key, from, to, entry::addAll);
    if (held != null) {
      for (int i = 0; i < held.size; i++) {
        if (held.starts[i] < from || held.starts[i] > to) {
          entry.add(held.starts[i], held.agents[i]);
        }
      }
      entry.droppedUpTo = held.droppedUpTo;
    }
    if (entry.size == 0) {
      return null;
    }
    return entry;
  }

  /** Forgets keys not written for longer than is kept, and the least recent beyond capacity. */
  private void expire() {
    Iterator<Map.Entry<String, Known>> oldest = known.entrySet().iterator();
    while (oldest.hasNext()) {
      Known entry = oldest.next().getValue();
      if (known.size() <= capacity && entry.latest() >= latestUse - KEPT_MS) {
        return;
      }
      knownAfter = Math.max(knownAfter, entry.latest());
      oldest.remove();
    }
  }
}
