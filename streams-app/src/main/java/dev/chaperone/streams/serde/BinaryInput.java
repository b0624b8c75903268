package dev.chaperone.streams.serde;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.SystemLimitException;

/**
 * Avro's binary encoding read straight from a byte array, for a {@link AvroSerde.DirectCodec}: each
 * string is decoded from the array itself, where Avro's decoder first copies it into a {@code Utf8}
 * of its own and then decodes that copy. Values are read as Avro reads them, with Avro's limits on
 * string and collection lengths; whatever it refuses (a varint too long, a length past the end or
 * negative) throws, and the caller then asks Avro, whose answer stands.
 */
final class BinaryInput {

  private final byte[] bytes;
  private final int end;
  private int position;

  BinaryInput(byte[] bytes, int offset, int length) {
    this.bytes = bytes;
    this.position = offset;
    this.end = offset + length;
  }

  /** Whether every byte has been read. */
  boolean isEnd() {
    return position == end;
  }

  int readInt() throws IOException {
    // at most 5 bytes; bits past the 32nd drop, as Avro's int arithmetic drops them
    int value = (int) varint(28);
    return (value >>> 1) ^ -(value & 1);
  }

  long readLong() throws IOException {
    long value = varint(63); // at most 10 bytes
    return (value >>> 1) ^ -(value & 1);
  }

  /** A varint of at most {@code lastShift / 7 + 1} bytes, not yet zig-zag decoded. */
  private long varint(int lastShift) throws IOException {
    long value = 0;
    for (int shift = 0; ; shift += 7) {
      if (shift > lastShift) {
        throw new IOException("Invalid varint encoding");
      }
      int b = next();
      value |= (long) (b & 0x7F) << shift;
      if (b < 0x80) {
        return value;
      }
    }
  }

  String readString() throws IOException {
    int length = SystemLimitException.checkMaxStringLength(readLong());
    if (length > end - position) {
      throw new EOFException();
    }
    String value = new String(bytes, position, length, StandardCharsets.UTF_8);
    position += length;
    return value;
  }

  /** A union's branch index. */
  int readIndex() throws IOException {
    return readInt();
  }

  /** An enum's symbol index. */
  int readEnum() throws IOException {
    return readInt();
  }

  /** The first block's item count of an array or map (a block may give its byte size too). */
  long readCollectionStart() throws IOException {
    long count = readItemCount();
    SystemLimitException.checkMaxCollectionLength(count);
    return count;
  }

  /** The next block's item count, 0 at the end; {@code readSoFar} items came before it. */
  long readCollectionNext(long readSoFar) throws IOException {
    long count = readItemCount();
    SystemLimitException.checkMaxCollectionLength(readSoFar, count);
    return count;
  }

  private long readItemCount() throws IOException {
    long count = readLong();
    if (count < 0) {
      if (count == Long.MIN_VALUE) {
        throw new AvroRuntimeException("Malformed data. Length is negative: " + count);
      }
      long blockBytes = readLong();
      if (blockBytes < 0) {
        throw new AvroRuntimeException("Malformed data. Length is negative: " + blockBytes);
      }
      count = -count;
    }
    return count;
  }

  private int next() throws EOFException {
    if (position >= end) {
      throw new EOFException();
    }
    return bytes[position++] & 0xFF;
  }
}
