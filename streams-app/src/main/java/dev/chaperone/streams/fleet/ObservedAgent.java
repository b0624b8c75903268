package dev.chaperone.streams.fleet;

import dev.chaperone.streams.state.ModifiedUtf8;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * What the fleet inventory knows of one agent from its traffic alone: first and last seen (event
 * time), how many actions, the tools and credentials (token ids only) it used. Bounded: at most
 * {@link #MAX_TOOLS} tools and {@link #MAX_TOKENS} token ids are kept, oldest first out, so one
 * agent's entry stays small whatever it does.
 */
public final class ObservedAgent {

  public static final int MAX_TOOLS = 64;
  public static final int MAX_TOKENS = 16;
  private static final byte FORMAT_VERSION = 1;

  private long firstSeenMs;
  private long lastSeenMs;
  private long events;
  private final Remembered tools;
  private final Remembered tokenIds;

  private ObservedAgent(
      long firstSeenMs, long lastSeenMs, long events, List<String> tools, List<String> tokenIds) {
    this.firstSeenMs = firstSeenMs;
    this.lastSeenMs = lastSeenMs;
    this.events = events;
    this.tools = new Remembered(tools, MAX_TOOLS);
    this.tokenIds = new Remembered(tokenIds, MAX_TOKENS);
  }

  /**
   * Values in the order first seen, at most {@code cap}, the oldest first out; with their hashes,
   * so that a lookup compares strings only on a matching hash (token ids of one agent share long
   * prefixes), and each value's stored form, made once: an entry is encoded at every commit that
   * saw its agent, and a new session's token changes its list nearly every time, so the list is put
   * together from the forms rather than encoded string by string.
   */
  private static final class Remembered {
    final List<String> values;
    final int cap;
    int[] hashes;
    // forms[i] is values.get(i) as stored (ModifiedUtf8.form), null until first encoded
    byte[][] forms;

    Remembered(List<String> values, int cap) {
      this.values = values;
      this.cap = cap;
      this.hashes = new int[Math.max(4, values.size())];
      this.forms = new byte[hashes.length][];
      for (int i = 0; i < values.size(); i++) {
        hashes[i] = values.get(i).hashCode();
      }
    }

    void remember(String value) {
      if (value == null) {
        return;
      }
      int size = values.size();
      int hash = value.hashCode();
      // the newest first: a session repeats its token and often its tool
      for (int i = size - 1; i >= 0; i--) {
        if (hashes[i] == hash && values.get(i).equals(value)) {
          return;
        }
      }
      if (size == cap) {
        values.remove(0);
        System.arraycopy(hashes, 1, hashes, 0, size - 1);
        System.arraycopy(forms, 1, forms, 0, size - 1);
        size--;
      } else if (size == hashes.length) {
        hashes = Arrays.copyOf(hashes, Math.min(cap, size * 2));
        forms = Arrays.copyOf(forms, hashes.length);
      }
      values.add(value);
      hashes[size] = hash;
      forms[size] = null;
    }

    /** Bytes {@link #writeTo} writes; makes the forms not made yet. */
    int encodedSize() {
      int size = 2;
      for (int i = 0; i < values.size(); i++) {
        if (forms[i] == null) {
          String value = values.get(i);
          forms[i] = ModifiedUtf8.form(value.length() > 1024 ? value.substring(0, 1024) : value);
        }
        size += forms[i].length;
      }
      return size;
    }

    /** The list as {@link #readList} reads it, after {@link #encodedSize}. */
    void writeTo(ByteBuffer out) {
      out.putShort((short) values.size());
      for (int i = 0; i < values.size(); i++) {
        out.put(forms[i]);
      }
    }
  }

  /** An agent first seen at {@code occurredAtMs}, with no actions counted yet. */
  public static ObservedAgent firstSeen(long occurredAtMs) {
    return new ObservedAgent(occurredAtMs, occurredAtMs, 0, new ArrayList<>(), new ArrayList<>());
  }

  /** Records one action. */
  public void accept(long occurredAtMs, String tool, String tokenId) {
    events++;
    firstSeenMs = Math.min(firstSeenMs, occurredAtMs);
    lastSeenMs = Math.max(lastSeenMs, occurredAtMs);
    tools.remember(tool);
    tokenIds.remember(tokenId);
  }

  public long firstSeenMs() {
    return firstSeenMs;
  }

  public long lastSeenMs() {
    return lastSeenMs;
  }

  public long events() {
    return events;
  }

  public List<String> tools() {
    return Collections.unmodifiableList(tools.values);
  }

  public List<String> tokenIds() {
    return Collections.unmodifiableList(tokenIds.values);
  }

  /** Compact binary form for the state store, led by a format version byte. */
  public byte[] encode() {
    ByteBuffer out = // big-endian, as DataInput reads it back
        ByteBuffer.allocate(1 + 3 * Long.BYTES + tools.encodedSize() + tokenIds.encodedSize());
    out.put(FORMAT_VERSION);
    out.putLong(firstSeenMs);
    out.putLong(lastSeenMs);
    out.putLong(events);
    tools.writeTo(out);
    tokenIds.writeTo(out);
    return out.array();
  }

  /** Decodes {@link #encode()}'s output. */
  public static ObservedAgent decode(byte[] data) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
      byte version = in.readByte();
      if (version != FORMAT_VERSION) {
        throw new IllegalArgumentException("unknown observed-agent format version " + version);
      }
      return new ObservedAgent(
          in.readLong(),
          in.readLong(),
          in.readLong(),
          readList(in, MAX_TOOLS),
          readList(in, MAX_TOKENS));
    } catch (IOException e) {
      throw new IllegalArgumentException("corrupt observed-agent bytes: " + e.getMessage(), e);
    }
  }

  private static List<String> readList(DataInputStream in, int cap) throws IOException {
    int size = in.readUnsignedShort();
    if (size > cap) {
      throw new IOException("list of " + size + " entries exceeds its cap of " + cap);
    }
    List<String> values = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      values.add(in.readUTF());
    }
    return values;
  }
}
