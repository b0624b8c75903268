package dev.chaperone.streams.fleet;

import dev.chaperone.streams.state.ModifiedUtf8;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
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
  private final List<String> tools;
  private final List<String> tokenIds;

  private ObservedAgent(
      long firstSeenMs, long lastSeenMs, long events, List<String> tools, List<String> tokenIds) {
    this.firstSeenMs = firstSeenMs;
    this.lastSeenMs = lastSeenMs;
    this.events = events;
    this.tools = tools;
    this.tokenIds = tokenIds;
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
    remember(tools, tool, MAX_TOOLS);
    remember(tokenIds, tokenId, MAX_TOKENS);
  }

  private static void remember(List<String> values, String value, int cap) {
    // the newest first: a session repeats its token and often its tool, and token ids of one
    // agent share long prefixes that make every other comparison slow
    if (value == null
        || (!values.isEmpty() && values.get(values.size() - 1).equals(value))
        || values.contains(value)) {
      return;
    }
    if (values.size() == cap) {
      values.remove(0);
    }
    values.add(value);
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
    return Collections.unmodifiableList(tools);
  }

  public List<String> tokenIds() {
    return Collections.unmodifiableList(tokenIds);
  }

  /** Compact binary form for the state store, led by a format version byte. */
  public byte[] encode() {
    ByteArrayOutputStream bytes =
        new ByteArrayOutputStream(64 + 24 * (tools.size() + tokenIds.size()));
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(FORMAT_VERSION);
      out.writeLong(firstSeenMs);
      out.writeLong(lastSeenMs);
      out.writeLong(events);
      writeList(out, tools);
      writeList(out, tokenIds);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode observed agent", e);
    }
    return bytes.toByteArray();
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

  private static void writeList(DataOutputStream out, List<String> values) throws IOException {
    out.writeShort(values.size());
    for (String value : values) {
      ModifiedUtf8.write(out, value.length() > 1024 ? value.substring(0, 1024) : value);
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
