package dev.chaperone.baseline.internal;

/**
 * The counts of one UTC day: events, events per hour of the day, and a count per key id. The open
 * (newest) day is kept as a map; closed days are kept encoded ({@link #encode()}), written once.
 *
 * <p>Encoding: day (signed varint), events (varint), 24 hourly counts (varints), then per feature
 * the entry count and its entries by ascending key sequence: one byte {@code 1dddd ccc} for a
 * sequence delta of 1-16 and a count of 1-8, else {@code 0x00}, delta and count as varints.
 */
public final class DayBucket {

  private final long day;
  private long events;
  private final int[] hourly = new int[24];
  private final IntIntMap counts;

  public DayBucket(long day) {
    this(day, new IntIntMap(64));
  }

  private DayBucket(long day, IntIntMap counts) {
    this.day = day;
    this.counts = counts;
  }

  public long day() {
    return day;
  }

  public long events() {
    return events;
  }

  public int[] hourly() {
    return hourly;
  }

  public IntIntMap counts() {
    return counts;
  }

  public void addEvent(int hourOfDay, int delta) {
    events += delta;
    hourly[hourOfDay] += delta;
  }

  public byte[] encode() {
    Varint.Writer out = new Varint.Writer(40 + counts.size() * 2);
    out.writeSignedVarLong(day).writeVarLong(events);
    for (int h : hourly) {
      out.writeVarInt(h);
    }
    int[] ids = counts.sortedKeys();
    // Group by feature, then write sequence deltas: within a feature a day's keys are close
    // together, so most entries fit one byte.
    int[][] byFeature = new int[Feature.ALL.length][];
    int[] sizes = new int[Feature.ALL.length];
    for (int id : ids) {
      sizes[id & FEATURE_MASK]++;
    }
    for (int f = 0; f < byFeature.length; f++) {
      byFeature[f] = new int[sizes[f]];
      sizes[f] = 0;
    }
    for (int id : ids) {
      int f = id & FEATURE_MASK;
      byFeature[f][sizes[f]++] = id;
    }
    for (int[] group : byFeature) {
      out.writeVarInt(group.length);
      int previous = 0;
      for (int id : group) {
        int seq = id >>> Feature.BITS;
        writeEntry(out, seq - previous, counts.get(id));
        previous = seq;
      }
    }
    return out.toByteArray();
  }

  private static final int FEATURE_MASK = (1 << Feature.BITS) - 1;

  private static void writeEntry(Varint.Writer out, int delta, int count) {
    if (delta >= 1 && delta <= 16 && count >= 1 && count <= 8) {
      out.writeByte(0x80 | ((delta - 1) << 3) | (count - 1));
    } else {
      out.writeByte(0).writeVarInt(delta).writeVarInt(count);
    }
  }

  public static DayBucket decode(byte[] bytes) {
    Varint.Reader in = new Varint.Reader(bytes);
    DayBucket bucket =
        new DayBucket(in.readSignedVarLong(), new IntIntMap(Math.max(64, bytes.length / 2)));
    bucket.events = in.readVarLong();
    for (int h = 0; h < 24; h++) {
      bucket.hourly[h] = in.readVarInt();
    }
    readEntries(in, bucket.counts::add);
    return bucket;
  }

  /** Reads only the event count of an encoded bucket. */
  public static long decodeEvents(byte[] bytes) {
    Varint.Reader in = new Varint.Reader(bytes);
    in.readSignedVarLong();
    return in.readVarLong();
  }

  /** Reads only the day of an encoded bucket. */
  public static long dayOf(byte[] bytes) {
    return new Varint.Reader(bytes).readSignedVarLong();
  }

  /** Visits the (id, count) entries of an encoded bucket without building a map. */
  public static void forEachEntry(byte[] bytes, IntIntMap.IntIntConsumer visitor) {
    Varint.Reader in = new Varint.Reader(bytes);
    in.readSignedVarLong();
    in.readVarLong();
    for (int h = 0; h < 24; h++) {
      in.readVarInt();
    }
    readEntries(in, visitor);
  }

  private static void readEntries(Varint.Reader in, IntIntMap.IntIntConsumer visitor) {
    for (int f = 0; f < Feature.ALL.length; f++) {
      int n = in.readVarInt();
      int seq = 0;
      for (int i = 0; i < n; i++) {
        int first = in.readByte();
        int count;
        if ((first & 0x80) != 0) {
          seq += ((first >>> 3) & 0x0F) + 1;
          count = (first & 0x07) + 1;
        } else {
          seq += in.readVarInt();
          count = in.readVarInt();
        }
        visitor.accept((seq << Feature.BITS) | f, count);
      }
    }
  }
}
