package dev.chaperone.streams.state;

import dev.chaperone.baseline.Assessment;
import dev.chaperone.baseline.Baseline;
import dev.chaperone.baseline.BaselineCodec;
import dev.chaperone.baseline.BaselineConfig;
import dev.chaperone.baseline.Observation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * Decoded baselines of one task, kept in memory in front of their RocksDB stores so that a hot
 * agent's baseline is not decoded and encoded on every event.
 *
 * <p>What is written: a <em>snapshot</em> (the baseline's head under the agent id in {@code
 * agent-baselines}, each closed day under {@code <agent>\u0000<day>} in {@code
 * agent-baseline-days}, written once when the day closes) now and then, and between snapshots a
 * <em>journal</em> in {@code agent-baseline-journal} of what each event did to it ({@link
 * BaselineJournal}): one batch of steps per commit, tens of bytes per event instead of the head's
 * kilobytes, after a journal head that names the generation and the config the steps run under. A
 * snapshot is taken at a baseline's first write-back, when the journal would pass {@value
 * #MAX_JOURNAL_STEPS} steps, when the config changes and after any change that is not an event's
 * step (analyst feedback); it starts a new journal generation, so a journal always follows its
 * snapshot. Loading decodes the snapshot and replays the journal's current generation.
 *
 * <p>Correctness under exactly-once: a baseline changed by an event is written back to the stores
 * (logged: their changelogs are in the task's transaction) when Kafka Streams commits the task: it
 * flushes every {@link CachedStateStore} then, before the transaction commits ({@link
 * #flushCache()}; {@link #commit(Map)}, called only now and then, writes back too). So the
 * changelogs always hold the learning of exactly the events whose offsets are committed: a crash
 * loses only uncommitted work, which is re-processed from a restored baseline. An entry evicted
 * from the bounded cache while dirty is written back at once, inside the same transaction. The
 * cache is emptied on init and close, so a task that is restored or migrated never reads stale
 * memory.
 *
 * <p>Not persistent and not logged itself: the backing stores are.
 */
public final class BaselineCacheStore
    extends AgentKeyedStores.WriteBackStore<Baseline, BaselineCacheStore.Entry> {

  /** Journal steps after which the next write-back takes a snapshot instead. */
  public static final int MAX_JOURNAL_STEPS = 32;

  private static final String HEAD_SUFFIX = "h";
  private static final String BATCH_SUFFIX = "b";

  private KeyValueStore<String, byte[]> backing;
  private KeyValueStore<String, byte[]> days;
  private KeyValueStore<String, byte[]> journal;
  private long hits;
  private long misses;
  private boolean lastHit;

  static final class Entry extends AgentKeyedStores.Cached {
    final Baseline baseline;
    final List<BaselineJournal.Step> pending = new ArrayList<>();
    boolean snapshotDue;
    boolean snapshotted;
    int generation;
    int journalBatches;
    int journalSteps;

    Entry(Baseline baseline) {
      this.baseline = baseline;
    }
  }

  BaselineCacheStore(String name, int capacity) {
    this(name, capacity, true);
  }

  BaselineCacheStore(String name, int capacity, boolean writeBackAtCommit) {
    super(name, capacity, writeBackAtCommit);
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
    return new UnloggedStoreBuilder<>(
        name, () -> new BaselineCacheStore(name, capacity, writeBackAtCommit));
  }

  /**
   * Connects the cache to its backing stores, processors call it from {@code init}: {@code heads}
   * holds each agent's snapshot head, {@code days} its closed days, {@code journal} the journal
   * head and the steps since the snapshot.
   */
  public void bind(
      KeyValueStore<String, byte[]> heads,
      KeyValueStore<String, byte[]> days,
      KeyValueStore<String, byte[]> journal) {
    this.backing = batched(heads);
    this.days = batched(days);
    this.journal = batched(journal);
  }

  static String dayKey(String agentId, long day) {
    return AgentKeyedStores.prefix(agentId) + day;
  }

  private static String batchKey(String agentId, int batch) {
    return AgentKeyedStores.prefix(agentId)
        + (batch < BATCH_SUFFIXES.length ? BATCH_SUFFIXES[batch] : batchSuffix(batch));
  }

  /** The suffixes of every slot a journal can use, made once: a key is built at every commit. */
  private static final String[] BATCH_SUFFIXES = new String[MAX_JOURNAL_STEPS + 1];

  static {
    for (int batch = 0; batch < BATCH_SUFFIXES.length; batch++) {
      BATCH_SUFFIXES[batch] = batchSuffix(batch);
    }
  }

  private static String batchSuffix(int batch) {
    // zero-padded, so that a range scan returns the slots in order (a journal has at most
    // MAX_JOURNAL_STEPS of them)
    String number = Integer.toString(batch);
    return BATCH_SUFFIX + "0000".substring(number.length() - 1) + number;
  }

  /** An agent's journal records as read from the store, in key order. */
  private static final class StoredJournal {
    BaselineJournal.Head head;
    final List<BaselineJournal.Batch> batches = new ArrayList<>();

    void read(String suffix, byte[] value) {
      if (suffix.equals(HEAD_SUFFIX)) {
        head = BaselineJournal.decodeHead(value);
      } else if (suffix.startsWith(BATCH_SUFFIX)) {
        batches.add(BaselineJournal.decodeBatch(value));
      }
    }
  }

  private Entry load(String agentId, BaselineConfig config) {
    StoredJournal stored = new StoredJournal();
    AgentKeyedStores.readAll(journal, agentId, "baseline journal", stored::read);
    BaselineJournal.Head head = stored.head;
    // the snapshot and its journal run under the config recorded with them
    BaselineConfig recorded = head == null ? config : head.config();
    int generation = head == null ? 0 : head.generation();
    byte[] bytes = backing.get(agentId);
    Baseline baseline;
    if (bytes == null) {
      baseline = new Baseline(recorded);
    } else if (BaselineCodec.isHead(bytes)) {
      baseline = BaselineCodec.decodeHead(bytes, day -> days.get(dayKey(agentId, day)), recorded);
    } else {
      baseline = BaselineCodec.decode(bytes, recorded); // a whole baseline, as older layouts stored
    }
    Entry entry = new Entry(baseline);
    // a snapshot of this layout has a journal head; an older or imported one is taken again
    entry.snapshotted = bytes != null && head != null;
    entry.generation = generation;
    // this generation's batches fill the first slots in order; later slots hold older generations
    for (BaselineJournal.Batch batch : stored.batches) {
      if (batch.generation() != generation) {
        break;
      }
      batch.steps().forEach(step -> BaselineJournal.replay(baseline, step));
      entry.journalSteps += batch.steps().size();
      entry.journalBatches++;
    }
    if (!recorded.equals(config)) {
      baseline.reconfigure(config);
      entry.snapshotDue = true; // marked dirty once cached
    }
    return entry;
  }

  @Override
  void store(String agentId, Entry entry) {
    if (entry.snapshotDue
        || !entry.snapshotted
        || entry.journalSteps + entry.pending.size() > MAX_JOURNAL_STEPS) {
      snapshot(agentId, entry);
    } else if (!entry.pending.isEmpty()) {
      journal.put(
          batchKey(agentId, entry.journalBatches),
          BaselineJournal.encodeBatch(entry.generation, entry.pending));
      entry.journalBatches++;
      entry.journalSteps += entry.pending.size();
    }
    entry.pending.clear();
  }

  /**
   * Writes the baseline whole (head and changed days) and starts a new journal generation: the
   * batches of the old one are ignored from now on, and overwritten slot by slot.
   */
  private void snapshot(String agentId, Entry entry) {
    writeTo(
        agentId,
        entry.baseline,
        backing::put,
        days::put,
        day -> AgentKeyedStores.remove(days, day));
    entry.generation++;
    journal.put(
        AgentKeyedStores.prefix(agentId) + HEAD_SUFFIX,
        BaselineJournal.encodeHead(entry.generation, entry.baseline.config()));
    entry.journalBatches = 0;
    entry.journalSteps = 0;
    entry.snapshotDue = false;
    entry.snapshotted = true;
  }

  /**
   * Writes what changed of {@code baseline} in the layout of the snapshot stores: closed days
   * written or removed since the last call under their day keys, then the head under the agent id.
   * Also how tools build stores (or their changelogs) of baselines learned offline.
   */
  public static void writeTo(
      String agentId,
      Baseline baseline,
      BiConsumer<String, byte[]> heads,
      BiConsumer<String, byte[]> days,
      Consumer<String> removedDays) {
    Baseline.DayChanges changes = baseline.drainDayChanges();
    for (Map.Entry<Long, byte[]> day : changes.written().entrySet()) {
      days.accept(dayKey(agentId, day.getKey()), day.getValue());
    }
    for (long day : changes.removed()) {
      removedDays.accept(dayKey(agentId, day));
    }
    heads.accept(agentId, BaselineCodec.encodeHead(baseline));
  }

  /**
   * The baseline of {@code agentId} under {@code config}: cached, else loaded from the stores, else
   * new. Change it only through {@link #learned}, {@link #quarantined}, {@link #scoredOnly} or, for
   * anything else, {@link #markDirty}.
   */
  public Baseline get(String agentId, BaselineConfig config) {
    Entry entry = cached(agentId);
    if (entry != null) {
      hits++;
      lastHit = true;
      if (!config.equals(entry.baseline.config())) {
        entry.baseline.reconfigure(config);
        entry.snapshotDue = true;
        markDirty(agentId, entry);
      }
      return entry.baseline;
    }
    misses++;
    lastHit = false;
    entry = load(agentId, config);
    cache(agentId, entry);
    if (entry.snapshotDue) {
      markDirty(agentId, entry);
    }
    return entry.baseline;
  }

  /** Learns the event {@code assessment} scored, and journals it. */
  public void learned(String agentId, Assessment assessment) {
    Entry entry = entry(agentId);
    entry.baseline.learn(assessment);
    journal(agentId, entry, BaselineJournal.Kind.LEARNED, null, assessment.observation());
  }

  /** Holds the scored event {@code eventId} out of learning, and journals it. */
  public void quarantined(String agentId, String eventId, Observation observation) {
    Entry entry = entry(agentId);
    entry.baseline.quarantine(eventId, observation);
    journal(agentId, entry, BaselineJournal.Kind.QUARANTINED, eventId, observation);
  }

  /** Journals an event that was scored but, too late, not learned. */
  public void scoredOnly(String agentId, Observation observation) {
    journal(agentId, entry(agentId), BaselineJournal.Kind.SCORED, null, observation);
  }

  private Entry entry(String agentId) {
    Entry entry = cached(agentId);
    if (entry == null) {
      throw new IllegalStateException("baseline of " + agentId + " is not loaded: get it first");
    }
    return entry;
  }

  private void journal(
      String agentId,
      Entry entry,
      BaselineJournal.Kind kind,
      String eventId,
      Observation observation) {
    markDirty(agentId, entry);
    if (!writesBackAtCommit()) {
      // written back only when evicted: a snapshot then, so steps need not pile up in memory
      entry.snapshotDue = true;
      return;
    }
    entry.pending.add(new BaselineJournal.Step(kind, eventId, observation));
  }

  /** Forgets the baseline of {@code agentId}: from memory, and everything stored of it. */
  public void delete(String agentId) {
    forget(agentId);
    backing.delete(agentId);
    AgentKeyedStores.deleteAll(days, agentId);
    AgentKeyedStores.deleteAll(journal, agentId);
  }

  /**
   * Marks the baseline of {@code agentId} as changed other than by an event's step (analyst
   * feedback): a snapshot is written at the next commit.
   */
  public void markDirty(String agentId) {
    Entry entry = cached(agentId);
    if (entry != null) {
      entry.snapshotDue = true;
      markDirty(agentId, entry);
    }
  }

  @Override
  boolean bound() {
    return backing != null;
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
}
