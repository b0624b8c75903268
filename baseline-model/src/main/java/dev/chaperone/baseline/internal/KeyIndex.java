package dev.chaperone.baseline.internal;

/**
 * The baseline's key index: from a key's 32-bit hash (never 0) to its id and its count in the
 * window, in one open-addressing table, so that scoring finds both with one probe and decoding
 * builds one table instead of two. Backward-shift deletion. Not thread-safe.
 *
 * <p>A slot is two adjacent longs, the hash and then the id (high half) with the count (low half):
 * a lookup reads one cache line where a table of three arrays read three (and three array headers
 * for the bounds checks), and with a fleet of agents a baseline's index has mostly left the CPU's
 * caches by its agent's next event.
 */
public final class KeyIndex {

  private static final long COUNT_BITS = 0xFFFF_FFFFL;

  private long[] slots;
  private int size;
  private int mask;

  public KeyIndex(int expected) {
    allocate(Integer.highestOneBit(Math.max(8, expected * 2 - 1)) << 1);
  }

  private void allocate(int capacity) {
    slots = new long[2 * capacity];
    mask = capacity - 1;
  }

  private static int home(long hash, int mask) {
    long h = hash * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32)) & mask;
  }

  private static long entry(int id, int count) {
    return ((long) id << 32) | (count & COUNT_BITS);
  }

  public int size() {
    return size;
  }

  /** Where {@code hash} is in {@link #slots} (its entry follows it), or -1. */
  private int find(long hash) {
    int i = home(hash, mask);
    while (true) {
      long k = slots[2 * i];
      if (k == hash) {
        return 2 * i;
      }
      if (k == 0) {
        return -1;
      }
      i = (i + 1) & mask;
    }
  }

  /** The id of {@code hash}, or {@code missing}. */
  public int idOf(long hash, int missing) {
    int at = find(hash);
    return at < 0 ? missing : (int) (slots[at + 1] >>> 32);
  }

  /** The count of {@code hash}, 0 when absent. */
  public int countOf(long hash) {
    int at = find(hash);
    return at < 0 ? 0 : (int) slots[at + 1];
  }

  /** Adds a key that is not present yet. */
  public void put(long hash, int id, int count) {
    if (hash == 0) {
      throw new IllegalArgumentException("hash 0 is reserved");
    }
    int i = home(hash, mask);
    while (slots[2 * i] != 0) {
      if (slots[2 * i] == hash) {
        throw new IllegalArgumentException("hash " + hash + " is already indexed");
      }
      i = (i + 1) & mask;
    }
    slots[2 * i] = hash;
    slots[2 * i + 1] = entry(id, count);
    if (++size * 4 > (mask + 1) * 3) {
      grow();
    }
  }

  /** Adds {@code delta} to the count of a present key and returns the new count. */
  public int addCount(long hash, int delta) {
    int at = find(hash);
    if (at < 0) {
      throw new IllegalArgumentException("hash " + hash + " is not indexed");
    }
    long slot = slots[at + 1];
    int count = (int) slot + delta;
    slots[at + 1] = (slot & ~COUNT_BITS) | (count & COUNT_BITS);
    return count;
  }

  /** Removes {@code hash}; returns whether it was present. */
  public boolean remove(long hash) {
    int at = find(hash);
    if (at < 0) {
      return false;
    }
    size--;
    int gap = at / 2;
    int j = gap;
    while (true) {
      j = (j + 1) & mask;
      long k = slots[2 * j];
      if (k == 0) {
        break;
      }
      int h = home(k, mask);
      boolean stay = gap <= j ? (gap < h && h <= j) : (gap < h || h <= j);
      if (!stay) {
        slots[2 * gap] = k;
        slots[2 * gap + 1] = slots[2 * j + 1];
        gap = j;
      }
    }
    slots[2 * gap] = 0;
    slots[2 * gap + 1] = 0;
    return true;
  }

  private void grow() {
    long[] old = slots;
    allocate(old.length); // twice the slots: a slot is two longs
    size = 0;
    for (int i = 0; i < old.length; i += 2) {
      if (old[i] != 0) {
        put(old[i], (int) (old[i + 1] >>> 32), (int) old[i + 1]);
      }
    }
  }
}
