package dev.chaperone.baseline.internal;

/**
 * The baseline's key index: from a key's 32-bit hash (never 0) to its id and its count in the
 * window, in one open-addressing table, so that scoring finds both with one probe and decoding
 * builds one table instead of two. Backward-shift deletion, deterministic iteration. Not
 * thread-safe.
 */
public final class KeyIndex {

  private long[] hashes;
  private int[] ids;
  private int[] counts;
  private int size;
  private int mask;

  public KeyIndex(int expected) {
    allocate(Integer.highestOneBit(Math.max(8, expected * 2 - 1)) << 1);
  }

  private void allocate(int capacity) {
    hashes = new long[capacity];
    ids = new int[capacity];
    counts = new int[capacity];
    mask = capacity - 1;
  }

  private static int home(long hash, int mask) {
    long h = hash * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32)) & mask;
  }

  public int size() {
    return size;
  }

  private int find(long hash) {
    int i = home(hash, mask);
    while (true) {
      long k = hashes[i];
      if (k == hash) {
        return i;
      }
      if (k == 0) {
        return -1;
      }
      i = (i + 1) & mask;
    }
  }

  /** The id of {@code hash}, or {@code missing}. */
  public int idOf(long hash, int missing) {
    int i = find(hash);
    return i < 0 ? missing : ids[i];
  }

  /** The count of {@code hash}, 0 when absent. */
  public int countOf(long hash) {
    int i = find(hash);
    return i < 0 ? 0 : counts[i];
  }

  /** Adds a key that is not present yet. */
  public void put(long hash, int id, int count) {
    if (hash == 0) {
      throw new IllegalArgumentException("hash 0 is reserved");
    }
    int i = home(hash, mask);
    while (hashes[i] != 0) {
      if (hashes[i] == hash) {
        throw new IllegalArgumentException("hash " + hash + " is already indexed");
      }
      i = (i + 1) & mask;
    }
    hashes[i] = hash;
    ids[i] = id;
    counts[i] = count;
    if (++size * 4 > hashes.length * 3) {
      grow();
    }
  }

  /** Adds {@code delta} to the count of a present key and returns the new count. */
  public int addCount(long hash, int delta) {
    int i = find(hash);
    if (i < 0) {
      throw new IllegalArgumentException("hash " + hash + " is not indexed");
    }
    return counts[i] += delta;
  }

  /** Removes {@code hash}; returns whether it was present. */
  public boolean remove(long hash) {
    int i = find(hash);
    if (i < 0) {
      return false;
    }
    size--;
    int gap = i;
    int j = i;
    while (true) {
      j = (j + 1) & mask;
      long k = hashes[j];
      if (k == 0) {
        break;
      }
      int h = home(k, mask);
      boolean stay = gap <= j ? (gap < h && h <= j) : (gap < h || h <= j);
      if (!stay) {
        hashes[gap] = k;
        ids[gap] = ids[j];
        counts[gap] = counts[j];
        gap = j;
      }
    }
    hashes[gap] = 0;
    ids[gap] = 0;
    counts[gap] = 0;
    return true;
  }

  private void grow() {
    long[] oldHashes = hashes;
    int[] oldIds = ids;
    int[] oldCounts = counts;
    allocate(oldHashes.length * 2);
    size = 0;
    for (int i = 0; i < oldHashes.length; i++) {
      if (oldHashes[i] != 0) {
        put(oldHashes[i], oldIds[i], oldCounts[i]);
      }
    }
  }
}
