package dev.chaperone.streams.state;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
   * The life cycle of an in-memory cache that writes back into logged stores at each commit: Kafka
   * Streams flushes every {@link CachedStateStore} when it commits a task, before the transaction
   * commits, so the write-back lands in the same transaction as the offsets. Emptied on init and
   * close, so a restored or migrated task never reads stale memory. Not persistent, not logged.
   */
  abstract static class WriteBackStore<V> implements StateStore, CachedStateStore<String, V> {

    private final String name;
    private final boolean writeBackAtCommit;
    private boolean open;

    WriteBackStore(String name, boolean writeBackAtCommit) {
      this.name = name;
      this.writeBackAtCommit = writeBackAtCommit;
    }

    /** Writes every changed value back; returns how many. */
    public abstract int writeBack();

    /** Forgets everything held in memory, writing nothing. */
    abstract void clearMemory();

    @Override
    public final String name() {
      return name;
    }

    @Override
    public final void init(StateStoreContext context, StateStore root) {
      clearMemory();
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
      clearMemory();
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
      clearMemory();
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
