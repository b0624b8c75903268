package dev.chaperone.streams.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AgentMemoryTest {

  private static final long HOUR = AgentMemory.HOUR_MS;
  private static final long T0 = 1_790_000_000_000L;

  /** A window store that keeps everything, and counts the range reads of one key. */
  private static final class MapWindows implements AgentMemory.Windows {
    final Map<String, NavigableMap<Long, String>> windows = new TreeMap<>();
    int fetches;

    @Override
    public void fetch(String key, long from, long to, AgentMemory.WindowSink sink) {
      fetches++;
      windows.getOrDefault(key, new TreeMap<>()).subMap(from, true, to, true).forEach(sink::accept);
    }

    @Override
    public void fetchAll(long from, long to, AgentMemory.KeyedWindowSink sink) {
      windows.forEach(
          (key, byStart) ->
              byStart.subMap(from, true, to, true).forEach((s, v) -> sink.accept(key, s, v)));
    }

    @Override
    public void put(String key, String agents, long windowStart) {
      windows.computeIfAbsent(key, k -> new TreeMap<>()).put(windowStart, agents);
    }
  }

  /** The check as it was before the memory: a range read of the store for every use. */
  private static Set<String> reference(MapWindows store, String key, String agent, long at) {
    Set<String> agents = new LinkedHashSet<>();
    long hour = at - Math.floorMod(at, HOUR);
    String thisHour = null;
    for (var window :
        store
            .windows
            .getOrDefault(key, new TreeMap<>())
            .subMap(at - AgentMemory.WINDOW_MS, true, at, true)
            .entrySet()) {
      agents.addAll(Arrays.asList(window.getValue().split(",")));
      if (window.getKey() == hour) {
        thisHour = window.getValue();
      }
    }
    if (!agents.contains(agent) && agents.size() < AgentMemory.MAX_AGENTS) {
      store.put(key, thisHour == null ? agent : thisHour + "," + agent, hour);
    }
    agents.add(agent);
    return agents;
  }

  @ParameterizedTest(name = "capacity {0}")
  @ValueSource(ints = {1, 8, 100, 100_000})
  void shouldAnswerExactlyAsTheStoreAloneWouldThroughEvictionsLateEventsAndRestarts(int capacity) {
    // Given 30,000 uses over ~12 days (seed 5): 400 keys, a few hot ones shared by many of 40
    // agents, 2% of events up to 30 hours late, and a restart (a new memory over the same store)
    // every 7,000 uses
    SplittableRandom random = new SplittableRandom(5);
    MapWindows plain = new MapWindows();
    MapWindows fronted = new MapWindows();
    AgentMemory memory = new AgentMemory(fronted, capacity);
    long time = T0;
    long streamTime = Long.MIN_VALUE;
    for (int i = 0; i < 30_000; i++) {
      time += random.nextLong(0, 70_000);
      long at = random.nextInt(50) == 0 ? time - random.nextLong(0, 30 * HOUR) : time;
      streamTime = Math.max(streamTime, at);
      String key = random.nextInt(4) == 0 ? "hot-" + random.nextInt(5) : "k-" + random.nextInt(400);
      String agent = "agent-" + random.nextInt(40);
      if (i > 0 && i % 7_000 == 0) {
        memory = new AgentMemory(fronted, capacity);
      }

      // Then every answer, in order, and every write are the same
      Set<String> expected = reference(plain, key, agent, at);
      Set<String> actual = memory.remember(key, agent, at, streamTime);
      assertEquals(new ArrayList<>(expected), new ArrayList<>(actual), "use " + i + " of " + key);
      assertTrue(memory.size() <= capacity, "held " + memory.size() + " of " + capacity);
    }
    assertEquals(plain.windows, fronted.windows);
  }

  @Test
  void shouldNotReadTheStoreForUsesInOrderOnceStarted() {
    // Given a store with a day of earlier windows, loaded at the first use
    MapWindows store = new MapWindows();
    store.put("token:old", "agent-a", T0 - 3 * HOUR);
    AgentMemory memory = new AgentMemory(store, 1_000);

    // When 500 new session tokens and the earlier one are used in time order
    for (int i = 0; i < 500; i++) {
      memory.remember("token:s-" + i, "agent-" + (i % 7), T0 + i * 60_000L, T0 + i * 60_000L);
    }
    Set<String> shared = memory.remember("token:old", "agent-b", T0 + HOUR, T0 + 500 * 60_000L);

    // Then the earlier use is known without a range read, and none was made
    assertEquals(List.of("agent-a", "agent-b"), new ArrayList<>(shared));
    assertEquals(0, store.fetches);
    assertFalse(memory.lastReadStore());

    // And a use dated more than a day before the newest is read from the store, and says so
    memory.remember("token:old", "agent-c", T0 - 30 * HOUR, T0 + 500 * 60_000L);
    assertEquals(1, store.fetches);
    assertTrue(memory.lastReadStore());
  }

  @Test
  void shouldAnswerUsesUpToADayBehindTheNewestFromMemoryAsKeysExpire() {
    // Given three days of new session tokens, one every 10 minutes, in time order: the first day's
    // have expired from memory by the end
    MapWindows store = new MapWindows();
    AgentMemory memory = new AgentMemory(store, 1_000);
    long every = 10 * 60_000L;
    int uses = 3 * 24 * 6;
    for (int i = 0; i < uses; i++) {
      memory.remember("token:s-" + i, "agent-" + (i % 7), T0 + i * every, T0 + i * every);
    }
    long newest = T0 + (uses - 1) * every;
    assertTrue(memory.size() < uses, "keys past the kept span went: " + memory.size());

    // When another agent uses a token 20 hours behind the newest, first used 10 hours before that
    int early = (int) ((newest - 30 * HOUR - T0) / every);
    Set<String> late =
        memory.remember("token:s-" + early, "agent-late", newest - 20 * HOUR, newest);

    // Then the sharing is seen from memory, without a range read
    assertEquals(List.of("agent-" + (early % 7), "agent-late"), new ArrayList<>(late));
    assertEquals(0, store.fetches);
    assertFalse(memory.lastReadStore());

    // And a use more than a day behind the newest reads the store, as the window may reach past
    // what the memory holds
    memory.remember("token:s-1", "agent-later", newest - AgentMemory.KEPT_MS / 2 - HOUR, newest);
    assertEquals(1, store.fetches);
    assertTrue(memory.lastReadStore());
  }
}
