package dev.chaperone.baseline.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Growable byte buffer and reader with unsigned LEB128 varints: the baseline codec's I/O. */
public final class Varint {

  private Varint() {}

  /** An append-only byte buffer. Not thread-safe. */
  public static final class Writer {
    private byte[] buf;
    private int len;

    public Writer(int capacity) {
      buf = new byte[Math.max(16, capacity)];
    }

    private void ensure(int extra) {
      if (len + extra > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
      }
    }

    public Writer writeByte(int b) {
      ensure(1);
      buf[len++] = (byte) b;
      return this;
    }

    public Writer writeVarLong(long value) {
      ensure(10);
      long v = value;
      while ((v & ~0x7FL) != 0) {
        buf[len++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      buf[len++] = (byte) v;
      return this;
    }

    public Writer writeVarInt(int value) {
      return writeVarLong(value & 0xFFFFFFFFL);
    }

    /** Zig-zag signed varint. */
    public Writer writeSignedVarLong(long value) {
      return writeVarLong((value << 1) ^ (value >> 63));
    }

    public Writer writeLong(long value) {
      ensure(8);
      for (int i = 0; i < 8; i++) {
        buf[len++] = (byte) (value >>> (8 * i));
      }
      return this;
    }

    /** Four bytes, little-endian. */
    public Writer writeInt4(int value) {
      ensure(4);
      buf[len++] = (byte) value;
      buf[len++] = (byte) (value >>> 8);
      buf[len++] = (byte) (value >>> 16);
      buf[len++] = (byte) (value >>> 24);
      return this;
    }

    public Writer writeDouble(double value) {
      return writeLong(Double.doubleToLongBits(value));
    }

    public Writer writeString(String s) {
      byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
      writeVarInt(bytes.length);
      return writeBytes(bytes);
    }

    public Writer writeBytes(byte[] bytes) {
      ensure(bytes.length);
      System.arraycopy(bytes, 0, buf, len, bytes.length);
      len += bytes.length;
      return this;
    }

    public int length() {
      return len;
    }

    public byte[] toByteArray() {
      return Arrays.copyOf(buf, len);
    }
  }

  /** A reader over a byte array; throws {@link IllegalArgumentException} on truncated input. */
  public static final class Reader {
    private final byte[] buf;
    private int pos;
    private final int end;

    public Reader(byte[] buf) {
      this(buf, 0, buf.length);
    }

    public Reader(byte[] buf, int from, int to) {
      this.buf = buf;
      this.pos = from;
      this.end = to;
    }

    private void need(int n) {
      if (pos + n > end) {
        throw new IllegalArgumentException(
            "truncated baseline: need " + n + " more bytes at offset " + pos);
      }
    }

    public int readByte() {
      need(1);
      return buf[pos++] & 0xFF;
    }

    public long readVarLong() {
      long result = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        need(1);
        byte b = buf[pos++];
        result |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return result;
        }
      }
      throw new IllegalArgumentException("malformed varint at offset " + pos);
    }

    public int readVarInt() {
      long v = readVarLong();
      if (v > 0xFFFFFFFFL) {
        throw new IllegalArgumentException("varint out of int range at offset " + pos);
      }
      return (int) v;
    }

    public long readSignedVarLong() {
      long raw = readVarLong();
      return (raw >>> 1) ^ -(raw & 1);
    }

    public long readLong() {
      need(8);
      long v = 0;
      for (int i = 0; i < 8; i++) {
        v |= (buf[pos++] & 0xFFL) << (8 * i);
      }
      return v;
    }

    public int readInt4() {
      need(4);
      int v =
          (buf[pos] & 0xFF)
              | (buf[pos + 1] & 0xFF) << 8
              | (buf[pos + 2] & 0xFF) << 16
              | (buf[pos + 3] & 0xFF) << 24;
      pos += 4;
      return v;
    }

    public double readDouble() {
      return Double.longBitsToDouble(readLong());
    }

    public String readString() {
      int n = readVarInt();
      need(n);
      String s = new String(buf, pos, n, StandardCharsets.UTF_8);
      pos += n;
      return s;
    }

    public String readUtf8(int n) {
      need(n);
      String s = new String(buf, pos, n, StandardCharsets.UTF_8);
      pos += n;
      return s;
    }

    public byte[] readBytes(int n) {
      need(n);
      byte[] out = Arrays.copyOfRange(buf, pos, pos + n);
      pos += n;
      return out;
    }

    public boolean atEnd() {
      return pos >= end;
    }

    public int position() {
      return pos;
    }
  }
}
