package dev.chaperone.streams.state;

import java.util.Arrays;

/**
 * An open-addressing map from {@code long} to {@code long} (linear probing, backward-shift
 * deletion), so that thousands of sightings per agent cost 16 bytes each rather than two boxed
 * objects and a node. {@link #MISSING} is returned for absent keys and cannot be stored. Not
 * thread-safe.
 */
final class LongLongMap {

  /** What {@link #get} returns for an absent key. */
  static final long MISSING = Long.MIN_VALUE;

  private long[] keys;
  private long[] values;
  private boolean[] used;
  private int size;

  LongLongMap() {
    this(16);
  }

  LongLongMap(int expected) {
    int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
    keys = new long[capacity];
    values = new long[capacity];
    used = new boolean[capacity];
  }

  int size() {
    return size;
  }

  long get(long key) {
    int mask = keys.length - 1;
    for (int i = slot(key, mask); used[i]; i = (i + 1) & mask) {
      if (keys[i] == key) {
        return values[i];
      }
    }
    return MISSING;
  }

  void put(long key, long value) {
    if (value == MISSING) {
      throw new IllegalArgumentException("cannot store the MISSING marker " + value);
    }
    if ((size + 1) * 4 > keys.length * 3) {
      grow();
    }
    int mask = keys.length - 1;
    int i = slot(key, mask);
    while (used[i]) {
      if (keys[i] == key) {
        values[i] = value;
        return;
      }
      i = (i + 1) & mask;
    }
    used[i] = true;
    keys[i] = key;
    values[i] = value;
    size++;
  }

  void remove(long key) {
    int mask = keys.length - 1;
    int i = slot(key, mask);
    while (used[i] && keys[i] != key) {
      i = (i + 1) & mask;
    }
    if (!used[i]) {
      return;
    }
    // backward-shift the entries after the hole that probed past it
    int hole = i;
    for (int j = (hole + 1) & mask; used[j]; j = (j + 1) & mask) {
      int home = slot(keys[j], mask);
      boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
      if (movable) {
        keys[hole] = keys[j];
        values[hole] = values[j];
        hole = j;
      }
    }
    used[hole] = false;
    size--;
  }

  void clear() {
    Arrays.fill(used, false);
    size = 0;
  }

  private void grow() {
    long[] oldKeys = keys;
    long[] oldValues = values;
    boolean[] oldUsed = used;
    keys = new long[oldKeys.length * 2];
    values = new long[oldKeys.length * 2];
    used = new boolean[oldKeys.length * 2];
    size = 0;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldUsed[i]) {
        put(oldKeys[i], oldValues[i]);
      }
    }
  }

  private static int slot(long key, int mask) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32)) & mask;
  }
}
