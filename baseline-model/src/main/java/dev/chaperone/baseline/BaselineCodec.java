package dev.chaperone.baseline;

import dev.chaperone.baseline.internal.DayBucket;
import dev.chaperone.baseline.internal.Feature;
import dev.chaperone.baseline.internal.IntIntMap;
import dev.chaperone.baseline.internal.Moments;
import dev.chaperone.baseline.internal.TailCalibrator;
import dev.chaperone.baseline.internal.Varint;
import java.util.Map;

/**
 * The compact, versioned binary form of a {@link Baseline} for the state store. The first byte is
 * the format version; every older version keeps decoding. Deterministic: equal baselines encode to
 * equal bytes (dictionary and maps are written sorted by id). Thread-safe (stateless).
 *
 * <p>Version 1 layout: version, window days, next key sequence; the dictionary (id delta, 32-bit
 * hash, window count, name) sorted by id; event totals and active-hour moments; 168 hour-of-week
 * counts; the recent-days counts; the open day and each closed day as {@link DayBucket} encodings;
 * calibration moments; sessions in progress; the rate tracker; the quarantine.
 */
public final class BaselineCodec {

  /** The version {@link #encode} writes. */
  public static final int CURRENT_VERSION = 1;

  private BaselineCodec() {}

  public static byte[] encode(Baseline b) {
    Varint.Writer out =
        new Varint.Writer((int) Math.min(Integer.MAX_VALUE - 16, b.estimatedBytes()));
    out.writeByte(CURRENT_VERSION);
    out.writeVarInt(b.config.windowDays());
    out.writeVarInt(b.nextSeq);

    out.writeVarInt(b.keys.size());
    int[] previous = {0};
    b.keys.forEach(
        (id, hash, keyName) -> {
          out.writeVarInt(id - previous[0]);
          previous[0] = id;
          out.writeInt4((int) hash);
          out.writeVarInt(b.totals.get(id));
          if (keyName == null) {
            out.writeVarInt(0);
          } else {
            byte[] name = keyName.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            out.writeVarInt(name.length + 1);
            out.writeBytes(name);
          }
        });

    out.writeVarLong(b.events).writeVarLong(b.recentEvents);
    out.writeVarLong(b.activeHours).writeVarLong(b.hourSum).writeVarLong(b.hourSumSq);
    for (long h : b.hourOfWeek) {
      out.writeVarLong(h);
    }
    writeCounts(out, b.recent);

    if (b.open == null) {
      out.writeByte(0);
    } else {
      out.writeByte(1);
      byte[] open = b.open.encode();
      out.writeVarInt(open.length).writeBytes(open);
    }
    out.writeVarInt(b.closed.size());
    for (byte[] day : b.closed.values()) {
      out.writeVarInt(day.length).writeBytes(day);
    }

    for (TailCalibrator c : b.calibration) {
      c.write(out);
    }
    for (Moments m : b.moments) {
      out.writeDouble(m.weight()).writeDouble(m.mean()).writeDouble(m.m2());
    }

    out.writeVarInt(b.sessions.size());
    for (Map.Entry<String, Baseline.SessionState> e : b.sessions.entrySet()) {
      Baseline.SessionState s = e.getValue();
      out.writeString(e.getKey());
      writeNullable(out, s.lastTool);
      out.writeVarInt(s.position)
          .writeDouble(s.sumZ)
          .writeVarInt(s.scored)
          .writeSignedVarLong(s.lastSeenMs);
    }
    out.writeSignedVarLong(b.rateHour).writeVarInt(b.rateCount);

    out.writeVarInt(b.quarantine.size());
    for (Baseline.Quarantined q : b.quarantine) {
      Observation o = q.observation();
      out.writeString(q.eventId()).writeVarLong(o.timestampMs());
      writeNullable(out, o.sessionId());
      out.writeString(o.actionType()).writeString(o.tool());
      writeNullable(out, o.resource());
      writeNullable(out, o.channel());
      writeNullable(out, o.contentClass());
    }
    return out.toByteArray();
  }

  /**
   * Decodes {@code bytes} into a baseline governed by {@code config}. When {@code config} asks for
   * another window length than the encoded one, the window is resized (growing keeps every day).
   *
   * @throws IllegalArgumentException for bytes that are not an encoded baseline, naming the problem
   */
  public static Baseline decode(byte[] bytes, BaselineConfig config) {
    if (bytes == null || bytes.length == 0) {
      throw new IllegalArgumentException("empty baseline bytes");
    }
    int version = bytes[0] & 0xFF;
    if (version != 1) {
      throw new IllegalArgumentException(
          "unknown baseline format version "
              + version
              + " (this build reads 1 to "
              + CURRENT_VERSION
              + ")");
    }
    return decodeV1(new Varint.Reader(bytes, 1, bytes.length), config);
  }

