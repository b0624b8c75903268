package dev.chaperone.streams.processor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The latest rejected records of a global topic, for the operators' views. Bounded; thread-safe.
 */
public final class RejectionLog {

  /** One rejected record. */
  public record Rejection(String key, String reason, long offset) {}

  private static final int CAPACITY = 100;
  private final Deque<Rejection> latest = new ArrayDeque<>();

  public synchronized void record(String key, String reason, long offset) {
    latest.addFirst(new Rejection(key, reason, offset));
    while (latest.size() > CAPACITY) {
      latest.removeLast();
    }
  }

  /** Newest first. */
  public synchronized List<Rejection> latest() {
    return new ArrayList<>(latest);
  }
}
