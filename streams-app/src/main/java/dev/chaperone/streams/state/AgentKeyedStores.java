package dev.chaperone.streams.state;

import java.nio.BufferUnderflowException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * What the per-agent caches share: keys of an agent's several records ({@code
 * <agent>\u0000<suffix>}, which sort between the agent id followed by NUL and by U+0001; agent ids
 * hold no control characters), and the store life cycle of a write-back cache.
 */
final class AgentKeyedStores {

  private AgentKeyedStores() {}

  /** The prefix of every record key of {@code agentId} that carries a suffix. */
  static String prefix(String agentId) {
    return agentId + '\u0000';
  }

  /** The records of {@code agentId} with a suffix, in key order. */
  static <V> KeyValueIterator<String, V> range(KeyValueStore<String, V> store, String agentId) {
    return store.range(prefix(agentId), agentId + '\u0001');
  }

  /**
   * Deletes the record of {@code key} without reading it: a null value deletes (and logs a
   * tombstone) as {@link KeyValueStore#delete} does, but {@code delete} reads the old value to
   * return it, a RocksDB get for every expired chunk or day of a write-back.
   */
  static void remove(KeyValueStore<String, byte[]> store, String key) {
    store.put(key, null);
  }

  /** Deletes every record of {@code agentId} that carries a suffix. */
  static void deleteAll(KeyValueStore<String, ?> store, String agentId) {
    List<String> keys = new ArrayList<>();
    try (KeyValueIterator<String, ?> it = range(store, agentId)) {
      while (it.hasNext()) {
        keys.add(it.next().key);
      }
    }
    keys.forEach(store::delete);
  }

  /**
   * Reads every record of {@code agentId} that carries a suffix, in key order, passing the suffix
   * and the value to {@code read}; returns whether there was any. A record {@code read} cannot
   * decode is reported with its key, as a corrupt record of {@code what}.
   */
  static boolean readAll(
      KeyValueStore<String, byte[]> store,
      String agentId,
      String what,
      BiConsumer<String, byte[]> read) {
    boolean found = false;
    int suffixAt = prefix(agentId).length();
    try (KeyValueIterator<String, byte[]> it = range(store, agentId)) {
      while (it.hasNext()) {
        var record = it.next();
        try {
          read.accept(record.key.substring(suffixAt), record.value);
        } catch (BufferUnderflowException
            | IllegalArgumentException
            | ArithmeticException
            | IndexOutOfBoundsException e) {
          throw new IllegalStateException(
              "corrupt " + what + " record " + record.key.replace('\u0000', '/'), e);
        }
        found = true;
      }
    }
    return found;
  }

  /**
   * What a write-back cache holds per key: the value and whether it changed since written. Marked
   * changed only through {@link WriteBackStore#markDirty}, which also lists it for the write-back.
   */
  abstract static class Cached {
    private boolean dirty;
    // used since it was cached or since the eviction last passed over it
    private boolean used;

    final boolean isDirty() {
      return dirty;
    }
  }

