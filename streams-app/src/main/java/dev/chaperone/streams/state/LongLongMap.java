package dev.chaperone.streams.state;

import java.util.Arrays;

/**
 * An open-addressing map from {@code long} to {@code long} (linear probing, backward-shift
 * deletion), so that thousands of sightings per agent cost 16 bytes each rather than two boxed
 * objects and a node. {@link #MISSING} is returned for absent keys and cannot be stored. Not
 * thread-safe.
 *
 * <p>Keys and values share one array, each key beside its value, and key 0 marks a free slot (the
 * key 0 itself is held apart): a lookup in a map too large for the CPU's caches then misses them
 * once, where separate arrays of keys, values and slot flags missed them up to three times.
 */
final class LongLongMap {

  /** What {@link #get} returns for an absent key. */
  static final long MISSING = Long.MIN_VALUE;

  private static final long FREE = 0;

  // slot i: key at 2i (FREE when the slot is free), value at 2i + 1
  private long[] slots;
  private int size; // keys in slots, the key 0 not counted
  private boolean hasZero;
  private long zeroValue;

  LongLongMap() {
    this(16);
  }

  LongLongMap(int expected) {
    int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
    slots = new long[2 * capacity];
  }

  int size() {
    return size + (hasZero ? 1 : 0);
  }

  long get(long key) {
    if (key == FREE) {
      return hasZero ? zeroValue : MISSING;
    }
    int mask = capacity() - 1;
    for (int i = slot(key, mask); ; i = (i + 1) & mask) {
      long held = slots[2 * i];
      if (held == key) {
        return slots[2 * i + 1];
      }
      if (held == FREE) {
        return MISSING;
      }
    }
  }

  void put(long key, long value) {
    if (value == MISSING) {
      throw new IllegalArgumentException("cannot store the MISSING marker " + value);
    }
    if (key == FREE) {
      hasZero = true;
      zeroValue = value;
      return;
    }
    if ((size + 1) * 4 > capacity() * 3) {
      grow();
    }
    int mask = capacity() - 1;
    int i = slot(key, mask);
    while (slots[2 * i] != FREE) {
      if (slots[2 * i] == key) {
        slots[2 * i + 1] = value;
        return;
      }
      i = (i + 1) & mask;
    }
    slots[2 * i] = key;
    slots[2 * i + 1] = value;
    size++;
  }

  void remove(long key) {
    if (key == FREE) {
      hasZero = false;
      return;
    }
    int mask = capacity() - 1;
    int i = slot(key, mask);
    while (slots[2 * i] != FREE && slots[2 * i] != key) {
      i = (i + 1) & mask;
    }
    if (slots[2 * i] == FREE) {
      return;
    }
    // backward-shift the entries after the hole that probed past it
    int hole = i;
    for (int j = (hole + 1) & mask; slots[2 * j] != FREE; j = (j + 1) & mask) {
      int home = slot(slots[2 * j], mask);
      boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
      if (movable) {
        slots[2 * hole] = slots[2 * j];
        slots[2 * hole + 1] = slots[2 * j + 1];
        hole = j;
      }
    }
    slots[2 * hole] = FREE;
    size--;
  }

  void clear() {
    Arrays.fill(slots, FREE);
    size = 0;
    hasZero = false;
  }

  private int capacity() {
    return slots.length >> 1;
  }

  private void grow() {
    long[] old = slots;
    slots = new long[old.length * 2];
    size = 0;
    for (int i = 0; i < old.length; i += 2) {
      if (old[i] != FREE) {
        put(old[i], old[i + 1]);
      }
    }
  }

  private static int slot(long key, int mask) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32)) & mask;
  }
}