  private static Baseline decodeV1(Varint.Reader in, BaselineConfig config) {
    int windowDays = in.readVarInt();
    int nextSeq = in.readVarInt();
    int keys = in.readVarInt();
    Baseline b = new Baseline(config.withWindowDays(windowDays), keys);
    b.nextSeq = nextSeq;
    int id = 0;
    for (int i = 0; i < keys; i++) {
      id += in.readVarInt();
      long hash = in.readInt4() & 0xFFFF_FFFFL;
      int count = in.readVarInt();
      int nameLength = in.readVarInt();
      String name = nameLength == 0 ? null : in.readUtf8(nameLength - 1);
      Feature feature = Feature.of(id);
      b.idByHash.put(hash, id);
      b.keys.put(id, hash, name);
      b.totals.add(id, count);
      b.featureTotal[feature.ordinal()] += count;
      b.featureDistinct[feature.ordinal()]++;
      b.nameBytes += name == null ? 0 : name.length();
    }

    b.events = in.readVarLong();
    b.recentEvents = in.readVarLong();
    b.activeHours = in.readVarLong();
    b.hourSum = in.readVarLong();
    b.hourSumSq = in.readVarLong();
    for (int h = 0; h < 168; h++) {
      b.hourOfWeek[h] = in.readVarLong();
    }
    readCounts(in, b.recent);

    if (in.readByte() == 1) {
      b.open = DayBucket.decode(in.readBytes(in.readVarInt()));
    }
    int closedDays = in.readVarInt();
    for (int i = 0; i < closedDays; i++) {
      byte[] day = in.readBytes(in.readVarInt());
      b.closed.put(DayBucket.dayOf(day), day);
      b.closedBytes += day.length;
    }

    for (TailCalibrator c : b.calibration) {
      c.read(in);
    }
    for (int i = 0; i < b.moments.length; i++) {
      b.moments[i] = new Moments(in.readDouble(), in.readDouble(), in.readDouble());
    }

    int sessions = in.readVarInt();
    for (int i = 0; i < sessions; i++) {
      String sessionId = in.readString();
      Baseline.SessionState s = new Baseline.SessionState();
      s.lastTool = readNullable(in);
      s.position = in.readVarInt();
      s.sumZ = in.readDouble();
      s.scored = in.readVarInt();
      s.lastSeenMs = in.readSignedVarLong();
      b.sessions.put(sessionId, s);
    }
    b.rateHour = in.readSignedVarLong();
    b.rateCount = in.readVarInt();

    int quarantined = in.readVarInt();
    for (int i = 0; i < quarantined; i++) {
      String eventId = in.readString();
      long timestamp = in.readVarLong();
      String session = readNullable(in);
      String actionType = in.readString();
      String tool = in.readString();
      String resource = readNullable(in);
      String channel = readNullable(in);
      String content = readNullable(in);
      b.holdQuarantined(
          new Baseline.Quarantined(
              eventId,
              new Observation(timestamp, session, actionType, tool, resource, channel, content)));
    }
    if (!in.atEnd()) {
      throw new IllegalArgumentException(
          "trailing bytes after a version 1 baseline at offset " + in.position());
    }
    if (config.windowDays() != windowDays) {
      b.resizeWindow(config.windowDays());
    }
    b.config = config;
    return b;
  }

  private static void writeCounts(Varint.Writer out, IntIntMap counts) {
    int[] ids = counts.sortedKeys();
    out.writeVarInt(ids.length);
    int previous = 0;
    for (int id : ids) {
      out.writeVarInt(id - previous).writeVarInt(counts.get(id));
      previous = id;
    }
  }

  private static void readCounts(Varint.Reader in, IntIntMap counts) {
    int n = in.readVarInt();
    counts.ensureCapacity(n);
    int id = 0;
    for (int i = 0; i < n; i++) {
      id += in.readVarInt();
      counts.add(id, in.readVarInt());
    }
  }

  private static void writeNullable(Varint.Writer out, String s) {
    if (s == null) {
      out.writeByte(0);
    } else {
      out.writeByte(1).writeString(s);
    }
  }

  private static String readNullable(Varint.Reader in) {
    return in.readByte() == 0 ? null : in.readString();
  }
}
