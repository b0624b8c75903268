package dev.chaperone.streams.state;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
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
 * <p>Persistence: {@link #backing} keeps one record per chunk and one for the credentials in a
 * key-value store, under the agent id, a NUL and a suffix; a write-back writes only the chunks
 * changed since the last one (full chunks are never rewritten), so a commit costs at most about a
 * kilobyte per active agent whatever its rate or history. Not thread-safe.
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
  private static final String CREDENTIALS_SUFFIX = "c";
  private static final String HOUR_SUFFIX = "h";

  private final LongLongMap latest = new LongLongMap();
  // chunk key: hour << 16 | chunk number within the hour
  private final TreeMap<Long, Bucket> chunks = new TreeMap<>();
  private final LinkedHashMap<String, Long> credentials = new LinkedHashMap<>();
  // chunks changed and chunks dropped since the last write-back: a few keys, held unboxed (the
  // dirty one is re-added at nearly every event)
  private final ChunkKeys dirtyChunks = new ChunkKeys();
  private final ChunkKeys removedChunks = new ChunkKeys();
  private boolean credentialsDirty;
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

    void remove(long key) {
      for (int i = 0; i < size; i++) {
        if (keys[i] == key) {
          System.arraycopy(keys, i + 1, keys, i, size - i - 1);
          size--;
          return;
        }
      }
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

  /** At most {@link #CHUNK} ids and their times, in arrival order. */
  private static final class Bucket {
    long[] hashes = new long[4];
    long[] times = new long[4];
    int size;
    long newest = Long.MIN_VALUE;
    boolean stored; // written to the store at least once: dropping it must delete it there

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
    chunks.computeIfAbsent(chunk, c -> new Bucket()).add(hash, atMs);
    dirtyChunks.add(chunk);
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
    Long seen = credentials.get(key);
    if (seen != null && Math.abs(seen - atMs) < WINDOW_MS) {
      return false;
    }
    credentials.remove(key);
    credentials.put(key, atMs);
    // Oldest first: those past the cap, and those forwarded more than a window and a day of
    // lateness before this use (with a token per session, the cap alone kept 64 long-expired
    // tokens per agent, rewritten at every commit that saw a new session).
    Iterator<Long> oldest = credentials.values().iterator();
    while (oldest.hasNext()) {
      long forwarded = oldest.next();
      if (credentials.size() <= MAX_CREDENTIALS && forwarded >= atMs - KEPT_CREDENTIAL_MS) {
        break;
      }
      oldest.remove();
    }
    credentialsDirty = true;
    return true;
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
    Map.Entry<Long, Bucket> last = chunks.lastEntry();
    if (last == null) {
      return hour << 16;
    }
    long lastHour = last.getKey() >> 16;
    if (last.getValue().size < CHUNK && hour < lastHour + CHUNK_SPAN_HOURS) {
      return last.getKey();
    }
    if (hour > lastHour) {
      return hour << 16;
    }
    long number = (last.getKey() & (MAX_CHUNKS_PER_HOUR - 1)) + 1;
    return number < MAX_CHUNKS_PER_HOUR ? (lastHour << 16) | number : NO_CHUNK;
  }

  /** Drops the oldest chunks while their newest id is of an hour before {@code hour}. */
  private void expireBefore(long hour) {
    while (!chunks.isEmpty() && chunks.firstEntry().getValue().newestHour() < hour) {
      dropOldestChunk();
    }
  }

  /** Drops the oldest chunk; returns how many ids it held. */
  private int dropOldestChunk() {
    Map.Entry<Long, Bucket> oldest = chunks.pollFirstEntry();
    Bucket bucket = oldest.getValue();
    for (int i = 0; i < bucket.size; i++) {
      if (latest.get(bucket.hashes[i]) == bucket.times[i]) {
        latest.remove(bucket.hashes[i]);
      }
    }
    ids -= bucket.size;
    dirtyChunks.remove(oldest.getKey());
    if (bucket.stored) {
      removedChunks.add(oldest.getKey());
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

  private byte[] encodeChunk(long chunk) {
    Bucket bucket = chunks.get(chunk);
    ByteBuffer out = ByteBuffer.allocate(1 + 5 + bucket.size * (8 + 10));
    out.put(FORMAT_VERSION);
    putVarLong(out, bucket.size);
    long start = (chunk >> 16) * HOUR_MS;
    for (int i = 0; i < bucket.size; i++) {
      out.putLong(bucket.hashes[i]);
      putVarLong(out, bucket.times[i] - start);
    }
    return Arrays.copyOf(out.array(), out.position());
  }

  private void decodeChunk(long chunk, byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    checkVersion(in.get());
    int n = Math.toIntExact(getVarLong(in));
    if (n < 0 || n > CHUNK) {
      throw new IllegalArgumentException("bad sightings chunk: " + n + " ids");
    }
    Bucket bucket = new Bucket();
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
    chunks.put(chunk, bucket);
    ids += n;
    if (n > 0) {
      newestHour = Math.max(newestHour, bucket.newestHour());
    }
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

  private byte[] encodeCredentials() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + credentials.size() * 48);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(FORMAT_VERSION);
      out.writeShort(credentials.size());
      for (Map.Entry<String, Long> e : credentials.entrySet()) {
        ModifiedUtf8.write(out, e.getKey()); // contract-bounded: at most 4,096 chars
        out.writeLong(e.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // in memory: cannot happen
    }
    return bytes.toByteArray();
  }

  private void decodeCredentials(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      checkVersion(in.readByte());
      int n = in.readShort();
      if (n < 0 || n > MAX_CREDENTIALS) {
        throw new IllegalArgumentException("bad sightings credentials: " + n + " keys");
      }
      for (int i = 0; i < n; i++) {
        credentials.put(in.readUTF(), in.readLong());
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("truncated sightings credentials", e);
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
   * Where sightings live: {@code <agent>\u0000h<hour>.<chunk>} per chunk and {@code <agent>\u0000c}
   * for the credentials, in {@code store}. Only changed chunks are written back.
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
                    sightings.decodeCredentials(value);
                  } else if (suffix.startsWith(HOUR_SUFFIX)) {
                    sightings.decodeChunk(chunkOf(suffix), value);
                  }
                });
        if (!found) {
          return null;
        }
        if (sightings.newestHour != Long.MIN_VALUE) {
          sightings.expireBefore(sightings.newestHour - KEPT_HOURS);
        }
        while (sightings.ids > MAX_EVENT_IDS) {
          sightings.dropOldestChunk();
        }
        // what expired while loading is deleted at the next write-back
        sightings.dirtyChunks.clear();
        return sightings;
      }

      @Override
      public void store(String agentId, AgentSightings sightings) {
        String prefix = AgentKeyedStores.prefix(agentId);
        for (int i = 0; i < sightings.removedChunks.size(); i++) {
          AgentKeyedStores.remove(store, prefix + chunkSuffix(sightings.removedChunks.get(i)));
        }
        for (int i = 0; i < sightings.dirtyChunks.size(); i++) {
          long chunk = sightings.dirtyChunks.get(i);
          store.put(prefix + chunkSuffix(chunk), sightings.encodeChunk(chunk));
          sightings.chunks.get(chunk).stored = true;
        }
        if (sightings.credentialsDirty) {
          store.put(prefix + CREDENTIALS_SUFFIX, sightings.encodeCredentials());
        }
        sightings.removedChunks.clear();
        sightings.dirtyChunks.clear();
        sightings.credentialsDirty = false;
      }

      @Override
      public void delete(String agentId) {
        AgentKeyedStores.deleteAll(store, agentId);
      }
    };
  }
}
