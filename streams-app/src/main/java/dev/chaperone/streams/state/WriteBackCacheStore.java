package dev.chaperone.streams.state;

import java.util.Objects;
import java.util.function.Function;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * Decoded per-agent state of one task (inventory entries, sightings), kept in memory in front of
 * the logged store that holds it, so that an event costs no store read, no encoding and no
 * changelog record: a value changed by an event is marked dirty and written back once per commit.
 *
 * <p>Exactly-once follows from when the write-back runs, as for {@link BaselineCacheStore}: Kafka
 * Streams flushes every {@link CachedStateStore} when it commits a task, before the transaction
 * commits ({@link #flushCache()}), so the changelog holds the state of exactly the committed
 * events. A dirty entry evicted from the bounded cache is written back at once, in the same
 * transaction. The cache is emptied on init and close, so a restored or migrated task never reads
 * stale memory. The backing store must not have Kafka Streams' record cache enabled: its own flush
 * could otherwise run before this one.
 *
 * <p>Not thread-safe: a task's stores are used by its stream thread only.
 *
 * @param <V> the decoded value; a mutable value changed in place is {@link #put} again to mark it
 */
public final class WriteBackCacheStore<V>
    extends AgentKeyedStores.WriteBackStore<V, WriteBackCacheStore.Entry<V>> {

  /** Where the values live: read on a cache miss, written at write-back. */
  public interface Backing<V> {
    /** The value of {@code key}, or null. */
    V load(String key);

    /** Writes {@code value}, changed since it was loaded. */
    void store(String key, V value);

    /** Removes everything kept for {@code key}. */
    void delete(String key);

    /** A backing that is one key-value store. */
    static <V> Backing<V> of(KeyValueStore<String, V> store) {
      Objects.requireNonNull(store, "store");
      return new Backing<>() {
        @Override
        public V load(String key) {
          return store.get(key);
        }

        @Override
        public void store(String key, V value) {
          store.put(key, value);
        }

        @Override
        public void delete(String key) {
          store.delete(key);
        }
      };
    }
  }

  private Backing<V> backing;

  static final class Entry<V> extends AgentKeyedStores.Cached {
    final V value;

    Entry(V value) {
      this.value = value;
    }
  }

  WriteBackCacheStore(String name, int capacity, boolean writeBackAtCommit) {
    super(name, capacity, writeBackAtCommit);
  }

  /**
   * A builder for the topology: at most {@code capacity} values in memory; with {@code
   * writeBackAtCommit}, dirty ones are written back at every commit, else only when evicted (for
   * state that never outlives its process, such as a replay).
   */
  public static <V> StoreBuilder<WriteBackCacheStore<V>> builder(
      String name, int capacity, boolean writeBackAtCommit) {
    return new UnloggedStoreBuilder<>(
        name, () -> new WriteBackCacheStore<>(name, capacity, writeBackAtCommit));
  }

  /**
   * Connects the cache to where its values live; processors call it from {@code init}. Every
   * processor sharing the cache binds the same backing.
   */
  public void bind(Backing<V> backing) {
    this.backing = Objects.requireNonNull(backing, "backing");
  }

  /**
   * Connects the cache to {@code store} through the backing {@code over} makes of it, the store's
   * records of a write-back written as one batch ({@link BatchedStore}).
   */
  public <T> void bind(
      KeyValueStore<String, T> store, Function<KeyValueStore<String, T>, Backing<V>> over) {
    bind(over.apply(batched(store)));
  }

  /** The value of {@code key}: cached, else loaded; null when there is none. */
  public V get(String key) {
    Entry<V> entry = cached(key);
    if (entry != null) {
      return entry.value;
    }
    V loaded = backing.load(key);
    if (loaded != null) {
      cache(key, new Entry<>(loaded));
    }
    return loaded;
  }

  /** Caches {@code value} for {@code key}, to be written back at the next commit. */
  public void put(String key, V value) {
    Objects.requireNonNull(value, "value");
    Entry<V> entry = cached(key);
    if (entry == null || entry.value != value) {
      entry = new Entry<>(value);
      cache(key, entry);
    }
    markDirty(key, entry);
  }

  /** Forgets {@code key}, in memory and in the backing store. */
  public void delete(String key) {
    forget(key);
    backing.delete(key);
  }

  @Override
  void store(String key, Entry<V> entry) {
    backing.store(key, entry.value);
  }

  @Override
  boolean bound() {
    return backing != null;
  }
}
