package dev.chaperone.streams.processor;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Which agents were seen with a key (a credential, a principal) in the last 24 hours, in a window
 * store of hourly windows whose value is the comma-separated agents first seen in that hour. The
 * store's retention bounds it; at most {@value #MAX_AGENTS} agents are remembered per key.
 */
final class AgentMemory {

  static final long WINDOW_MS = Duration.ofHours(24).toMillis();
  static final long HOUR_MS = Duration.ofHours(1).toMillis();
  static final int MAX_AGENTS = 16;

  private AgentMemory() {}

  /**
   * Records that {@code agentId} used {@code key} at {@code at}; returns every agent seen with it
   * in the window.
   */
  static Set<String> remember(
      WindowStore<String, String> store, String key, String agentId, long at) {
    Set<String> agents = new LinkedHashSet<>();
    long hour = at - Math.floorMod(at, HOUR_MS);
    String thisHour = null;
    try (WindowStoreIterator<String> windows = store.fetch(key, at - WINDOW_MS, at)) {
      while (windows.hasNext()) {
        var window = windows.next();
        agents.addAll(Arrays.asList(window.value.split(",")));
        if (window.key == hour) {
          thisHour = window.value;
        }
      }
    }
    if (!agents.contains(agentId) && agents.size() < MAX_AGENTS) {
      store.put(key, thisHour == null ? agentId : thisHour + "," + agentId, hour);
    }
    agents.add(agentId);
    return agents;
  }
}
