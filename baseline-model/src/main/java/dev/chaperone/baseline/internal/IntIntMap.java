package dev.chaperone.baseline.internal;

import java.util.Arrays;

/**
 * An open-addressing hash map from non-negative {@code int} keys to {@code int} values, with no
 * boxing: the baseline's counters. Linear probing with backward-shift deletion, so removals leave
 * no tombstones. Iteration order depends only on the sequence of operations, never on identity
 * hashes, so it is deterministic. Not thread-safe.
 */
public final class IntIntMap {

  private static final int EMPTY = -1;

  private int[] keys;
  private int[] values;
  private int size;
  private int mask;

  public IntIntMap() {
    this(8);
  }

  public IntIntMap(int expected) {
    int capacity = Integer.highestOneBit(Math.max(8, expected * 2 - 1)) << 1;
    allocate(capacity);
  }

  private void allocate(int capacity) {
    keys = new int[capacity];
    Arrays.fill(keys, EMPTY);
    values = new int[capacity];
    mask = capacity - 1;
  }

  private static int slot(int key, int mask) {
    int h = key * 0x9E3779B9;
    return (h ^ (h >>> 16)) & mask;
  }

  public int size() {
    return size;
  }

  /** The value of {@code key}, or 0 when absent. */
  public int get(int key) {
    int i = slot(key, mask);
    while (true) {
      int k = keys[i];
      if (k == key) {
        return values[i];
      }
      if (k == EMPTY) {
        return 0;
      }
      i = (i + 1) & mask;
    }
  }

  public boolean containsKey(int key) {
    int i = slot(key, mask);
    while (true) {
      int k = keys[i];
      if (k == key) {
        return true;
      }
      if (k == EMPTY) {
        return false;
      }
      i = (i + 1) & mask;
    }
  }

  /** Adds {@code delta} to {@code key}'s value (absent counts as 0); a result of 0 removes it. */
  public int add(int key, int delta) {
    if (key < 0) {
      throw new IllegalArgumentException("keys must be >= 0, was " + key);
    }
    int i = slot(key, mask);
    while (true) {
      int k = keys[i];
      if (k == key) {
        int v = values[i] + delta;
        if (v == 0) {
          removeAt(i);
        } else {
          values[i] = v;
        }
        return v;
      }
      if (k == EMPTY) {
        if (delta == 0) {
          return 0;
        }
        keys[i] = key;
        values[i] = delta;
        if (++size * 4 > keys.length * 3) {
          grow();
        }
        return delta;
      }
      i = (i + 1) & mask;
    }
  }

  /** Sets {@code key} to {@code value}; 0 removes it. */
  public void put(int key, int value) {
    add(key, value - get(key));
  }

  /** Removes {@code key}, returning its value (0 when absent). */
  public int remove(int key) {
    int i = slot(key, mask);
    while (true) {
      int k = keys[i];
      if (k == key) {
        int v = values[i];
        removeAt(i);
        return v;
      }
      if (k == EMPTY) {
        return 0;
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
      int k = keys[j];
      if (k == EMPTY) {
        break;
      }
      int home = slot(k, mask);
      // move k back into the gap unless its home lies cyclically in (gap, j]
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
    int[] oldKeys = keys;
    int[] oldValues = values;
    allocate(oldKeys.length * 2);
    size = 0;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != EMPTY) {
        add(oldKeys[i], oldValues[i]);
      }
    }
  }

  /** Makes room for {@code expected} entries without growing. */
  public void ensureCapacity(int expected) {
    if ((size + expected) * 4 > keys.length * 3) {
      int[] oldKeys = keys;
      int[] oldValues = values;
      allocate(Integer.highestOneBit(Math.max(8, (size + expected) * 2 - 1)) << 1);
      size = 0;
      for (int i = 0; i < oldKeys.length; i++) {
        if (oldKeys[i] != EMPTY) {
          add(oldKeys[i], oldValues[i]);
        }
      }
    }
  }

  public void clear() {
    Arrays.fill(keys, EMPTY);
    Arrays.fill(values, 0);
    size = 0;
  }

  /** The keys, sorted ascending. */
  public int[] sortedKeys() {
    int[] out = new int[size];
    int n = 0;
    for (int k : keys) {
      if (k != EMPTY) {
        out[n++] = k;
      }
    }
    Arrays.sort(out);
    return out;
  }

  /** Calls {@code visitor} for every entry, in slot order. */
  public void forEach(IntIntConsumer visitor) {
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] != EMPTY) {
        visitor.accept(keys[i], values[i]);
      }
    }
  }

  /** A primitive (key, value) callback. */
  @FunctionalInterface
  public interface IntIntConsumer {
    void accept(int key, int value);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof IntIntMap other) || other.size != size) {
      return false;
    }
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] != EMPTY && other.get(keys[i]) != values[i]) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = 0;
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] != EMPTY) {
        h += keys[i] * 31 ^ values[i];
      }
    }
    return h;
  }
}
