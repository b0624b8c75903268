package dev.chaperone.baseline;

import java.util.Arrays;

/**
 * The baseline's dictionary by id: each live key's 32-bit hash and, for named features, its name
 * (kept as UTF-8 bytes: strings are built only for explanations). Parallel arrays kept in ascending
 * id order (ids are handed out in increasing order, and a decoded table is filled in order), so
 * lookups are binary searches, encoding needs no sort and decoding is appends. Removal leaves a
 * hole; holes are squeezed out once they outnumber the keys. Only cold paths (eviction, day roll,
 * encoding, explanations) come here: scoring uses the hash → id map and the counters. Not
 * thread-safe.
 */
final class KeyTable {

  /** Visits (id, hash, name) entries in ascending id order. */
  @FunctionalInterface
  interface Visitor {
    void accept(int id, long hash, byte[] name);
  }

  private int[] ids;
  private long[] hashes;
  private byte[][] names;
  private int used;
  private int size;

  KeyTable(int expected) {
    int capacity = Math.max(16, expected);
    ids = new int[capacity];
    hashes = new long[capacity];
    names = new byte[capacity][];
  }

  int size() {
    return size;
  }

  boolean contains(int id) {
    return find(id) >= 0;
  }

  /** Adds a key; ids must be added in increasing order unless the table is told otherwise. */
  void put(int id, long hash, byte[] name) {
    if (used > 0 && id <= ids[used - 1]) {
      insertOutOfOrder(id, hash, name);
      return;
    }
    if (used == ids.length) {
      grow();
    }
    ids[used] = id;
    hashes[used] = hash;
    names[used] = name;
    used++;
    size++;
  }

  private void insertOutOfOrder(int id, long hash, byte[] name) {
    // Only after the id sequence wraps (2^27 keys): keep the order with an insertion.
    compact();
    int at = Arrays.binarySearch(ids, 0, used, id);
    if (at >= 0) {
      throw new IllegalArgumentException("id " + id + " is already live");
    }
    int position = -at - 1;
    if (used == ids.length) {
      grow();
    }
    System.arraycopy(ids, position, ids, position + 1, used - position);
    System.arraycopy(hashes, position, hashes, position + 1, used - position);
    System.arraycopy(names, position, names, position + 1, used - position);
    ids[position] = id;
    hashes[position] = hash;
    names[position] = name;
    used++;
    size++;
  }

  private void grow() {
    int capacity = ids.length * 2;
    ids = Arrays.copyOf(ids, capacity);
    hashes = Arrays.copyOf(hashes, capacity);
    names = Arrays.copyOf(names, capacity);
  }

  long hash(int id) {
    return hashes[slot(id)];
  }

  /** The UTF-8 name of a live id, or null for unnamed features. */
  byte[] nameBytes(int id) {
    return names[slot(id)];
  }

  /** The name of a live id, or null for unnamed features. */
  String name(int id) {
    byte[] name = names[slot(id)];
    return name == null ? null : new String(name, java.nio.charset.StandardCharsets.UTF_8);
  }

  private int slot(int id) {
    int slot = find(id);
    if (slot < 0) {
      throw new IllegalArgumentException("no key with id " + id);
    }
    return slot;
  }

  private int find(int id) {
    // Holes keep their id (negated), so the array stays sorted by |id| for the search.
    int lo = 0;
    int hi = used - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int value = ids[mid] < 0 ? -ids[mid] - 1 : ids[mid];
      if (value < id) {
        lo = mid + 1;
      } else if (value > id) {
        hi = mid - 1;
      } else {
        return ids[mid] < 0 ? -1 : mid;
      }
    }
    return -1;
  }

  /** Removes {@code id}; returns whether it was live. */
  boolean remove(int id) {
    int slot = find(id);
    if (slot < 0) {
      return false;
    }
    ids[slot] = -id - 1;
    names[slot] = null;
    size--;
    if (used - size > 64 && used - size > size) {
      compact();
    }
    return true;
  }

  private void compact() {
    int to = 0;
    for (int from = 0; from < used; from++) {
      if (ids[from] >= 0) {
        ids[to] = ids[from];
        hashes[to] = hashes[from];
        names[to] = names[from];
        to++;
      }
    }
    Arrays.fill(names, to, used, null);
    used = to;
  }

  void forEach(Visitor visitor) {
    for (int slot = 0; slot < used; slot++) {
      if (ids[slot] >= 0) {
        visitor.accept(ids[slot], hashes[slot], names[slot]);
      }
    }
  }

  int[] sortedIds() {
    int[] out = new int[size];
    int n = 0;
    for (int slot = 0; slot < used; slot++) {
      if (ids[slot] >= 0) {
        out[n++] = ids[slot];
      }
    }
    return out;
  }
}
