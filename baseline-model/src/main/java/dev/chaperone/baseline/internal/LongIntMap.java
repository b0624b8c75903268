package dev.chaperone.baseline.internal;

import java.util.Arrays;

/**
 * An open-addressing hash map from {@code long} keys (any value but {@link Long#MIN_VALUE}) to
 * {@code int} values: the baseline's key dictionary (64-bit key hash to small id). Backward-shift
 * deletion, deterministic iteration. Not thread-safe.
 */
public final class LongIntMap {

  private static final long EMPTY = Long.MIN_VALUE;

  private long[] keys;
  private int[] values;
  private int size;
  private int mask;

  public LongIntMap() {
    this(16);
  }

  public LongIntMap(int expected) {
    allocate(Integer.highestOneBit(Math.max(8, expected * 2 - 1)) << 1);
  }

  private void allocate(int capacity) {
    keys = new long[capacity];
    Arrays.fill(keys, EMPTY);
    values = new int[capacity];
    mask = capacity - 1;
  }

  private static int slot(long key, int mask) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32)) & mask;
  }

  public int size() {
    return size;
  }

  /** The value of {@code key}, or {@code missing} when absent. */
  public int get(long key, int missing) {
    int i = slot(key, mask);
    while (true) {
      long k = keys[i];
      if (k == key) {
        return values[i];
      }
      if (k == EMPTY) {
        return missing;
      }
      i = (i + 1) & mask;
    }
  }

  public void put(long key, int value) {
    if (key == EMPTY) {
      throw new IllegalArgumentException("Long.MIN_VALUE is reserved");
    }
    int i = slot(key, mask);
    while (true) {
      long k = keys[i];
      if (k == key) {
        values[i] = value;
        return;
      }
      if (k == EMPTY) {
        keys[i] = key;
        values[i] = value;
        if (++size * 4 > keys.length * 3) {
          grow();
        }
        return;
      }
      i = (i + 1) & mask;
    }
  }

  /** Removes {@code key}; returns whether it was present. */
  public boolean remove(long key) {
    int i = slot(key, mask);
    while (true) {
      long k = keys[i];
      if (k == key) {
        removeAt(i);
        return true;
      }
      if (k == EMPTY) {
        return false;
      }
      i = (i + 1) & mask;
    }
  }

  private void removeAt(int i) {
    size--;
    int gap = i;
    int j = i;
    while (true) {
      j = (j + 1) & mask;
      long k = keys[j];
      if (k == EMPTY) {
        break;
      }
      int home = slot(k, mask);
      boolean stay = gap <= j ? (gap < home && home <= j) : (gap < home || home <= j);
      if (!stay) {
        keys[gap] = k;
        values[gap] = values[j];
        gap = j;
      }
    }
    keys[gap] = EMPTY;
    values[gap] = 0;
  }

  private void grow() {
    long[] oldKeys = keys;
    int[] oldValues = values;
    allocate(oldKeys.length * 2);
    size = 0;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != EMPTY) {
        put(oldKeys[i], oldValues[i]);
      }
    }
  }
}