  /**
   * An in-memory cache of at most {@code capacity} entries that writes its changed entries back
   * into logged stores at each commit: Kafka Streams flushes every {@link CachedStateStore} when it
   * commits a task, before the transaction commits, so the write-back lands in the same transaction
   * as the offsets. A dirty entry evicted is written back at once. Emptied on init and close, so a
   * restored or migrated task never reads stale memory. Not persistent, not logged.
   *
   * <p>Changed entries are listed as they change, so a commit visits only those: the whole cache
   * (up to {@code capacity} entries per store and task) was walked at every commit before, which
   * grows with the cache rather than with what changed.
   *
   * <p>Eviction is second chance (the clock algorithm), close to least recently used: a use marks
   * the entry, and a full cache evicts the oldest entry not marked, moving each marked one it
   * passes behind the others and clearing its mark. An access-ordered map moved the entry at every
   * use, each move four pointer stores into entries long in the old generation, for G1 to refine; a
   * mark is one boolean, and entries move only when the cache is full.
   */
  abstract static class WriteBackStore<V, E extends Cached>
      implements StateStore, CachedStateStore<String, V> {

    private final String name;
    private final int capacity;
    private final boolean writeBackAtCommit;
    // in the order cached, or moved behind the others when the eviction passed over them
    private final LinkedHashMap<String, E> entries = new LinkedHashMap<>(64, 0.75f, false);
    // entries marked dirty since the last write-back, with their keys, each listed once when it
    // turned dirty; one written back at eviction or forgotten stays listed but is clean, skipped
    private final ArrayList<String> dirtyKeys = new ArrayList<>();
    private final ArrayList<E> dirtyEntries = new ArrayList<>();
    // the stores entries are written back to, their puts held during a write-back
    private final ArrayList<BatchedStore<?>> batched = new ArrayList<>();
    private boolean open;

    WriteBackStore(String name, int capacity, boolean writeBackAtCommit) {
      if (capacity < 1) {
        throw new IllegalArgumentException("cache capacity must be >= 1: " + capacity);
      }
      this.name = name;
      this.capacity = capacity;
      this.writeBackAtCommit = writeBackAtCommit;
    }

    /** Writes one changed entry where it lives. */
    abstract void store(String key, E entry);

    /** Whether the stores behind the cache are bound yet. */
    abstract boolean bound();

    /** Whether changed entries are written back at each commit, not only when evicted. */
    final boolean writesBackAtCommit() {
      return writeBackAtCommit;
    }

    /** The cached entry of {@code key}, or null; counts as a use. */
    final E cached(String key) {
      E entry = entries.get(key);
      if (entry != null) {
        Cached used = entry; // the mark is private to Cached, not reachable through E
        used.used = true;
      }
      return entry;
    }

    /**
     * Caches a clean {@code entry} under {@code key}, evicting beyond the capacity another entry
     * than this one.
     */
    final void cache(String key, E entry) {
      E replaced = entries.put(key, entry);
      if (replaced != null && replaced != entry) {
        clean(replaced); // superseded by the new entry: nothing of it is to be written
      }
      while (entries.size() > capacity) {
        Iterator<Map.Entry<String, E>> eldest = entries.entrySet().iterator();
        Map.Entry<String, E> e = eldest.next();
        Cached oldest = e.getValue();
        eldest.remove();
        if (oldest.used || oldest == entry) {
          oldest.used = false; // a second chance: behind the others, unmarked
          entries.put(e.getKey(), e.getValue());
          continue;
        }
        if (oldest.dirty) {
          store(e.getKey(), e.getValue());
          clean(oldest);
        }
      }
    }

    /**
     * Marks the cached {@code entry} of {@code key} as changed, to be written back at the next
     * commit (or when evicted).
     */
    final void markDirty(String key, E entry) {
      Cached cached = entry; // the flag is private to Cached, not reachable through E
      if (cached.dirty) {
        return;
      }
      cached.dirty = true;
      if (dirtyKeys.size() >= 2L * capacity + 16) { // long: a capacity near Integer.MAX_VALUE
        dropClean(); // only when no commit writes back: evictions clean entries but not the list
      }
      dirtyKeys.add(key);
      dirtyEntries.add(entry);
    }

    private static void clean(Cached entry) {
      entry.dirty = false;
    }

    private void dropClean() {
      int kept = 0;
      for (int i = 0; i < dirtyEntries.size(); i++) {
        if (dirtyEntries.get(i).isDirty()) {
          dirtyKeys.set(kept, dirtyKeys.get(i));
          dirtyEntries.set(kept, dirtyEntries.get(i));
          kept++;
        }
      }
      dirtyKeys.subList(kept, dirtyKeys.size()).clear();
      dirtyEntries.subList(kept, dirtyEntries.size()).clear();
    }

    /** Entries listed for the next write-back, clean ones included (for tests). */
    final int listedForWriteBack() {
      return dirtyEntries.size();
    }

    /** Forgets the cached entry of {@code key}, writing nothing. */
    final void forget(String key) {
      E forgotten = entries.remove(key);
      if (forgotten != null) {
        clean(forgotten);
      }
    }

    /** Entries held in memory. */
    public final int size() {
      return entries.size();
    }

    /**
     * {@code store}, its puts during a write-back written as one batch ({@link BatchedStore}): what
     * a cache's {@code bind} binds it to. Stores bound before the cache's last init are forgotten.
     */
    final <T> KeyValueStore<String, T> batched(KeyValueStore<String, T> store) {
      BatchedStore<T> wrapped = new BatchedStore<>(store);
      batched.add(wrapped);
      return wrapped;
    }

    /**
     * Writes every changed entry back, each store's records as one batch; returns how many entries.
     */
    public final int writeBack() {
      if (!bound()) {
        return 0;
      }
      batched.forEach(BatchedStore::hold);
      int written = 0;
      for (int i = 0; i < dirtyEntries.size(); i++) {
        E entry = dirtyEntries.get(i);
        if (entry.isDirty()) {
          store(dirtyKeys.get(i), entry);
          clean(entry);
          written++;
        }
      }
      dirtyKeys.clear();
      dirtyEntries.clear();
      batched.forEach(BatchedStore::release);
      return written;
    }

    @Override
    public final String name() {
      return name;
    }

    @Override
    public final void init(StateStoreContext context, StateStore root) {
      clearCache();
      batched.clear();
      context.register(root, (key, value) -> {});
      open = true;
    }

    /** Called by Kafka Streams at every task commit, before the transaction commits. */
    @Override
    public final void flushCache() {
      if (writeBackAtCommit) {
        writeBack();
      }
    }

    @Override
    public final void clearCache() {
      entries.clear();
      dirtyKeys.clear();
      dirtyEntries.clear();
    }

    @Override
    public final boolean setFlushListener(
        CacheFlushListener<String, V> listener, boolean sendOldValues) {
      return false; // nothing downstream listens
    }

    /** Called only now and then by Kafka Streams 4.3; writes back too. */
    @Override
    public final void commit(Map<TopicPartition, Long> changelogOffsets) {
      flushCache();
    }

    @Override
    @SuppressWarnings("deprecation")
    public final void flush() {
      flushCache();
    }

    @Override
    public final void close() {
      clearCache();
      open = false;
    }

    @Override
    public final boolean persistent() {
      return false;
    }

    @Override
    public final boolean isOpen() {
      return open;
    }
  }
}
