package dev.chaperone.streams.state;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * What one agent was recently seen with: its event ids (for de-duplication) and the credentials it
 * used (for the sharing check), each answered "first time within 24 hours?" without a store read.
 *
 * <p><b>Event ids</b> are kept as 64-bit hashes with their event time, covering {@value
 * #KEPT_HOURS} hours behind the newest event: a day of window and a day of lateness. They are held
 * in chunks of at most {@value #CHUNK} ids in arrival order, each named after the hour of its first
 * id and taking ids for at most {@value #CHUNK_SPAN_HOURS} hours from then; a chunk goes when its
 * newest id is older than the kept hours, so an id may be held up to a chunk's span longer. (Chunks
 * of one hour each cost an agent acting less than hourly a chunk written and one deleted per
 * event.) A duplicate is an id seen within {@link #WINDOW_MS} of the event's own time; two
 * different ids of one agent share a hash with probability about n²/2⁶⁵ (below 10⁻¹¹ at the cap).
 * At most {@value #MAX_EVENT_IDS} ids are kept: beyond that the oldest chunks go first, which
 * shortens the de-duplication horizon of a flooding agent ({@link #evicted()} counts the ids let
 * go). An event older than the kept hours is not checked and not remembered, nor are more than
 * {@value #MAX_CHUNKS_PER_HOUR} chunks' worth of ids named after one hour.
 *
 * <p><b>Credentials</b> (token and principal keys) keep their latest forwarded time, for 48 hours
 * behind the newest use (a window and a day of lateness); at most {@value #MAX_CREDENTIALS}, the
 * oldest first out.
 *
 * <p>Persistence: {@link #backing} keeps one record per chunk in a key-value store, under the agent
 * id, a NUL and a suffix; a write-back writes only the chunks changed since the last one (full
 * chunks are never rewritten), so a commit costs at most about a kilobyte per active agent whatever
 * its rate or history. A credential is written in the record of the chunk that holds its event,
 * which is rewritten at that commit anyway: a new credential (with a token per session, nearly
 * every session's first event has one) costs no record of its own. Only a credential with no chunk
 * to go into (its use recorded without an event) is kept in a record of the agent's own, which is
 * also the layout before credentials went into chunks: a load takes such a record into the newest
 * chunk, and the next write-back deletes it. A credential dropped from memory (by the cap, or by
 * age) stays in its chunk's record until that chunk is rewritten or goes, and one used again stays
 * under its earlier chunk too: a load keeps the newest time of each and applies the cap and the age
 * again. A chunk dropped while its credentials are within their 48 hours (by {@link
 * #MAX_EVENT_IDS}, for a flooding agent) takes them along, so they are forwarded once more at their
 * next use. Not thread-safe.
 */
public final class AgentSightings {

  /** Two sightings of a key closer than this are the same. */
  public static final long WINDOW_MS = Duration.ofHours(24).toMillis();

  /** Hours of event ids kept behind the newest event's hour. */
  public static final int KEPT_HOURS = 49;

  /** Event ids kept per agent at most. */
  public static final int MAX_EVENT_IDS = 16_384;

  /** Credential keys kept per agent at most. */
  public static final int MAX_CREDENTIALS = 64;

  /** Event ids per persisted chunk. */
  public static final int CHUNK = 16;

  /** Chunks named after one hour at most: the chunk number is 16 bits of the chunk key. */
  public static final int MAX_CHUNKS_PER_HOUR = 1 << 16;

  /** Hours after its first id's hour during which a chunk takes further ids. */
  public static final int CHUNK_SPAN_HOURS = 24;

  private static final long HOUR_MS = Duration.ofHours(1).toMillis();

  /** How long before a new use an earlier one is still kept: a window and a day of lateness. */
  private static final long KEPT_CREDENTIAL_MS = 2 * WINDOW_MS;

  private static final byte FORMAT_VERSION = 1;

  /** A chunk record followed by the credentials it holds. */
  private static final byte CHUNK_WITH_CREDENTIALS_VERSION = 2;

  private static final String CREDENTIALS_SUFFIX = "c";
  private static final String HOUR_SUFFIX = "h";

  private final LongLongMap latest = new LongLongMap();
  // in key order (hour << 16 | chunk number within the hour): a new chunk's key is always above
  // the newest's, so chunks are added at the end and dropped from the front; each is reached by
  // reference (from its credentials, from the dirty set), never looked up by key, which in a tree
  // of boxed keys cost a cache miss or two per level
  private final ArrayDeque<Bucket> chunks = new ArrayDeque<>();
  // oldest use first
  private final LinkedHashMap<String, Credential> credentials = new LinkedHashMap<>();
  // chunks changed since the last write-back (the dirty one is re-added at nearly every event)
  private final List<Bucket> dirtyChunks = new ArrayList<>(4);
  // keys of the stored chunks dropped since the last write-back, held unboxed
  private final ChunkKeys removedChunks = new ChunkKeys();
  // the chunk that took the id of the last event recorded, null when it took none
  private Bucket lastChunk;
  // credentials in no chunk: their record changed since written; it is in the store
  private boolean unplacedDirty;
  private boolean unplacedStored;
  private long newestHour = Long.MIN_VALUE;
  private int ids;
  private long evicted;

  /** A small set of chunk keys, in the order first added. */
  private static final class ChunkKeys {
    private long[] keys = new long[4];
    private int size;

    void add(long key) {
      for (int i = size - 1; i >= 0; i--) { // the newest chunk is the one re-added
        if (keys[i] == key) {
          return;
        }
      }
      if (size == keys.length) {
        keys = Arrays.copyOf(keys, size * 2);
      }
      keys[size++] = key;
    }

    int size() {
      return size;
    }

    long get(int index) {
      return keys[index];
    }

    void clear() {
      size = 0;
    }
  }

  /**
   * A credential's latest forwarded use, and the chunk whose record holds it. A chunk lists the
   * uses themselves, so that unlisting one compares references rather than keys (each key a string
   * elsewhere in memory: a cache miss per comparison).
   */
  private static final class Credential {
    final String key;
    final long time;
    final Bucket chunk; // null: in the agent's credentials record
    byte[] form; // the key as a record lists it (ModifiedUtf8.form), once written

    Credential(String key, long time, Bucket chunk) {
      this.key = key;
      this.time = time;
      this.chunk = chunk;
    }
  }

  /** At most {@link #CHUNK} ids and their times, in arrival order. */
  private static final class Bucket {
    final long key;
    long[] hashes = new long[4];
    long[] times = new long[4];
    int size;
    long newest = Long.MIN_VALUE;
    boolean stored; // written to the store at least once: dropping it must delete it there
    List<Credential> credentials = List.of(); // the newest uses its record holds

    Bucket(long key) {
      this.key = key;
    }

    void add(long hash, long time) {
      if (size == hashes.length) {
        hashes = Arrays.copyOf(hashes, size * 2);
        times = Arrays.copyOf(times, size * 2);
      }
      hashes[size] = hash;
      times[size] = time;
      size++;
      newest = Math.max(newest, time);
    }

    long newestHour() {
      return Math.floorDiv(newest, HOUR_MS);
    }
  }

  /** True the first time {@code eventId} is seen within {@link #WINDOW_MS} of {@code atMs}. */
  public boolean firstEvent(String eventId, long atMs) {
    lastChunk = null;
    long hour = Math.floorDiv(atMs, HOUR_MS);
    if (newestHour != Long.MIN_VALUE && hour < newestHour - KEPT_HOURS) {
      return true; // older than anything kept: cannot be checked, would expire at once
    }
    long hash = hash(eventId);
    long seen = latest.get(hash);
    if (seen != LongLongMap.MISSING && Math.abs(seen - atMs) < WINDOW_MS) {
      return false;
    }
    long chunk = openChunk(hour);
    if (chunk == NO_CHUNK) {
      return true; // the hour holds all the chunks it may: not kept
    }
    if (seen == LongLongMap.MISSING || atMs > seen) {
      latest.put(hash, atMs); // only for an id held in a chunk, which takes it out when it goes
    }
    Bucket bucket = chunks.peekLast();
    if (bucket == null || bucket.key != chunk) {
      bucket = new Bucket(chunk); // openChunk names the newest chunk or a later one
      chunks.addLast(bucket);
    }
    bucket.add(hash, atMs);
    markDirty(bucket);
    lastChunk = bucket; // let go again below if the chunk is dropped
    ids++;
    if (hour > newestHour) {
      newestHour = hour;
      expireBefore(newestHour - KEPT_HOURS);
    }
    while (ids > MAX_EVENT_IDS) {
      evicted += dropOldestChunk();
    }
    return true;
  }

  /**
   * True the first time {@code key} is used within {@link #WINDOW_MS} of {@code atMs}; remembers
   * it.
   */
  public boolean firstUse(String key, long atMs) {
    Credential seen = credentials.get(key);
    if (seen != null && Math.abs(seen.time - atMs) < WINDOW_MS) {
      return false;
    }
    if (seen != null) {
      credentials.remove(key);
      detach(seen);
    }
    Credential use = new Credential(key, atMs, credentialChunk());
    credentials.put(key, use);
    attach(use);
    forgetCredentialsBefore(atMs - KEPT_CREDENTIAL_MS);
    return true;
  }

  /**
   * Drops credentials oldest first: those past the cap, and those forwarded before {@code
   * oldestKeptMs} (with a token per session, the cap alone kept 64 long-expired tokens per agent).
   */
  private void forgetCredentialsBefore(long oldestKeptMs) {
    Iterator<Map.Entry<String, Credential>> oldest = credentials.entrySet().iterator();
    while (oldest.hasNext()) {
      Map.Entry<String, Credential> entry = oldest.next();
      if (credentials.size() <= MAX_CREDENTIALS && entry.getValue().time >= oldestKeptMs) {
        break;
      }
      oldest.remove();
      detach(entry.getValue());
    }
  }

  /**
   * Where a credential used now is written: in the chunk of the event just recorded, else in the
   * newest chunk (its event was too old to be held), else in no chunk.
   */
  private Bucket credentialChunk() {
    return lastChunk != null ? lastChunk : chunks.peekLast();
  }

  private void markDirty(Bucket bucket) {
    for (int i = dirtyChunks.size() - 1; i >= 0; i--) { // the newest chunk is the one re-added
      if (dirtyChunks.get(i) == bucket) {
        return;
      }
    }
    dirtyChunks.add(bucket);
  }

  /** Lists {@code credential} where it says, to be written there at the write-back. */
  private void attach(Credential credential) {
    Bucket bucket = credential.chunk;
    if (bucket == null) {
      unplacedDirty = true;
      return;
    }
    if (bucket.credentials.isEmpty()) {
      bucket.credentials = new ArrayList<>(4);
    }
    bucket.credentials.add(credential);
    markDirty(bucket);
  }

  /**
   * Unlists {@code credential} from where it was written. A chunk is not rewritten for it: its
   * record keeps the older use until the chunk changes or goes.
   */
  private void detach(Credential credential) {
    if (credential.chunk == null) {
      unplacedDirty = true;
      return;
    }
    List<Credential> listed = credential.chunk.credentials;
    for (int i = 0; i < listed.size(); i++) {
      if (listed.get(i) == credential) {
        listed.remove(i);
        return;
      }
    }
  }

  /** Credential keys held. */
  int credentials() {
    return credentials.size();
  }

  /** Event ids held. */
  public int eventIds() {
    return ids;
  }

  /** Distinct ids looked up by hash: never more than {@link #eventIds()}. */
  int hashesHeld() {
    return latest.size();
  }

  /** Event ids let go before their time because the agent exceeded {@link #MAX_EVENT_IDS}. */
  public long evicted() {
    return evicted;
  }

  private static final long NO_CHUNK = Long.MIN_VALUE;

  /**
   * The key of the chunk that takes the next id, of an event in {@code hour}: the newest chunk
   * while it has room and the hour is within its span, else a new one named after the later of the
   * hour and the newest chunk's; {@link #NO_CHUNK} when that name's chunk numbers ran out.
   */
  private long openChunk(long hour) {
    Bucket last = chunks.peekLast();
    if (last == null) {
      return hour << 16;
    }
    long lastHour = last.key >> 16;
    if (last.size < CHUNK && hour < lastHour + CHUNK_SPAN_HOURS) {
      return last.key;
    }
    if (hour > lastHour) {
      return hour << 16;
    }
    long number = (last.key & (MAX_CHUNKS_PER_HOUR - 1)) + 1;
    return number < MAX_CHUNKS_PER_HOUR ? (lastHour << 16) | number : NO_CHUNK;
  }

  /** Drops the oldest chunks while their newest id is of an hour before {@code hour}. */
  private void expireBefore(long hour) {
    while (!chunks.isEmpty() && chunks.peekFirst().newestHour() < hour) {
      dropOldestChunk();
    }
  }

  /** Drops the oldest chunk; returns how many ids it held. */
  private int dropOldestChunk() {
    Bucket bucket = chunks.pollFirst();
    for (int i = 0; i < bucket.size; i++) {
      if (latest.get(bucket.hashes[i]) == bucket.times[i]) {
        latest.remove(bucket.hashes[i]);
      }
    }
    ids -= bucket.size;
    for (Credential credential : bucket.credentials) {
      credentials.remove(credential.key);
    }
    if (lastChunk == bucket) {
      lastChunk = null;
    }
    dirtyChunks.remove(bucket);
    if (bucket.stored) {
      removedChunks.add(bucket.key);
    }
    return bucket.size;
  }

  private static long hash(String id) {
    long h = 0xcbf29ce484222325L; // FNV-1a over UTF-16 units, then a murmur3 finaliser
    for (int i = 0; i < id.length(); i++) {
      h = (h ^ id.charAt(i)) * 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    return h ^ (h >>> 33);
  }

  // ---- persistence ----

  /**
   * A chunk's ids (version 1), followed by its credentials as the credentials record lists them
   * when it holds any (version 2): a chunk without credentials reads as before they were added.
   */
  private static byte[] encodeChunk(Bucket bucket) {
    ByteBuffer out = ByteBuffer.allocate(1 + 5 + bucket.size * (8 + 10));
    out.put(bucket.credentials.isEmpty() ? FORMAT_VERSION : CHUNK_WITH_CREDENTIALS_VERSION);
    putVarLong(out, bucket.size);
    long start = (bucket.key >> 16) * HOUR_MS;
    for (int i = 0; i < bucket.size; i++) {
      out.putLong(bucket.hashes[i]);
      putVarLong(out, bucket.times[i] - start);
    }
    if (bucket.credentials.isEmpty()) {
      return Arrays.copyOf(out.array(), out.position());
    }
    return withCredentials(out, bucket.credentials);
  }

  private void decodeChunk(long chunk, byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    byte version = in.get();
    if (version != FORMAT_VERSION && version != CHUNK_WITH_CREDENTIALS_VERSION) {
      throw new IllegalArgumentException("unknown sightings chunk version " + version);
    }
    int n = Math.toIntExact(getVarLong(in));
    if (n < 0 || n > CHUNK) {
      throw new IllegalArgumentException("bad sightings chunk: " + n + " ids");
    }
    Bucket bucket = new Bucket(chunk);
    long hour = chunk >> 16;
    long start = hour * HOUR_MS;
    for (int i = 0; i < n; i++) {
      long hash = in.getLong();
      long time = start + getVarLong(in);
      bucket.add(hash, time);
      long seen = latest.get(hash);
      if (seen == LongLongMap.MISSING || time > seen) {
        latest.put(hash, time);
      }
    }
    bucket.stored = true;
    chunks.addLast(bucket); // in the store's order: put in key order when the load ends
    ids += n;
    if (n > 0) {
      newestHour = Math.max(newestHour, bucket.newestHour());
    }
    if (version == CHUNK_WITH_CREDENTIALS_VERSION) {
      readCredentials(bytes, in.position(), bucket);
    }
  }

  /** After a load: the chunks, read in the store's order, put in key order. */
  private void sortChunks() {
    Bucket[] read = chunks.toArray(new Bucket[0]);
    Arrays.sort(read, Comparator.comparingLong(bucket -> bucket.key));
    chunks.clear();
    chunks.addAll(Arrays.asList(read));
  }

  private static String chunkSuffix(long chunk) {
    return HOUR_SUFFIX + (chunk >> 16) + '.' + (chunk & (MAX_CHUNKS_PER_HOUR - 1));
  }

  private static long chunkOf(String suffix) {
    int dot = suffix.indexOf('.');
    long hour = Long.parseLong(suffix.substring(HOUR_SUFFIX.length(), dot));
    long number = Long.parseLong(suffix.substring(dot + 1));
    if (number < 0 || number >= MAX_CHUNKS_PER_HOUR) {
      throw new IllegalArgumentException("bad sightings chunk number " + number);
    }
    return (hour << 16) | number;
  }

  /** The credentials in no chunk, oldest use first. */
  private List<Credential> unplacedCredentials() {
    List<Credential> unplaced = new ArrayList<>();
    for (Credential credential : credentials.values()) {
      if (credential.chunk == null) {
        unplaced.add(credential);
      }
    }
    return unplaced;
  }

  /** The record of the credentials in no chunk: a version byte, then as a chunk lists them. */
  private static byte[] encodeUnplacedCredentials(List<Credential> unplaced) {
    return withCredentials(ByteBuffer.allocate(1).put(FORMAT_VERSION), unplaced);
  }

  /**
   * The bytes {@code head} holds so far, then the credentials: a count, then each key (modified
   * UTF-8, as {@code writeUTF} writes it) and its latest use.
   */
  private static byte[] withCredentials(ByteBuffer head, List<Credential> listed) {
    int size = head.position() + Short.BYTES;
    for (int i = 0; i < listed.size(); i++) {
      Credential credential = listed.get(i);
      if (credential.form == null) {
        credential.form =
            ModifiedUtf8.form(credential.key); // contract-bounded: 4,096 chars at most
      }
      size += credential.form.length + Long.BYTES;
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    out.put(head.array(), 0, head.position());
    out.putShort((short) listed.size());
    for (Credential credential : listed) {
      out.put(credential.form);
      out.putLong(credential.time);
    }
    return out.array();
  }

  /**
   * Reads the credentials listed from {@code offset} of {@code bytes} as written in {@code chunk}
   * (null: the credentials record); of a key read twice, the later use stays.
   */
  private void readCredentials(byte[] bytes, int offset, Bucket chunk) {
    try (DataInputStream in =
        new DataInputStream(new ByteArrayInputStream(bytes, offset, bytes.length - offset))) {
      int n = in.readShort();
      if (n < 0 || n > MAX_CREDENTIALS) {
        throw new IllegalArgumentException("bad sightings credentials: " + n + " keys");
      }
      for (int i = 0; i < n; i++) {
        String key = in.readUTF();
        long time = in.readLong();
        Credential known = credentials.get(key);
        if (known != null && known.time >= time) {
          continue;
        }
        if (known != null) {
          detach(known);
        }
        Credential credential = new Credential(key, time, chunk);
        credentials.put(key, credential);
        attach(credential);
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("truncated sightings credentials", e);
    }
  }

  /**
   * After a load: credentials oldest use first, the cap and the age applied again from the newest
   * use, and those in no chunk taken into the newest chunk, if there is one.
   */
  private void settleLoadedCredentials() {
    if (credentials.isEmpty()) {
      return;
    }
    List<Map.Entry<String, Credential>> byTime = new ArrayList<>(credentials.size());
    credentials.forEach((key, credential) -> byTime.add(Map.entry(key, credential)));
    byTime.sort(Comparator.comparingLong(e -> e.getValue().time));
    credentials.clear();
    byTime.forEach(e -> credentials.put(e.getKey(), e.getValue()));
    forgetCredentialsBefore(byTime.get(byTime.size() - 1).getValue().time - KEPT_CREDENTIAL_MS);
    if (!chunks.isEmpty()) {
      Bucket newest = chunks.peekLast();
      for (Map.Entry<String, Credential> entry : credentials.entrySet()) {
        if (entry.getValue().chunk == null) {
          detach(entry.getValue());
          Credential moved = new Credential(entry.getKey(), entry.getValue().time, newest);
          moved.form = entry.getValue().form;
          entry.setValue(moved);
          attach(moved);
        }
      }
    }
  }

  private static void checkVersion(byte version) {
    if (version != FORMAT_VERSION) {
      throw new IllegalArgumentException("unknown sightings format version " + version);
    }
  }

  private static void putVarLong(ByteBuffer out, long value) {
    long v = (value << 1) ^ (value >> 63); // zig-zag
    while ((v & ~0x7FL) != 0) {
      out.put((byte) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.put((byte) v);
  }

  private static long getVarLong(ByteBuffer in) {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = in.get();
      v |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return (v >>> 1) ^ -(v & 1);
      }
    }
    throw new IllegalArgumentException("bad varint in sightings");
  }

  /**
   * Where sightings live: {@code <agent>\u0000h<hour>.<chunk>} per chunk, with the credentials
   * written in it, and {@code <agent>\u0000c} for credentials in no chunk, in {@code store}. Only
   * changed chunks are written back.
   */
  public static WriteBackCacheStore.Backing<AgentSightings> backing(
      KeyValueStore<String, byte[]> store) {
    return new WriteBackCacheStore.Backing<>() {
      @Override
      public AgentSightings load(String agentId) {
        AgentSightings sightings = new AgentSightings();
        boolean found =
            AgentKeyedStores.readAll(
                store,
                agentId,
                "sightings",
                (suffix, value) -> {
                  if (suffix.equals(CREDENTIALS_SUFFIX)) {
                    checkVersion(value[0]);
                    sightings.readCredentials(value, 1, null);
                    sightings.unplacedStored = true;
                  } else if (suffix.startsWith(HOUR_SUFFIX)) {
                    sightings.decodeChunk(chunkOf(suffix), value);
                  }
                });
        if (!found) {
          return null;
        }
        sightings.sortChunks();
        if (sightings.newestHour != Long.MIN_VALUE) {
          sightings.expireBefore(sightings.newestHour - KEPT_HOURS);
        }
        while (sightings.ids > MAX_EVENT_IDS) {
          sightings.dropOldestChunk();
        }
        // what expired while loading is deleted at the next write-back
        sightings.dirtyChunks.clear();
        sightings.unplacedDirty = false;
        sightings.settleLoadedCredentials();
        return sightings;
      }

      @Override
      public void store(String agentId, AgentSightings sightings) {
        String prefix = AgentKeyedStores.prefix(agentId);
        for (int i = 0; i < sightings.removedChunks.size(); i++) {
          AgentKeyedStores.remove(store, prefix + chunkSuffix(sightings.removedChunks.get(i)));
        }
        for (Bucket chunk : sightings.dirtyChunks) {
          store.put(prefix + chunkSuffix(chunk.key), encodeChunk(chunk));
          chunk.stored = true;
        }
        List<Credential> unplaced =
            sightings.unplacedDirty ? sightings.unplacedCredentials() : List.of();
        if (!unplaced.isEmpty()) {
          store.put(prefix + CREDENTIALS_SUFFIX, encodeUnplacedCredentials(unplaced));
          sightings.unplacedStored = true;
        } else if (sightings.unplacedDirty && sightings.unplacedStored) {
          AgentKeyedStores.remove(store, prefix + CREDENTIALS_SUFFIX);
          sightings.unplacedStored = false;
        }
        sightings.removedChunks.clear();
        sightings.dirtyChunks.clear();
        sightings.unplacedDirty = false;
      }

      @Override
      public void delete(String agentId) {
        AgentKeyedStores.deleteAll(store, agentId);
      }
    };
  }
}
