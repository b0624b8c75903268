package dev.chaperone.streams.cli;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.management.ListenerNotFoundException;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The stop-the-world collections of this JVM, as the JVM reports them when each ends: for the
 * bench, which of its latency tail the collector made (a young collection of G1 stops every thread
 * of the detector for tens of milliseconds). Collectors that report concurrent cycles rather than
 * pauses ({@code ZGC Cycles}, {@code G1 Concurrent GC}, {@code Shenandoah Cycles}) are not counted.
 * Thread-safe: the JVM reports from a thread of its own.
 */
final class GcPauses implements AutoCloseable {

  /** Pauses counted between two marks: how many, their sum and the longest, in milliseconds. */
  record Summary(int pauses, long totalMs, long longestMs) {
    Map<String, Object> asMap() {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("pauses", pauses);
      map.put("total_ms", totalMs);
      map.put("longest_ms", longestMs);
      return map;
    }
  }

  // how long each pause took, in ms, in the order reported
  private final List<Long> pauses = new ArrayList<>();
  private final List<NotificationEmitter> emitters = new ArrayList<>();
  private final NotificationListener listener = (notification, handback) -> record(notification);

  /** Starts listening to every collector of the JVM. */
  GcPauses() {
    for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (collector instanceof NotificationEmitter emitter && pausesOf(collector.getName())) {
        emitter.addNotificationListener(listener, null, null);
        emitters.add(emitter);
      }
    }
  }

  /** Whether the collector named {@code name} reports pauses rather than concurrent cycles. */
  static boolean pausesOf(String name) {
    return !name.contains("Cycles") && !name.contains("Concurrent");
  }

  private void record(javax.management.Notification notification) {
    if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(
        notification.getType())) {
      return;
    }
    long durationMs =
        GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData())
            .getGcInfo()
            .getDuration();
    synchronized (pauses) {
      pauses.add(durationMs);
    }
  }

  /** A mark: the number of pauses reported so far. */
  int mark() {
    synchronized (pauses) {
      return pauses.size();
    }
  }

  /** The pauses reported since {@code mark}. */
  Summary since(int mark) {
    synchronized (pauses) {
      int count = 0;
      long total = 0;
      long longest = 0;
      for (long pause : pauses.subList(Math.min(mark, pauses.size()), pauses.size())) {
        count++;
        total += pause;
        longest = Math.max(longest, pause);
      }
      return new Summary(count, total, longest);
    }
  }

  @Override
  public void close() {
    for (NotificationEmitter emitter : emitters) {
      try {
        emitter.removeNotificationListener(listener);
      } catch (ListenerNotFoundException e) {
        // already gone: nothing to undo
      }
    }
    emitters.clear();
  }
}
