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

  /** One pause: when it ended (ms of JVM uptime) and how long it took. */
  record Pause(long endUptimeMs, long durationMs, String collector, String cause) {}

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

  private final List<Pause> pauses = new ArrayList<>();
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
    GarbageCollectionNotificationInfo info =
        GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
    Pause pause =
        new Pause(
            info.getGcInfo().getEndTime(),
            info.getGcInfo().getDuration(),
            info.getGcName(),
            info.getGcCause());
    synchronized (pauses) {
      pauses.add(pause);
    }
  }

  /** A mark: the number of pauses reported so far. */
  int mark() {
    synchronized (pauses) {
      return pauses.size();
    }
  }

  /** Every pause reported so far, in the order reported. */
  List<Pause> all() {
    synchronized (pauses) {
      return List.copyOf(pauses);
    }
  }

  /** The pauses reported since {@code mark}. */
  Summary since(int mark) {
    synchronized (pauses) {
      int count = 0;
      long total = 0;
      long longest = 0;
      for (Pause pause : pauses.subList(Math.min(mark, pauses.size()), pauses.size())) {
        count++;
        total += pause.durationMs();
        longest = Math.max(longest, pause.durationMs());
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
