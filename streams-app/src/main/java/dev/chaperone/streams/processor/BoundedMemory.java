package dev.chaperone.streams.processor;

import java.util.Iterator;
import java.util.Map;

/** How the processors' bounded memories of agents make room. */
final class BoundedMemory {

  /** One entry in this many is forgotten when a memory is full. */
  static final int FORGET_ONE_IN = 8;

  private BoundedMemory() {}

  /**
   * Makes room in {@code memory} for one more entry when it holds {@code max} or more: forgets one
   * entry in {@value #FORGET_ONE_IN}, every {@value #FORGET_ONE_IN}th in the map's own order (its
   * hash order, which has nothing to do with when agents act). A processor with more agents than
   * that keeps most of what it knows; starting over instead made every lookup a miss once agents
   * came round in turn, each lookup decoding again what had just been forgotten.
   */
  static void makeRoom(Map<?, ?> memory, int max) {
    if (memory.size() < max) {
      return;
    }
    int at = 0;
    for (Iterator<?> it = memory.values().iterator(); it.hasNext(); at++) {
      it.next();
      if (at % FORGET_ONE_IN == 0) {
        it.remove();
      }
    }
  }
}
