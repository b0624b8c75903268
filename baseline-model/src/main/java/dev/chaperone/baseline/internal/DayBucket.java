package dev.chaperone.baseline.internal;

/**
 * The counts of one UTC day: events, events per hour of the day, and a count per key id. The open
 * (newest) day is kept as a map; closed days are kept encoded ({@link #encode()}), written once.
 *
 * <p>Encoding: day (signed varint), events (varint), 24 hourly counts (varints), entry count, then
 * entries sorted by id as (id delta, count) varint pairs.
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
    Varint.Writer out = new Varint.Writer(32 + counts.size() * 3);
    out.writeSignedVarLong(day).writeVarLong(events);
    for (int h : hourly) {
      out.writeVarInt(h);
    }
    int[] ids = counts.sortedKeys();
    out.writeVarInt(ids.length);
    int previous = 0;
    for (int id : ids) {
      out.writeVarInt(id - previous);
      out.writeVarInt(counts.get(id));
      previous = id;
    }
    return out.toByteArray();
  }

  public static DayBucket decode(byte[] bytes) {
    Varint.Reader in = new Varint.Reader(bytes);
    DayBucket bucket = new DayBucket(in.readSignedVarLong());
    bucket.events = in.readVarLong();
    for (int h = 0; h < 24; h++) {
      bucket.hourly[h] = in.readVarInt();
    }
    int n = in.readVarInt();
    int id = 0;
    for (int i = 0; i < n; i++) {
      id += in.readVarInt();
      bucket.counts.add(id, in.readVarInt());
    }
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
    int n = in.readVarInt();
    int id = 0;
    for (int i = 0; i < n; i++) {
      id += in.readVarInt();
      visitor.accept(id, in.readVarInt());
    }
  }
}
