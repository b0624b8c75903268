package dev.chaperone.streams.state;

import dev.chaperone.baseline.Baseline;
import dev.chaperone.baseline.BaselineCodec;
import dev.chaperone.baseline.BaselineConfig;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * Decoded baselines of one task, kept in memory in front of their RocksDB store so that a hot
 * agent's baseline is not decoded and encoded on every event.
 *
 * <p>Correctness under exactly-once: a baseline changed by an event is marked dirty and written
 * back to the backing store (logged: its changelog is in the task's transaction) when Kafka Streams
 * commits the task: it flushes every {@link CachedStateStore} then, before the transaction commits
 * ({@link #flushCache()}; {@link #commit(Map)}, called only now and then, writes back too). So the
 * changelog always holds the learning of exactly the events whose offsets are committed: a crash
 * loses only uncommitted work, which is re-processed from a restored baseline. An entry evicted
 * from the bounded cache while dirty is written back at once, inside the same transaction. The
 * cache is emptied on init and close, so a task that is restored or migrated never reads stale
 * memory.
 *
 * <p>Not persistent and not logged itself: the backing store is.
 */
public final class BaselineCacheStore implements StateStore, CachedStateStore<String, Baseline> {

  private final String name;
  private final int capacity;
  private final boolean writeBackAtCommit;
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(64, 0.75f, true);
  private KeyValueStore<String, byte[]> backing;
  private KeyValueStore<String, byte[]> days;
  private boolean open;
  private long hits;
  private long misses;
  private boolean lastHit;

  private static final class Entry {
    final Baseline baseline;
    boolean dirty;

    Entry(Baseline baseline) {
      this.baseline = baseline;
    }
  }

  BaselineCacheStore(String name, int capacity) {
    this(name, capacity, true);
  }

  BaselineCacheStore(String name, int capacity, boolean writeBackAtCommit) {
    this.name = name;
    this.capacity = capacity;
    this.writeBackAtCommit = writeBackAtCommit;
  }

  /** A builder for the topology: dirty baselines are written back at every commit. */
  public static StoreBuilder<BaselineCacheStore> builder(String name, int capacity) {
    return builder(name, capacity, true);
  }

  /**
   * A builder for the topology. Without {@code writeBackAtCommit}, dirty baselines are written back
   * only when evicted: only for state that never outlives its process (a replay), since a commit
   * then does not capture the baselines' learning.
   */
  public static StoreBuilder<BaselineCacheStore> builder(
      String name, int capacity, boolean writeBackAtCommit) {
    return new Builder(name, capacity, writeBackAtCommit);
  }

  /**
   * Connects the cache to its backing stores, processors call it from {@code init}: {@code heads}
   * holds each agent's baseline head (everything but its closed days, rewritten at each commit
   * where the agent was active), {@code days} each closed day under {@code <agent>\u0000<day>},
   * written once when the day closes. A commit so writes a few KiB per active agent, not its whole
   * baseline.
   */
  public void bind(KeyValueStore<String, byte[]> heads, KeyValueStore<String, byte[]> days) {
    this.backing = heads;
    this.days = days;
  }

  static String dayKey(String agentId, long day) {
    return agentId + '\u0000' + day;
  }

  private Baseline load(String agentId, BaselineConfig config) {
    byte[] bytes = backing.get(agentId);
    if (bytes == null) {
      return new Baseline(config);
    }
    if (BaselineCodec.isHead(bytes)) {
      return BaselineCodec.decodeHead(bytes, day -> days.get(dayKey(agentId, day)), config);
    }
    return BaselineCodec.decode(bytes, config); // a whole baseline, as older layouts stored it
  }

  private void store(String agentId, Baseline baseline) {
    Baseline.DayChanges changes = baseline.drainDayChanges();
    for (Map.Entry<Long, byte[]> day : changes.written().entrySet()) {
      days.put(dayKey(agentId, day.getKey()), day.getValue());
    }
    for (long day : changes.removed()) {
      days.delete(dayKey(agentId, day));
    }
    backing.put(agentId, BaselineCodec.encodeHead(baseline));
  }

  /**
   * The baseline of {@code agentId} under {@code config}: cached, else decoded from the backing
   * store, else new.
   */
  public Baseline get(String agentId, BaselineConfig config) {
    Entry entry = entries.get(agentId);
    if (entry != null) {
      hits++;
      lastHit = true;
      entry.baseline.reconfigure(config);
      return entry.baseline;
    }
    misses++;
    lastHit = false;
    Baseline baseline = load(agentId, config);
    entries.put(agentId, new Entry(baseline));
    evictBeyondCapacity();
    return baseline;
  }

  /** Forgets the baseline of {@code agentId}: from memory, and its head and days from the store. */
  public void delete(String agentId) {
    entries.remove(agentId);
    backing.delete(agentId);
    List<String> dayKeys = new ArrayList<>();
    // day keys are the agent id, a NUL and the day: they sort between these two
    try (KeyValueIterator<String, byte[]> it = days.range(agentId + '\u0000', agentId + '\u0001')) {
      while (it.hasNext()) {
        dayKeys.add(it.next().key);
      }
    }
    dayKeys.forEach(days::delete);
  }

  /** Marks the baseline of {@code agentId} as changed, to be written back at the next commit. */
  public void markDirty(String agentId) {
    Entry entry = entries.get(agentId);
    if (entry != null) {
      entry.dirty = true;
    }
  }

  private void evictBeyondCapacity() {
    Iterator<Map.Entry<String, Entry>> eldest = entries.entrySet().iterator();
    while (entries.size() > capacity && eldest.hasNext()) {
      Map.Entry<String, Entry> e = eldest.next();
      if (e.getValue().dirty) {
        store(e.getKey(), e.getValue().baseline);
      }
      eldest.remove();
    }
  }

  /** Writes every dirty baseline back; returns how many. */
  public int writeBack() {
    int written = 0;
    if (backing == null) {
      return 0;
    }
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      if (e.getValue().dirty) {
        store(e.getKey(), e.getValue().baseline);
        e.getValue().dirty = false;
        written++;
      }
    }
    return written;
  }

  /** Whether the last {@link #get} was served from memory. */
  public boolean lastLookupHit() {
    return lastHit;
  }

  /** Share of lookups served from memory since the task started. */
  public double hitRate() {
    long total = hits + misses;
    return total == 0 ? 0 : (double) hits / total;
  }

  public int size() {
    return entries.size();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    entries.clear();
    context.register(root, (key, value) -> {});
    open = true;
  }

  /**
   * Kafka Streams flushes every record cache when it commits a task (under exactly-once: before the
   * transaction commits), but commits its stores only now and then. Being a cache, this store
   * writes its dirty baselines back here, so the changelog holds the learning of exactly the
   * committed events.
   */
  @Override
  public void flushCache() {
    if (writeBackAtCommit) {
      writeBack();
    }
  }

  @Override
  public void clearCache() {
    entries.clear();
  }

  @Override
  public boolean setFlushListener(
      CacheFlushListener<String, Baseline> listener, boolean sendOldValues) {
    return false; // nothing downstream listens to baselines
  }

  @Override
  public void commit(Map<TopicPartition, Long> changelogOffsets) {
    if (writeBackAtCommit) {
      writeBack();
    }
  }

  @Override
  @SuppressWarnings("deprecation")
  public void flush() {
    if (writeBackAtCommit) {
      writeBack();
    }
  }

  @Override
  public void close() {
    entries.clear();
    open = false;
  }

  @Override
  public boolean persistent() {
    return false;
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  private static final class Builder implements StoreBuilder<BaselineCacheStore> {
    private final String name;
    private final int capacity;
    private final boolean writeBackAtCommit;

    Builder(String name, int capacity, boolean writeBackAtCommit) {
      this.name = name;
      this.capacity = capacity;
      this.writeBackAtCommit = writeBackAtCommit;
    }

    @Override
    public StoreBuilder<BaselineCacheStore> withCachingEnabled() {
      return this;
    }

    @Override
    public StoreBuilder<BaselineCacheStore> withCachingDisabled() {
      return this;
    }

    @Override
    public StoreBuilder<BaselineCacheStore> withLoggingEnabled(Map<String, String> config) {
      throw new UnsupportedOperationException(
          "the baseline cache is not logged: its backing store is");
    }

    @Override
    public StoreBuilder<BaselineCacheStore> withLoggingDisabled() {
      return this;
    }

    @Override
    public BaselineCacheStore build() {
      return new BaselineCacheStore(name, capacity, writeBackAtCommit);
    }

    @Override
    public Map<String, String> logConfig() {
      return Map.of();
    }

    @Override
    public boolean loggingEnabled() {
      return false;
    }

    @Override
    public String name() {
      return name;
    }
  }
}
