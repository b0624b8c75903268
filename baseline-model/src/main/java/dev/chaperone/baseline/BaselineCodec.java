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
  public static final int CURRENT_VERSION = 2;

  /**
   * The leading byte of a version 1 <em>head</em>: everything but the closed days' buckets, which a
   * store keeps apart under their own keys ({@link #encodeHead}).
   */
  public static final int HEAD_VERSION = 0x82;

  /** Heads written before the session calibration (version 1's layout, days apart). */
  static final int HEAD_VERSION_1 = 0x81;

  /**
   * Whether {@code bytes} are a baseline head (of any version), to decode with {@link #decodeHead}.
   */
  public static boolean isHead(byte[] bytes) {
    int version = bytes == null || bytes.length == 0 ? -1 : bytes[0] & 0xFF;
    return version == HEAD_VERSION || version == HEAD_VERSION_1;
  }

  private BaselineCodec() {}

  public static byte[] encode(Baseline b) {
    return write(b, true);
  }

  /**
   * The head of a baseline: the whole encoding but for the closed days' buckets, of which only the
   * day numbers are written. A state store keeps the head under the agent's key and each closed day
   * under its own key, written once when the day closes: a commit then rewrites the head only.
   */
  public static byte[] encodeHead(Baseline b) {
    return write(b, false);
  }

  private static byte[] write(Baseline b, boolean withDays) {
    Varint.Writer out =
        new Varint.Writer((int) Math.min(Integer.MAX_VALUE - 16, b.estimatedBytes()));
    out.writeByte(withDays ? CURRENT_VERSION : HEAD_VERSION);
    out.writeVarInt(b.config.windowDays());
    out.writeVarInt(b.nextSeq);

    out.writeVarInt(b.keys.size());
    int[] previous = {0};
    b.keys.forEach(
        (id, hash, keyName) -> {
          out.writeVarInt(id - previous[0]);
          previous[0] = id;
          out.writeInt4((int) hash);
          out.writeVarInt(b.index.countOf(hash));
          if (keyName == null) {
            out.writeVarInt(0);
          } else {
            out.writeVarInt(keyName.length + 1);
            out.writeBytes(keyName);
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
    long previousDay = 0;
    for (Map.Entry<Long, byte[]> day : b.closed.entrySet()) {
      if (withDays) {
        out.writeVarInt(day.getValue().length).writeBytes(day.getValue());
      } else {
        out.writeSignedVarLong(day.getKey() - previousDay);
        previousDay = day.getKey();
      }
    }

    for (TailCalibrator c : b.calibration) {
      c.write(out);
    }
    for (Moments m : b.moments) {
      out.writeDouble(m.weight()).writeDouble(m.mean()).writeDouble(m.m2());
    }
    b.sessionCalibration.write(out);

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
    if (version == HEAD_VERSION || version == HEAD_VERSION_1) {
      throw new IllegalArgumentException(
          "these bytes are a baseline head: decode them with decodeHead and the closed days");
    }
    if (version != 1 && version != 2) {
      throw new IllegalArgumentException(
          "unknown baseline format version "
              + version
              + " (this build reads 1 to "
              + CURRENT_VERSION
              + ")");
    }
    return decodeBody(new Varint.Reader(bytes, 1, bytes.length), config, null, version >= 2);
  }

  /**
   * Decodes a head written by {@link #encodeHead}, fetching each closed day's bucket from {@code
   * days} (epoch day → encoded bucket).
   *
   * @throws IllegalArgumentException when the bytes are not a head or a day is missing
   */
  public static Baseline decodeHead(
      byte[] head, java.util.function.LongFunction<byte[]> days, BaselineConfig config) {
    if (!isHead(head)) {
      throw new IllegalArgumentException("not a baseline head");
    }
    return decodeBody(
        new Varint.Reader(head, 1, head.length), config, days, (head[0] & 0xFF) == HEAD_VERSION);
  }

  /**
   * The body of every version: version 2 adds the session calibration after the moments (a version
   * 1 baseline starts it empty, and scores sessions by their moments until it fills).
   */
  private static Baseline decodeBody(
      Varint.Reader in,
      BaselineConfig config,
      java.util.function.LongFunction<byte[]> days,
      boolean withSessionCalibration) {
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
      byte[] name = nameLength == 0 ? null : in.readBytes(nameLength - 1);
      Feature feature = Feature.of(id);
      b.index.put(hash, id, count);
      b.keys.put(id, hash, name);
      b.featureTotal[feature.ordinal()] += count;
      b.featureDistinct[feature.ordinal()]++;
      b.nameBytes += name == null ? 0 : name.length;
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
    long dayNumber = 0;
    for (int i = 0; i < closedDays; i++) {
      byte[] day;
      if (days == null) {
        day = in.readBytes(in.readVarInt());
      } else {
        dayNumber += in.readSignedVarLong();
        day = days.apply(dayNumber);
        if (day == null) {
          throw new IllegalArgumentException(
              "closed day " + dayNumber + " of the baseline head is missing from the store");
        }
      }
      b.closed.put(DayBucket.dayOf(day), day);
      b.closedBytes += day.length;
    }

    for (TailCalibrator c : b.calibration) {
      c.read(in);
    }
    for (int i = 0; i < b.moments.length; i++) {
      b.moments[i] = new Moments(in.readDouble(), in.readDouble(), in.readDouble());
    }
    if (withSessionCalibration) {
      b.sessionCalibration.read(in);
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
