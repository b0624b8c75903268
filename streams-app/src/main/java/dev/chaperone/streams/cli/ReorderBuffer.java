package dev.chaperone.streams.cli;

import java.util.ArrayDeque;
import java.util.PriorityQueue;

/**
 * The replay's reorder buffer: hands out the least of what it holds, as a priority queue does, at
 * the cost of a queue's append and take for elements that come in order. A trace is mostly in order
 * (a recorder appends as actions happen), and a 100,000-element heap cost 17 levels of sifting per
 * event (3 % of the replay's thread); an element not below the last one in order goes to the tail
 * of a sorted run, any other to a heap, and {@link #poll} takes the lesser head.
 *
 * <p>Elements must be totally ordered with no two equal (the replay's order ends with the line
 * number), so the order out is the one a single priority queue gives.
 */
final class ReorderBuffer<T extends Comparable<T>> {

  /** Elements in order: each is not less than the one before. */
  private final ArrayDeque<T> run = new ArrayDeque<>();

  /** Elements that came below the end of the run. */
  private final PriorityQueue<T> stragglers = new PriorityQueue<>();

  void add(T element) {
    T last = run.peekLast();
    if (last == null || element.compareTo(last) >= 0) {
      run.addLast(element);
    } else {
      stragglers.add(element);
    }
  }

  /** Removes and returns the least element, or null when empty. */
  T poll() {
    T inRun = run.peekFirst();
    T straggler = stragglers.peek();
    if (straggler == null) {
      return run.pollFirst();
    }
    if (inRun == null || straggler.compareTo(inRun) < 0) {
      return stragglers.poll();
    }
    return run.pollFirst();
  }

  int size() {
    return run.size() + stragglers.size();
  }

  boolean isEmpty() {
    return run.isEmpty() && stragglers.isEmpty();
  }
}
